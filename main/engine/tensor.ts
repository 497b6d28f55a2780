/**
 * Flat tensors for the engine: a `Float32Array` (or `Float64Array` where a test wants to see
 * truncation error far below float32 rounding) plus shape helpers.
 *
 * Samplers never look at shapes — every update they make is elementwise — so they work on the
 * bare typed array (`Vec`). Shapes matter only at the model boundary and for per-sample
 * operations (dynamic thresholding, classifier-free guidance batching), which take a `Tensor`.
 */

export type Vec = Float32Array | Float64Array;

export interface Tensor<V extends Vec = Float32Array> {
  readonly data: V;
  /** Row-major dimensions, e.g. `[batch, channels, height, width]`. */
  readonly shape: readonly number[];
}

/** Number of elements a shape holds. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

export function tensor<V extends Vec>(data: V, shape: readonly number[]): Tensor<V> {
  if (numel(shape) !== data.length) {
    throw new RangeError(`shape [${shape.join(', ')}] needs ${numel(shape)} elements, got ${data.length}`);
  }
  return { data, shape: [...shape] };
}

/** A zero-filled array of the same element type and length as `like`. */
export function zerosLike<V extends Vec>(like: V): V {
  return (like instanceof Float64Array ? new Float64Array(like.length) : new Float32Array(like.length)) as V;
}

export function copyOf<V extends Vec>(x: V): V {
  return x.slice() as V;
}

function checkLengths(vs: readonly Vec[]): number {
  const n = vs[0].length;
  for (const v of vs) if (v.length !== n) throw new RangeError(`length mismatch: ${v.length} vs ${n}`);
  return n;
}

/**
 * Linear combination Σ cᵢ·vᵢ into a new array of `v₀`'s type. Coefficients are float64 and each
 * element is accumulated in float64 before it is stored, so a combination rounds once.
 */
export function lin<V extends Vec>(c0: number, v0: V, ...rest: (number | Vec)[]): V {
  const coeffs = [c0];
  const vecs: Vec[] = [v0];
  for (let k = 0; k < rest.length; k += 2) {
    coeffs.push(rest[k] as number);
    vecs.push(rest[k + 1] as Vec);
  }
  const n = checkLengths(vecs);
  const out = zerosLike(v0);
  switch (vecs.length) {
    case 1:
      for (let j = 0; j < n; j++) out[j] = c0 * v0[j];
      break;
    case 2: {
      const [a, b] = [coeffs[1], vecs[1]];
      for (let j = 0; j < n; j++) out[j] = c0 * v0[j] + a * b[j];
      break;
    }
    case 3: {
      const [a, b, c, d] = [coeffs[1], vecs[1], coeffs[2], vecs[2]];
      for (let j = 0; j < n; j++) out[j] = c0 * v0[j] + a * b[j] + c * d[j];
      break;
    }
    default:
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < vecs.length; k++) s += coeffs[k] * vecs[k][j];
        out[j] = s;
      }
  }
  return out;
}

/** Elementwise blend `mask·a + (1 − mask)·b`; `mask` values in [0, 1]. */
export function blend<V extends Vec>(mask: Vec, a: V, b: Vec): V {
  const n = checkLengths([mask, a, b]);
  const out = zerosLike(a);
  for (let j = 0; j < n; j++) out[j] = b[j] + mask[j] * (a[j] - b[j]);
  return out;
}

/** Root-mean-square of `a − b` (of `a` alone when `b` is omitted). */
export function rms(a: Vec, b?: Vec): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) {
    const d = b ? a[j] - b[j] : a[j];
    s += d * d;
  }
  return Math.sqrt(s / a.length);
}

/** Largest absolute elementwise difference. */
export function maxAbsDiff(a: Vec, b: Vec): number {
  checkLengths([a, b]);
  let m = 0;
  for (let j = 0; j < a.length; j++) m = Math.max(m, Math.abs(a[j] - b[j]));
  return m;
}

/** Concatenate along the leading (batch) axis. */
export function concatBatch<V extends Vec>(parts: readonly Tensor<V>[]): Tensor<V> {
  const inner = parts[0].shape.slice(1);
  let batch = 0;
  for (const p of parts) {
    if (p.shape.slice(1).join() !== inner.join()) throw new RangeError('concatBatch: inner shapes differ');
    batch += p.shape[0];
  }
  const data = (parts[0].data instanceof Float64Array ? new Float64Array(numel([batch, ...inner])) : new Float32Array(numel([batch, ...inner]))) as V;
  let off = 0;
  for (const p of parts) {
    data.set(p.data, off);
    off += p.data.length;
  }
  return { data, shape: [batch, ...inner] };
}
