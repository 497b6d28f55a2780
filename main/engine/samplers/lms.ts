/**
 * Linear multistep in σ (k-diffusion `sample_lms`, diffusers `LMSDiscreteScheduler`): the
 * variable-step Adams–Bashforth method (Hairer, Nørsett & Wanner, "Solving Ordinary Differential
 * Equations I", §III.5) on the probability-flow ODE dx/dσ = d(x, σ) = (x − D(x, σ))/σ.
 */
import { lin } from '../tensor.js';
import type { Denoiser, SamplerOptions, Vec } from './common.js';
import { afterStep, checkCancelled, checkSigmas } from './common.js';

export interface LmsOptions extends SamplerOptions {
  /** Number of past derivatives k (default 4, diffusers' `step(order=4)`); the first k − 1 steps warm up with orders 1 … k − 1. */
  order?: number;
}

/**
 * Adams–Bashforth weights for the step σᵢ → σᵢ₊₁ from the derivatives at σᵢ, σᵢ₋₁, …, σᵢ₋ₖ₊₁:
 *   cⱼ = ∫_{σᵢ}^{σᵢ₊₁} ℓⱼ(τ) dτ,  ℓⱼ(τ) = Π_{m≠j} (τ − σᵢ₋ₘ)/(σᵢ₋ⱼ − σᵢ₋ₘ),
 * integrated exactly: with τ = σᵢ + h·v (h = σᵢ₊₁ − σᵢ) each ℓⱼ is expanded into powers of v and
 * cⱼ = h·Σₙ aₙ/(n + 1). (k-diffusion and diffusers use `scipy.integrate.quad`, which is exact to
 * rounding for these low-degree polynomials.) Requires k ≤ i + 1.
 */
export function lmsCoefficients(sigmas: ArrayLike<number>, i: number, k: number): number[] {
  if (!Number.isInteger(k) || k < 1 || k > i + 1) throw new RangeError(`LMS order ${k} needs ${k} past levels at step ${i}`);
  const h = sigmas[i + 1] - sigmas[i];
  const v = Array.from({ length: k }, (_, m) => (sigmas[i - m] - sigmas[i]) / h);
  return v.map((vj, j) => {
    let poly = [1]; // ascending powers of v
    let denom = 1;
    for (let m = 0; m < k; m++) {
      if (m === j) continue;
      const next = new Array<number>(poly.length + 1).fill(0);
      for (let n = 0; n < poly.length; n++) {
        next[n + 1] += poly[n];
        next[n] -= v[m] * poly[n];
      }
      poly = next;
      denom *= vj - v[m];
    }
    return (h * poly.reduce((s, a, n) => s + a / (n + 1), 0)) / denom;
  });
}

/**
 * LMS: dᵢ = (xᵢ − D(xᵢ, σᵢ))/σᵢ, xᵢ₊₁ = xᵢ + Σ_{j<k} cⱼ·dᵢ₋ⱼ with k = min(i + 1, order) and cⱼ from
 * `lmsCoefficients`. One model evaluation per step; a final σ = 0 is an ordinary node of the
 * polynomial (no division by it).
 */
export async function sampleLms(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: LmsOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const { order = 4 } = opts;
  if (!Number.isInteger(order) || order < 1) throw new RangeError(`LMS order must be a positive integer, got ${order}`);
  const ds: Vec[] = []; // newest first
  for (let i = 0; i + 1 < sigmas.length; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i];
    const denoised = await model(x, sigma);
    ds.unshift(lin(1 / sigma, x, -1 / sigma, denoised));
    if (ds.length > order) ds.pop();
    const c = lmsCoefficients(sigmas, i, ds.length);
    x = lin(1, x, ...c.flatMap((cj, j) => [cj, ds[j]]));
    x = await afterStep(opts, { i, x, denoised, t: sigma, tNext: sigmas[i + 1] });
  }
  return x;
}
