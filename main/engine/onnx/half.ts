/**
 * IEEE 754 binary16 ⇄ binary32 conversion over bit patterns. Node 20 has no `Float16Array`, so
 * float16 tensors (ONNX `FLOAT16`, onnxruntime's 'float16') travel as `Uint16Array` bits.
 *
 * float32 → float16 rounds to nearest, ties to even (as numpy's `astype(np.float16)`), overflows
 * to ±∞, keeps NaN a NaN and produces subnormals below 2⁻¹⁴.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float16 bit pattern nearest to `x` (ties to even). */
export function halfBits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const man = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man !== 0 ? 0x200 | (man >>> 13) : 0); // ∞ / NaN
  const e = exp - 127 + 15; // rebias
  if (e >= 0x1f) return sign | 0x7c00; // overflow → ∞
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa right, round to nearest even.
    if (e < -10) return sign; // below half of the smallest subnormal → ±0
    const m = man | 0x800000;
    const shift = 14 - e; // 14..24
    const half = 1 << (shift - 1);
    let r = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    if (rem > half || (rem === half && (r & 1) === 1)) r += 1;
    return sign | r; // r may carry into the exponent field, which is the correct result
  }
  let r = (e << 10) | (man >>> 13);
  const rem = man & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1) === 1)) r += 1; // may carry up to ∞, correctly
  return sign | r;
}

/** The float32 value of a float16 bit pattern (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 0x1f) return man === 0 ? sign * Infinity : NaN;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

/** float32 values → float16 bit patterns. */
export function toHalf(x: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = halfBits(x[i]);
  return out;
}

/** float16 bit patterns → float32 values. */
export function fromHalf(h: ArrayLike<number>): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = halfToFloat(h[i]);
  return out;
}
