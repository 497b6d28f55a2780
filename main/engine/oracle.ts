/**
 * An exact oracle for samplers: data x₀ ~ N(μ, diag s²).
 *
 * At noise level σ the marginal is N(μ, s² + σ²) and the ideal denoiser is linear,
 *   D(x, σ) = μ + s²/(s² + σ²)·(x − μ),
 * so the probability-flow ODE dx/dσ = (x − D)/σ = σ(x − μ)/(s² + σ²) keeps
 * (x − μ)/√(s² + σ²) constant: x(σ₁) = μ + (x(σ₀) − μ)·√(s² + σ₁²)/√(s² + σ₀²), exactly.
 */
import type { Denoiser, Sampler, SamplerOptions } from './samplers/common.js';
import { fillGaussian } from './random.js';

export interface GaussianOracle {
  readonly mu: Float64Array;
  readonly s: Float64Array;
  /** The exact denoiser; `nfe` counts its evaluations. */
  readonly denoiser: Denoiser;
  nfe: number;
  /** Exact probability-flow ODE transport of x from σ₀ to σ₁. */
  exact(x: Float64Array, sigma0: number, sigma1: number): Float64Array;
  /** `count` independent draws of the marginal at σ, concatenated (count·dim values). */
  marginal(sigma: number, count: number, seed: number): Float64Array;
}

export function gaussianOracle(dim = 16): GaussianOracle {
  const mu = new Float64Array(dim);
  const s = new Float64Array(dim);
  for (let k = 0; k < dim; k++) {
    mu[k] = Math.sin(1.7 * k + 0.3) * 0.8;
    s[k] = 0.25 + (1.25 * k) / Math.max(1, dim - 1);
  }
  const oracle: GaussianOracle = {
    mu,
    s,
    nfe: 0,
    denoiser: async (x, sigma) => {
      oracle.nfe++;
      const out = x instanceof Float64Array ? new Float64Array(x.length) : new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) {
        const k = j % dim;
        const v = s[k] * s[k];
        out[j] = mu[k] + (v / (v + sigma * sigma)) * (x[j] - mu[k]);
      }
      return out;
    },
    exact(x, sigma0, sigma1) {
      return x.map((xj, j) => {
        const k = j % dim;
        const v = s[k] * s[k];
        return mu[k] + (xj - mu[k]) * Math.sqrt((v + sigma1 * sigma1) / (v + sigma0 * sigma0));
      });
    },
    marginal(sigma, count, seed) {
      const z = fillGaussian(new Float64Array(count * dim), seed, 0);
      return z.map((zj, j) => {
        const k = j % dim;
        return mu[k] + Math.sqrt(s[k] * s[k] + sigma * sigma) * zj;
      });
    },
  };
  return oracle;
}

export interface OrderMeasurement {
  nfe: number[];
  error: number[];
  /** −slope of log(error) against log(NFE), least squares. */
  order: number;
}

/**
 * Run `sampler` over σ grids of increasing size, measure the RMS error against the exact ODE
 * solution, and fit the empirical convergence order.
 */
export async function measureOrder(
  sampler: Sampler,
  grid: (steps: number) => ArrayLike<number>,
  steps: number[],
  opts: SamplerOptions = {},
  dim = 16,
): Promise<OrderMeasurement> {
  const nfe: number[] = [];
  const error: number[] = [];
  for (const n of steps) {
    const oracle = gaussianOracle(dim);
    const sigmas = grid(n);
    const x0 = oracle.marginal(sigmas[0], 4, 11);
    const exact = oracle.exact(x0, sigmas[0], sigmas[sigmas.length - 1]);
    const got = await sampler(oracle.denoiser, x0.slice(), sigmas, opts);
    let e = 0;
    for (let j = 0; j < exact.length; j++) e += (got[j] - exact[j]) ** 2;
    nfe.push(oracle.nfe);
    error.push(Math.sqrt(e / exact.length));
  }
  return { nfe, error, order: -slope(nfe.map(Math.log), error.map(Math.log)) };
}

function slope(xs: number[], ys: number[]): number {
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  let num = 0, den = 0;
  for (let k = 0; k < xs.length; k++) {
    num += (xs[k] - mx) * (ys[k] - my);
    den += (xs[k] - mx) ** 2;
  }
  return num / den;
}

/** A σ grid uniform in λ = −log σ from σmax to σmin with `steps` steps (no final zero). */
export function lambdaGrid(sigmaMax: number, sigmaMin: number): (steps: number) => Float64Array {
  return (steps) => Float64Array.from({ length: steps + 1 }, (_, i) => Math.exp(Math.log(sigmaMax) + (i / steps) * Math.log(sigmaMin / sigmaMax)));
}

export interface SampleStats {
  mean: Float64Array;
  variance: Float64Array;
  count: number;
}

/**
 * Draw `count` samples with a stochastic sampler, starting from the marginal at sigmas[0] (one
 * batch of count·dim values; the oracle is elementwise), and return the per-dimension mean and
 * unbiased variance of the result.
 */
export async function sampleStats(
  sampler: Sampler,
  sigmas: ArrayLike<number>,
  count: number,
  opts: SamplerOptions,
  dim = 16,
  seed = 5,
): Promise<SampleStats & { oracle: GaussianOracle }> {
  const oracle = gaussianOracle(dim);
  const x = await sampler(oracle.denoiser, oracle.marginal(sigmas[0], count, seed), sigmas, opts);
  const mean = new Float64Array(dim);
  const variance = new Float64Array(dim);
  for (let j = 0; j < x.length; j++) mean[j % dim] += x[j] / count;
  for (let j = 0; j < x.length; j++) variance[j % dim] += (x[j] - mean[j % dim]) ** 2 / (count - 1);
  return { mean, variance, count, oracle };
}

/**
 * The largest deviation of the sample statistics from the data distribution N(μ, s²) at the end
 * level σ_end (N(μ, s² + σ_end²)), in units of their standard errors: mean s_tot/√n, variance
 * s_tot²·√(2/(n−1)). A correct sampler stays within a few units plus its discretisation bias.
 */
export function zScores(stats: SampleStats & { oracle: GaussianOracle }, sigmaEnd = 0): { mean: number; variance: number } {
  const { oracle, count } = stats;
  let zm = 0, zv = 0;
  for (let k = 0; k < oracle.mu.length; k++) {
    const v = oracle.s[k] ** 2 + sigmaEnd ** 2;
    zm = Math.max(zm, Math.abs(stats.mean[k] - oracle.mu[k]) / Math.sqrt(v / count));
    zv = Math.max(zv, Math.abs(stats.variance[k] - v) / (v * Math.sqrt(2 / (count - 1))));
  }
  return { mean: zm, variance: zv };
}
