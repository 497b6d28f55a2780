/**
 * Seeded Gaussian noise that is bit-identical on every platform and every JavaScript engine.
 *
 * Generator: Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror & Shaw,
 * "Parallel Random Numbers: As Easy as 1, 2, 3" (SC 2011), §4.1: ten rounds of
 *   (c₀, c₁, c₂, c₃) ← (hi(M₁c₂) ⊕ c₁ ⊕ k₀, lo(M₁c₂), hi(M₀c₀) ⊕ c₃ ⊕ k₁, lo(M₀c₀)),
 *   (k₀, k₁) ← (k₀ + W₀, k₁ + W₁),
 * keyed by the 64-bit seed, counting over (pair index, stream). Being counter-based, the value
 * of element j of stream s depends only on (seed, s, j): a sampler step can be redone ("time
 * travel") and get exactly the noise it had the first time, and noise can be generated in any
 * order or in parts.
 *
 * Normals: the Box–Muller transform (Box & Muller 1958), z₀ = √(−2 ln u₁)·cos 2πu₂,
 * z₁ = √(−2 ln u₁)·sin 2πu₂, with u₁, u₂ built from 53 random bits each. `Math.log`, `Math.cos`
 * and `Math.sin` are not required by ECMAScript to round identically everywhere, so ln, sin and
 * cos here are evaluated from fixed series using only +, −, ×, ÷ and √, which IEEE 754 rounds
 * exactly: the same seed gives the same bits in Node, Chromium, or a port to another language.
 */

export type NoiseSource = <V extends Float32Array | Float64Array>(stream: number, like: V) => V;

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO32 = 4294967296;

/** High 32 bits of the 64-bit product of two uint32 values, exactly, in double arithmetic. */
function mulhi(a: number, b: number): number {
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const t = a * bLo; // < 2^48, exact
  const u = a * bHi; // < 2^48, exact
  const uHi = Math.floor(u / 65536);
  const carry = Math.floor(((u - uHi * 65536) * 65536 + t) / TWO32); // < 2^49, exact
  return (uHi + carry) >>> 0;
}

/** One Philox4x32-10 block: four uint32 outputs for counter (c0..c3) and key (k0, k1). */
export function philox4x32(c: readonly [number, number, number, number], k0: number, k1: number, out: Uint32Array = new Uint32Array(4)): Uint32Array {
  let c0 = c[0] >>> 0, c1 = c[1] >>> 0, c2 = c[2] >>> 0, c3 = c[3] >>> 0;
  let key0 = k0 >>> 0, key1 = k1 >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ key0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ key1) >>> 0;
    c3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
  return out;
}

const LN2 = 0.6931471805599453;
const SQRT1_2 = 0.7071067811865476;
const HALF_PI = 1.5707963267948966;

/**
 * ln x for x in (0, 1], from ln(m·2ᵉ) = e·ln 2 + 2·atanh((m − 1)/(m + 1)) with m ∈ [√½, √2),
 * the atanh series summed to 13 terms (|z| ≤ 0.172, so the remainder is below 1e−19).
 */
export function detLog(x: number): number {
  if (!(x > 0)) throw new RangeError(`detLog needs x > 0, got ${x}`);
  let m = x;
  let e = 0;
  while (m < SQRT1_2) { m *= 2; e--; }
  while (m >= 2 * SQRT1_2) { m /= 2; e++; }
  const z = (m - 1) / (m + 1);
  const z2 = z * z;
  let s = 1 / 25;
  for (let k = 11; k >= 0; k--) s = 1 / (2 * k + 1) + z2 * s;
  return e * LN2 + 2 * z * s;
}

/** sin and cos of a ∈ [0, π/4] by their Taylor series (remainder below 1e−19). */
function sinCosSmall(a: number): [number, number] {
  const a2 = a * a;
  let s = 0;
  let c = 0;
  // sin a = a Σ (−a²)ᵏ/(2k+1)!, cos a = Σ (−a²)ᵏ/(2k)!, Horner from k = 9 down.
  for (let k = 9; k >= 1; k--) {
    s = (1 - (a2 * s)) / ((2 * k) * (2 * k + 1));
    c = (1 - (a2 * c)) / ((2 * k - 1) * (2 * k));
  }
  return [a * (1 - a2 * s), 1 - a2 * c];
}

/** [cos 2πu, sin 2πu] for u ∈ [0, 1), reduced exactly by quadrant and octant. */
export function detCosSin2Pi(u: number): [number, number] {
  const q4 = u * 4; // exact
  const q = Math.floor(q4);
  const f = q4 - q; // exact, in [0, 1)
  let c: number, s: number;
  if (f <= 0.5) {
    [s, c] = sinCosSmall(f * HALF_PI);
  } else {
    const [sc, cc] = sinCosSmall((1 - f) * HALF_PI);
    s = cc;
    c = sc;
  }
  switch (q) {
    case 0: return [c, s];
    case 1: return [-s, c];
    case 2: return [-c, -s];
    default: return [s, -c];
  }
}

function splitSeed(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer in [0, 2^53), got ${seed}`);
  return [seed % TWO32, Math.floor(seed / TWO32)];
}

/**
 * Fill `out` with standard normal samples: element j of (seed, stream) for j = offset … offset+n−1.
 * Pair p = ⌊j/2⌋ uses Philox counter (p mod 2³², ⌊p/2³²⌋, stream, 0); even j takes the cosine
 * branch of Box–Muller and odd j the sine branch.
 */
export function fillGaussian<V extends Float32Array | Float64Array>(out: V, seed: number, stream = 0, offset = 0): V {
  const [k0, k1] = splitSeed(seed);
  if (!Number.isInteger(stream) || stream < 0 || stream >= TWO32) throw new RangeError(`stream must be a uint32, got ${stream}`);
  const block = new Uint32Array(4);
  const ctr: [number, number, number, number] = [0, 0, stream, 0];
  let lastPair = -1;
  let z0 = 0, z1 = 0;
  for (let i = 0; i < out.length; i++) {
    const j = offset + i;
    const p = Math.floor(j / 2);
    if (p !== lastPair) {
      ctr[0] = p % TWO32;
      ctr[1] = Math.floor(p / TWO32);
      philox4x32(ctr, k0, k1, block);
      // 53-bit uniforms: 27 high bits of one word and 26 of the next.
      const u1 = 1 - ((block[0] >>> 5) * 67108864 + (block[1] >>> 6)) / 9007199254740992; // (0, 1]
      const u2 = ((block[2] >>> 5) * 67108864 + (block[3] >>> 6)) / 9007199254740992; // [0, 1)
      const r = Math.sqrt(-2 * detLog(u1));
      const [c, s] = detCosSin2Pi(u2);
      z0 = r * c;
      z1 = r * s;
      lastPair = p;
    }
    out[i] = (j & 1) === 0 ? z0 : z1;
  }
  return out;
}

/** `n` standard normal float32 values for (seed, stream). */
export function gaussian(n: number, seed: number, stream = 0): Float32Array {
  return fillGaussian(new Float32Array(n), seed, stream);
}

/**
 * A noise source for stochastic samplers: step i draws stream i + 1 of `seed` (stream 0 is kept
 * for the initial latent), so a redone step gets the same noise.
 */
export function seededNoise(seed: number): NoiseSource {
  splitSeed(seed);
  return <V extends Float32Array | Float64Array>(stream: number, like: V): V => {
    const out = (like instanceof Float64Array ? new Float64Array(like.length) : new Float32Array(like.length)) as V;
    return fillGaussian(out, seed, stream + 1);
  };
}
