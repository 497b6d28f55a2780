/**
 * Small statistics for reporting scores honestly: a mean with its spread, and a bootstrap
 * confidence interval of the mean that is the same on every run for a given seed.
 */

function checkNonEmpty(xs: ArrayLike<number>, what: string): void {
  if (xs.length === 0) throw new RangeError(`${what} of no values`);
}

/**
 * mulberry32 (Tommy Ettinger, 2017; public domain): a 32-bit state advanced by the Weyl
 * increment 0x6D2B79F5 and mixed by two multiply–xorshift rounds. Returns a generator of
 * uniform 32-bit integers. Small and fast; good enough to draw bootstrap resamples.
 */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Mean and sample standard deviation √(Σ(x − x̄)² / (n − 1)) (two-pass); std is NaN when n = 1. */
export function meanStd(xs: ArrayLike<number>): { mean: number; std: number; n: number } {
  checkNonEmpty(xs, 'meanStd');
  const n = xs.length;
  const m = mean(xs);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i] - m) ** 2;
  return { mean: m, std: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN, n };
}

/** Means of `resamples` bootstrap resamples of xs (n draws with replacement each), sorted ascending. */
function bootstrapMeans(xs: ArrayLike<number>, resamples: number, seed: number): Float64Array {
  const n = xs.length;
  const next = mulberry32(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    // Index ⌊u·n / 2³²⌋ for a uniform 32-bit u; its bias, at most n / 2³², is far below resampling noise.
    for (let k = 0; k < n; k++) s += xs[Math.floor((next() * n) / 4294967296)];
    means[b] = s / n;
  }
  return means.sort();
}

/**
 * Percentile bootstrap confidence interval of the mean of xs (Efron & Tibshirani 1993, An
 * Introduction to the Bootstrap, ch. 13, eq. 13.5): [θ̂*(α/2), θ̂*(1 − α/2)] with α = 1 − level,
 * the empirical quantiles of B resampled means. Quantiles by their rule for B·α not an integer
 * (ch. 12): with k = ⌊(B + 1)·α/2⌋, lo is the k-th smallest and hi the k-th largest resampled mean.
 * Resamples come from mulberry32 seeded with `seed`, so a seed always gives the same interval.
 */
export function bootstrapMeanCI(
  xs: ArrayLike<number>,
  opts: { resamples?: number; level?: number; seed?: number } = {},
): { mean: number; lo: number; hi: number } {
  const { resamples = 10000, level = 0.95, seed = 0 } = opts;
  checkNonEmpty(xs, 'bootstrapMeanCI');
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must lie in (0, 1), got ${level}`);
  const means = bootstrapMeans(xs, resamples, seed);
  const k = Math.max(1, Math.floor(((resamples + 1) * (1 - level)) / 2));
  return { mean: mean(xs), lo: means[k - 1], hi: means[resamples - k] };
}
