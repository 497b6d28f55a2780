/**
 * Euler, Euler ancestral and Heun on the probability-flow ODE dx/dσ = (x − D(x, σ))/σ
 * (Karras et al. 2022, eq. 3 with σ(t) = t, s(t) = 1), in k-diffusion's form.
 */
import { lin } from '../tensor.js';
import type { Denoiser, SamplerOptions, Vec } from './common.js';
import { afterStep, ancestralStep, checkCancelled, checkSigmas, isGiantStep, noiseOf, sdeMix } from './common.js';

/**
 * "Churn" of Karras et al. 2022, Algorithm 2, lines 4–6: raise σ to σ̂ = σ(1 + γ) with
 * γ = min(s_churn/N, √2 − 1) when σ ∈ [s_tmin, s_tmax], adding noise of variance σ̂² − σ².
 */
export interface ChurnOptions extends SamplerOptions {
  sChurn?: number;
  sTmin?: number;
  sTmax?: number;
  sNoise?: number;
}

async function churn(x: Vec, sigma: number, i: number, steps: number, o: ChurnOptions): Promise<[Vec, number]> {
  const { sChurn = 0, sTmin = 0, sTmax = Infinity, sNoise = 1 } = o;
  const gamma = sigma >= sTmin && sigma <= sTmax ? Math.min(sChurn / steps, Math.SQRT2 - 1) : 0;
  if (gamma <= 0) return [x, sigma];
  const sigmaHat = sigma * (1 + gamma);
  const z = noiseOf(o)(i, x);
  return [lin(1, x, sNoise * Math.sqrt(sigmaHat ** 2 - sigma ** 2), z), sigmaHat];
}

/** Euler's method (Karras et al. 2022, Algorithm 2 without the Heun correction): x ← x + (σᵢ₊₁ − σ̂ᵢ)·d. */
export async function sampleEuler(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: ChurnOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const steps = sigmas.length - 1;
  for (let i = 0; i < steps; i++) {
    checkCancelled(opts.signal);
    let sigma: number;
    [x, sigma] = await churn(x, sigmas[i], i, steps, opts);
    const denoised = await model(x, sigma);
    // x + (σ' − σ)(x − D)/σ, written as a combination of x and D.
    const r = sigmas[i + 1] / sigma;
    x = lin(r, x, 1 - r, denoised);
    x = await afterStep(opts, { i, x, denoised, t: sigmas[i], tNext: sigmas[i + 1] });
  }
  return x;
}

export interface AncestralOptions extends SamplerOptions {
  eta?: number;
  sNoise?: number;
}

/**
 * Euler ancestral (k-diffusion `sample_euler_ancestral`): an Euler step to σ_down followed by fresh
 * noise of scale σ_up (see `ancestralStep`); with η = 1 this is DDPM's ancestral sampler
 * (Ho et al. 2020, Algorithm 2) in σ form.
 */
export async function sampleEulerAncestral(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: AncestralOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const { eta = 1, sNoise = 1 } = opts;
  const noise = noiseOf(opts);
  for (let i = 0; i + 1 < sigmas.length; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1];
    const denoised = await model(x, sigma);
    const step = (e: number) => {
      const { down, up } = ancestralStep(sigma, next, e);
      const r = down / sigma;
      return up > 0 ? lin(r, x, 1 - r, denoised, up * sNoise, noise(i, x)) : lin(r, x, 1 - r, denoised);
    };
    x = sdeMix(opts, sigma, () => step(0), () => step(eta));
    x = await afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  return x;
}

/**
 * Heun's second-order method (Karras et al. 2022, Algorithm 1/2): an Euler predictor to σᵢ₊₁ and a
 * trapezoidal corrector x ← x + (σᵢ₊₁ − σ̂)·(d + d′)/2; the last step to σ = 0 stays Euler.
 *
 * Departure (stability guard): a giant step (σ̂/σᵢ₊₁ > `GIANT_STEP_RATIO`) also stays Euler. With
 * d′ − d = (D(x_E, σᵢ₊₁) − D(x, σ̂))·(1/σᵢ₊₁) along the Euler predictor x_E, the corrector adds
 * (σ̂/σᵢ₊₁ − 1)/2 times the change of D across the step — 1,600× on the first step of a
 * cosine-capped `trailing` grid, which inverted the image — where Euler is exact for a constant D.
 */
export async function sampleHeun(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: ChurnOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const steps = sigmas.length - 1;
  for (let i = 0; i < steps; i++) {
    checkCancelled(opts.signal);
    let sigma: number;
    [x, sigma] = await churn(x, sigmas[i], i, steps, opts);
    const next = sigmas[i + 1];
    const denoised = await model(x, sigma);
    const d = lin(1 / sigma, x, -1 / sigma, denoised);
    const euler = lin(1, x, next - sigma, d);
    if (next === 0 || isGiantStep(sigma, next)) {
      x = euler;
    } else {
      const denoised2 = await model(euler, next);
      const d2 = lin(1 / next, euler, -1 / next, denoised2);
      x = lin(1, x, (next - sigma) / 2, d, (next - sigma) / 2, d2);
    }
    x = await afterStep(opts, { i, x, denoised, t: sigmas[i], tNext: next });
  }
  return x;
}
