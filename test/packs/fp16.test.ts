import { describe, expect, it } from 'vitest';
import { f16BitsToF32Bits, float16ToFloat32, float32ToFloat16, fromHalf, toHalf } from '../../main/engine/fp16.js';

/** Independent reference: the value of a half by its definition (no bit tricks). */
function halfValue(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 31) return m ? NaN : s * Infinity;
  if (e === 0) return s * m * 2 ** -24;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Positive finite halves in increasing order (bits 0 … 0x7bff are monotone). */
const positives = Array.from({ length: 0x7c00 }, (_, h) => halfValue(h));

/** Reference rounding by search: the nearest half, ties to the even bit pattern, ≥ 65520 → ∞. */
function referenceHalf(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = positives.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (positives[mid] <= a) lo = mid;
    else hi = mid;
  }
  if (a >= positives[hi]) lo = hi;
  const below = lo;
  const above = Math.min(lo + 1, positives.length - 1);
  const dBelow = a - positives[below];
  const dAbove = positives[above] - a;
  let h: number;
  if (dBelow < dAbove) h = below;
  else if (dAbove < dBelow) h = above;
  else h = below % 2 === 0 ? below : above;
  return sign | h;
}

const asF32 = (x: number) => Math.fround(x);

describe('float16 conversion', () => {
  it('every half pattern converts to float32 exactly and back to itself (NaNs stay NaN)', () => {
    const all = new Uint16Array(65536);
    for (let h = 0; h < 65536; h++) all[h] = h;
    const f = float16ToFloat32(all);
    const back = float32ToFloat16(f);
    for (let h = 0; h < 65536; h++) {
      const v = halfValue(h);
      if (Number.isNaN(v)) {
        expect(Number.isNaN(f[h])).toBe(true);
        expect(back[h] & 0x7c00).toBe(0x7c00);
        expect(back[h] & 0x3ff).not.toBe(0);
        expect(back[h] & 0x8000).toBe(h & 0x8000);
      } else {
        if (f[h] !== v || !Object.is(f[h], v)) throw new Error(`half 0x${h.toString(16)}: got ${f[h]}, want ${v}`);
        if (back[h] !== h) throw new Error(`half 0x${h.toString(16)} came back as 0x${back[h].toString(16)}`);
      }
    }
  });

  it('ties between neighbouring halves round to the even pattern, and one float32 ulp off a tie rounds to the nearer', () => {
    const xs: number[] = [];
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (positives[h] + positives[h + 1]) / 2; // ≤ 12 significant bits: exact in float32
      expect(asF32(mid)).toBe(mid);
      xs.push(mid, -mid);
      const f = new Float32Array([mid]);
      const u = new Uint32Array(f.buffer);
      u[0] += 1;
      xs.push(f[0]);
      u[0] -= 2;
      xs.push(f[0]);
    }
    const got = float32ToFloat16(new Float32Array(xs));
    for (let i = 0; i < xs.length; i++) {
      const want = referenceHalf(xs[i]);
      if (got[i] !== want) throw new Error(`${xs[i]}: got 0x${got[i].toString(16)}, want 0x${want.toString(16)}`);
    }
    // Spot checks written out: 1 + 2⁻¹¹ is the tie between 1 and 1 + 2⁻¹⁰ → 1 (even); 1 + 3·2⁻¹¹ → 1 + 2·2⁻¹⁰.
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00);
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalf(2049)).toBe(toHalf(2048)); // 2049 is a tie between 2048 and 2050 → 2048 (even)
    expect(fromHalf(toHalf(2051))).toBe(2052);
  });

  it('infinities, overflow and the largest half', () => {
    expect(toHalf(Infinity)).toBe(0x7c00);
    expect(toHalf(-Infinity)).toBe(0xfc00);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(65519.99)).toBe(0x7bff); // below the tie 65520
    expect(toHalf(65520)).toBe(0x7c00); // the tie rounds to even, which is ∞
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(-1e30)).toBe(0xfc00);
    expect(toHalf(3.4e38)).toBe(0x7c00);
    expect(fromHalf(0x7c00)).toBe(Infinity);
    expect(fromHalf(0xfc00)).toBe(-Infinity);
  });

  it('subnormals, the underflow tie and signed zeros', () => {
    expect(toHalf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toHalf(2 ** -25)).toBe(0x0000); // exactly half of it: tie to even → 0
    expect(toHalf(1.5 * 2 ** -25)).toBe(0x0001);
    expect(toHalf(-(2 ** -25) * 1.0000001)).toBe(0x8001);
    expect(toHalf(2 ** -26)).toBe(0x0000);
    expect(toHalf(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 subnormal units → 2
    expect(toHalf(2 ** -14)).toBe(0x0400); // smallest normal
    expect(toHalf(2 ** -14 - 2 ** -25)).toBe(0x0400); // tie between 0x3ff and 0x400 → even 0x400
    expect(toHalf(1023 * 2 ** -24)).toBe(0x03ff); // largest subnormal
    expect(toHalf(1e-45)).toBe(0); // float32 subnormal
    expect(toHalf(0)).toBe(0);
    expect(toHalf(-0)).toBe(0x8000);
    expect(Object.is(fromHalf(0x8000), -0)).toBe(true);
    expect(fromHalf(0x0001)).toBe(2 ** -24);
    expect(fromHalf(0x03ff)).toBe(1023 * 2 ** -24);
  });

  it('NaN stays NaN whatever its payload (never becomes ∞)', () => {
    const f = new Float32Array(4);
    const u = new Uint32Array(f.buffer);
    u[0] = 0x7fc00000; // quiet NaN
    u[1] = 0x7f800001; // signalling NaN whose payload lies below the half's mantissa bits
    u[2] = 0xffffffff; // negative NaN, full payload
    u[3] = 0x7f802000;
    const h = float32ToFloat16(f);
    for (let i = 0; i < 4; i++) {
      expect(h[i] & 0x7c00).toBe(0x7c00);
      expect(h[i] & 0x3ff).not.toBe(0);
      expect(Number.isNaN(fromHalf(h[i]))).toBe(true);
    }
    expect(h[2] & 0x8000).toBe(0x8000);
    expect(Number.isNaN(fromHalf(0x7e00))).toBe(true);
    expect(f16BitsToF32Bits(0x7c01) >>> 0).toBe(0x7f802000);
  });

  it('matches the reference on 200 000 random float32 bit patterns across the whole range', () => {
    let state = 0x9e3779b9;
    const next = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    const n = 200_000;
    const u = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      // Half of them with exponents near the half range, where rounding matters most.
      u[i] = i % 2 ? next() : ((next() & 0x807fffff) | ((100 + (next() % 50)) << 23)) >>> 0;
    }
    const f = new Float32Array(u.buffer);
    const got = float32ToFloat16(f);
    for (let i = 0; i < n; i++) {
      const want = referenceHalf(f[i]);
      if (Number.isNaN(f[i])) {
        expect(Number.isNaN(fromHalf(got[i]))).toBe(true);
        continue;
      }
      if (got[i] !== want) throw new Error(`${f[i]} (0x${u[i].toString(16)}): got 0x${got[i].toString(16)}, want 0x${want.toString(16)}`);
    }
  });

  it('works on subarray views (respects byteOffset)', () => {
    const base = new Float32Array([9, 1, 2, 0.5]);
    const h = float32ToFloat16(base.subarray(1, 3));
    expect(Array.from(h)).toEqual([0x3c00, 0x4000]);
  });
});
