/**
 * DDIM (Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models", eq. 12) and its inversion.
 *
 * In the σ view (x = x_t/√ᾱ_t, σ = √((1−ᾱ_t)/ᾱ_t)) eq. 12 becomes
 *   x_{σ'} = D + σ_down·ε̂ + σ_up·z,  ε̂ = (x − D)/σ,
 * with σ_up = η·√(σ'²(σ² − σ'²)/σ²) — eq. 16's σ_t(η) divided by √ᾱ_{t−1} — and
 * σ_down = √(σ'² − σ_up²). η = 0 is the deterministic DDIM ODE solver (first order in σ,
 * Song et al. eq. 14–15); η = 1 is DDPM's posterior variance.
 */
import { lin } from '../tensor.js';
import type { Denoiser, SamplerOptions, Vec } from './common.js';
import { afterStep, checkCancelled, checkSigmas } from './common.js';
import { sampleEulerAncestral } from './euler.js';

export interface DdimOptions extends SamplerOptions {
  eta?: number;
}

/**
 * In the σ view DDIM(η) is exactly the ancestral Euler step (Karras et al. 2022, §4: "DDIM is
 * Euler's method"), so it shares that implementation; only the default η differs (0 here).
 */
export function sampleDdim(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: DdimOptions = {}): Promise<Vec> {
  return sampleEulerAncestral(model, x, sigmas, { ...opts, eta: opts.eta ?? 0, sNoise: 1 });
}

/**
 * DDIM inversion (Song et al. 2021, §4.3; Mokady et al. 2023, "Null-text Inversion", eq. 4): the
 * deterministic update run towards more noise, x_{σ'} = D(x, σ) + σ'·(x − D(x, σ))/σ, over an
 * increasing list of positive noise levels. A clean latent is fed in as the state at the first
 * (smallest) level — the approximation every DDIM inversion makes.
 */
export async function invertDdim(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: SamplerOptions = {}): Promise<Vec> {
  checkSigmas(Array.from(sigmas).reverse());
  if (!(sigmas[0] > 0)) throw new RangeError('DDIM inversion starts at a positive noise level');
  for (let i = 0; i + 1 < sigmas.length; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1];
    const denoised = await model(x, sigma);
    const r = next / sigma;
    x = lin(r, x, 1 - r, denoised);
    x = await afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  return x;
}
