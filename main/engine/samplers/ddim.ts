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
import { afterStep, ancestralStep, checkCancelled, checkSigmas, noiseOf, sdeMix } from './common.js';

export interface DdimOptions extends SamplerOptions {
  eta?: number;
}

export async function sampleDdim(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: DdimOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const { eta = 0 } = opts;
  const noise = noiseOf(opts);
  for (let i = 0; i + 1 < sigmas.length; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1];
    const denoised = await model(x, sigma);
    const step = (e: number) => {
      const { down, up } = ancestralStep(sigma, next, e);
      // D + σ_down·(x − D)/σ (+ σ_up·z)
      const r = down / sigma;
      return up > 0 ? lin(r, x, 1 - r, denoised, up, noise(i, x)) : lin(r, x, 1 - r, denoised);
    };
    x = eta > 0 ? sdeMix(opts, sigma, () => step(0), () => step(eta)) : step(0);
    x = afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  return x;
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
    x = afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  return x;
}
