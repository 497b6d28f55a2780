/**
 * IEEE 754 binary16 ("half") conversion for fp16 model packs. Node 20 has no `Float16Array`, so
 * onnxruntime-node takes and returns float16 tensors as `Uint16Array` bit patterns.
 *
 * float32 → float16 rounds to nearest, ties to even (the IEEE default, and what numpy's
 * `astype(np.float16)` and PyTorch do): overflow past the largest half (65504, reached from
 * 65520 = 65504 + ½ ulp upwards) gives ±∞, results below the normal range become subnormals
 * (down to 2⁻²⁴) or ±0, signs of zero are kept, NaN stays NaN (made quiet, payload's top bits kept).
 * float16 → float32 is exact.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float16 bits of one float32 bit pattern (see the module comment for the rounding rules). */
export function f32BitsToF16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) {
    // ∞ stays ∞; NaN keeps its top payload bits and is made quiet so it never turns into ∞.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const e = exp - 127 + 15; // the half's biased exponent
  if (e >= 31) return sign | 0x7c00; // ≥ 2¹⁶: beyond any rounding back to 65504
  if (e <= 0) {
    // Subnormal half (or zero): shift the significand, implicit bit included, into place.
    if (e < -10) return sign; // below 2⁻²⁵: rounds to ±0 (2⁻²⁵ itself is the tie, handled below)
    const m = mant | 0x800000;
    const shift = 14 - e; // 14 … 24
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++; // a carry makes the smallest normal
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++; // a carry may reach 0x7c00 = ∞, as it should
  return sign | half;
}

/** float32 bit pattern of one float16 bit pattern (exact). */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    // Subnormal half: normalise it (every half subnormal is a normal float32).
    let e = -14;
    while ((mant & 0x400) === 0) {
      mant <<= 1;
      e--;
    }
    mant &= 0x3ff;
    return (sign | ((e + 127) << 23) | (mant << 13)) >>> 0;
  }
  return (sign | ((exp - 15 + 127) << 23) | (mant << 13)) >>> 0;
}

/** Half bits of a number, rounded first to float32 (the engine's tensors are float32). */
export function toHalf(x: number): number {
  f32[0] = x;
  return f32BitsToF16Bits(u32[0]);
}

/** The value of a half bit pattern. */
export function fromHalf(h: number): number {
  u32[0] = f16BitsToF32Bits(h & 0xffff);
  return f32[0];
}

/** float32 array → float16 bit patterns, round-to-nearest-even. */
export function float32ToFloat16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f32BitsToF16Bits(bits[i]);
  return out;
}

let table: Uint32Array | undefined;

/** float16 bit patterns → float32 (exact), through a 65536-entry table built on first use. */
export function float16ToFloat32(src: Uint16Array): Float32Array {
  if (!table) {
    table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = f16BitsToF32Bits(h);
  }
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = table[src[i]];
  return out;
}
