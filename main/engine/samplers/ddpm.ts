/**
 * DDPM ancestral sampling (Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models",
 * Algorithm 2; diffusers `DDPMScheduler.step`) in σ form.
 *
 * The posterior q(x_{t′} | x_t, x̂₀) (Ho et al. eq. 6–7) with ᾱ = 1/(1+σ²), ᾱ′ = 1/(1+σ′²), in the
 * VE view x = x_t/√ᾱ, has mean
 *   μ = (σ′²/σ²)·x + (1 − σ′²/σ²)·D(x, σ)
 * (eq. 7's √ᾱ′β_t/(1−ᾱ)·x̂₀ + √α_t(1−ᾱ′)/(1−ᾱ)·x_t, divided by √ᾱ′), and the two fixed variances of
 * §3.2, divided by ᾱ′:
 *   fixed_small  β̃_t/ᾱ′ = σ′²(σ² − σ′²)/σ²            (the true posterior; = DDIM with η = 1)
 *   fixed_large  β_t/ᾱ′  = (σ² − σ′²)(1 + σ′²)/(1 + σ²)  (β_t = 1 − ᾱ/ᾱ′; larger by σ²(1+σ′²)/(σ′²(1+σ²)))
 * fixed_large is not a function of σ alone: it uses the VP embedding α = 1/√(1+σ²).
 */
import { lin } from '../tensor.js';
import type { Denoiser, SamplerOptions, Vec } from './common.js';
import { afterStep, checkCancelled, checkSigmas, noiseOf, sdeMix } from './common.js';

export type DdpmVarianceType = 'fixed_small' | 'fixed_large';

export interface DdpmOptions extends SamplerOptions {
  /** diffusers' `variance_type` (default `fixed_small`; `fixed_small_log` is the same step). */
  varianceType?: DdpmVarianceType;
  /**
   * Add the step's noise on a step to σ′ = 0 as well (default false). diffusers adds noise whenever
   * the current timestep is > 0, so with `fixed_large` and a last timestep t > 0 it adds variance
   * β_t = 1 − ᾱ_t = σ²/(1+σ²) on the last step; `fixed_small`'s variance is 0 there either way.
   */
  finalNoise?: boolean;
}

/** Standard deviation of the DDPM step σ → σ′ in the σ view. */
export function ddpmStd(sigma: number, next: number, varianceType: DdpmVarianceType = 'fixed_small'): number {
  const gap = (sigma - next) * (sigma + next); // σ² − σ′²
  return varianceType === 'fixed_large' ? Math.sqrt((gap * (1 + next * next)) / (1 + sigma * sigma)) : (next * Math.sqrt(gap)) / sigma;
}

/**
 * xᵢ₊₁ = μ + std·z with μ and std above (step i draws noise stream i). Outside the SDE window /
 * mask the step is DDIM's deterministic one, xᵢ₊₁ = D + σᵢ₊₁·(xᵢ − D)/σᵢ. Clipping or thresholding
 * x̂₀ (`clip_sample`, `thresholding`) belongs in the denoiser wrapper.
 */
export async function sampleDdpm(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: DdpmOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const { varianceType = 'fixed_small', finalNoise = false } = opts;
  if (varianceType !== 'fixed_small' && varianceType !== 'fixed_large') {
    throw new RangeError(`unsupported DDPM variance type "${varianceType as string}" (expected fixed_small or fixed_large)`);
  }
  const noise = noiseOf(opts);
  for (let i = 0; i + 1 < sigmas.length; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1];
    const denoised = await model(x, sigma);
    const r = next / sigma;
    const std = next > 0 || finalNoise ? ddpmStd(sigma, next, varianceType) : 0;
    const ancestral = () => (std > 0 ? lin(r * r, x, 1 - r * r, denoised, std, noise(i, x)) : lin(r * r, x, 1 - r * r, denoised));
    x = sdeMix(opts, sigma, () => lin(r, x, 1 - r, denoised), ancestral);
    x = await afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  return x;
}
