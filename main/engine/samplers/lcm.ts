/**
 * Multistep consistency sampling (Song, Dhariwal, Chen & Sutskever 2023, "Consistency Models",
 * Algorithm 1; Luo et al. 2023, "Latent Consistency Models", Algorithm 1 / diffusers `LCMScheduler`).
 */
import { lin } from '../tensor.js';
import type { Denoiser, SamplerOptions, Vec } from './common.js';
import { afterStep, checkCancelled, checkSigmas, noiseOf, sdeMix } from './common.js';

/** Boundary-condition scalings of the consistency function f(x, σ) = c_skip·x + c_out·D(x, σ). */
export interface ConsistencyBoundary {
  cSkip: number;
  cOut: number;
}

export interface LcmOptions extends SamplerOptions {
  /**
   * c_skip and c_out at σ, in the σ (VE) view; default c_skip = 0, c_out = 1 (f = D). diffusers'
   * `LCMScheduler` mixes the VP sample x_t = α·x (α = 1/√(1+σ²)): with its discrete-time scalings
   * (LCM eq. 7 with `timestep_scaling` s, σ_data = 0.5, t the model timestep of σ)
   *   c_skip(t) = σ_data²/((s·t)² + σ_data²),  c_out(t) = s·t/√((s·t)² + σ_data²),
   * this option is σ ↦ { cSkip: c_skip(t)·α(σ), cOut: c_out(t) }.
   */
  boundary?: (sigma: number) => ConsistencyBoundary;
}

const identity: ConsistencyBoundary = { cSkip: 0, cOut: 1 };

/**
 * LCM multistep sampling: at each level σᵢ the consistency output fᵢ = c_skip·xᵢ + c_out·D(xᵢ, σᵢ)
 * is re-noised to the next level with fresh noise, xᵢ₊₁ = fᵢ + σᵢ₊₁·z (diffusers:
 * √ᾱ′·f + √(1−ᾱ′)·z, divided by √ᾱ′); a step to σ = 0 returns fᵢ, diffusers' last step. Outside
 * the SDE window / mask the re-noising is deterministic, xᵢ₊₁ = fᵢ + σᵢ₊₁·(xᵢ − D)/σᵢ (DDIM with the
 * consistency output). Step i draws noise stream i. The callback's `denoised` is fᵢ.
 */
export async function sampleLcm(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: LcmOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const { boundary = () => identity } = opts;
  const noise = noiseOf(opts);
  for (let i = 0; i + 1 < sigmas.length; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1];
    const denoised = await model(x, sigma);
    const { cSkip, cOut } = boundary(sigma);
    const f = cSkip === 0 && cOut === 1 ? denoised : lin(cSkip, x, cOut, denoised);
    const r = next / sigma;
    x = next === 0 ? f : sdeMix(opts, sigma, () => lin(1, f, r, x, -r, denoised), () => lin(1, f, next, noise(i, x)));
    x = await afterStep(opts, { i, x, denoised: f, t: sigma, tNext: next });
  }
  return x;
}
