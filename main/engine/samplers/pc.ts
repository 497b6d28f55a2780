/**
 * Predictor–corrector sampling (Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021,
 * "Score-Based Generative Modeling through Stochastic Differential Equations", Algorithms 2–5) in σ
 * form, with the score ∇ log p_σ(x) = (D(x, σ) − x)/σ².
 */
import { lin, rms } from '../tensor.js';
import type { Denoiser, SamplerOptions, Vec } from './common.js';
import { afterStep, checkCancelled, checkSigmas, inSdeWindow, isGiantStep, noiseOf, sdeMix } from './common.js';

export interface PcOptions extends SamplerOptions {
  /** Target signal-to-noise ratio r of the Langevin corrector (default 0.16, the paper's VE setting). */
  snr?: number;
  /** Langevin corrector steps M per noise level (default 1; 0 gives the reverse-diffusion predictor alone). */
  correctorSteps?: number;
  /** α of Algorithm 5's step size at σ (default 1; VP: 1 − β at the model timestep of σ). */
  langevinAlpha?: (sigma: number) => number;
}

/**
 * Step i, σ = σᵢ → σ′ = σᵢ₊₁:
 * - predictor, reverse diffusion (Algorithm 2's predictor lines; the reverse diffusion sampler of App. E):
 *   x ← x + (σ² − σ′²)·∇ log p_σ(x) + √(σ² − σ′²)·z = (σ′²/σ²)·x + (1 − σ′²/σ²)·D + √(σ² − σ′²)·z;
 * - M Langevin corrector steps at σ′ (Algorithm 4/5): g = (D(x, σ′) − x)/σ′²,
 *   ε = 2α(r·‖z‖/‖g‖)², x ← x + ε·g + √(2ε)·z.
 * Noise streams: step i draws stream (M + 1)·i for the predictor and (M + 1)·i + j for corrector step
 * j = 1 … M (with M = 1: 2i and 2i + 1). The norms are taken over the whole array (score-SDE averages
 * per-sample norms over a batch; equal for one sample). A step to σ′ = 0 returns the predictor's
 * mean, D (score-SDE's `denoise`), with no corrector. Outside the SDE window / mask the step is
 * DDIM's deterministic one, x ← D + σ′·(x − D)/σ, and no corrector runs there.
 *
 * Departure (stability guard): on a giant step (σ/σ′ > `GIANT_STEP_RATIO`) the predictor's noise is
 * that of the exact Gaussian posterior, σ′·√(1 − σ′²/σ²) (DDPM's, Ho et al. eq. 7), of which the
 * reverse-diffusion variance σ² − σ′² is the small-step limit: over a giant step the latter leaves
 * noise of scale σ at level σ′ ≪ σ (σ ≈ 2·10⁴ at σ′ ≈ 6 on a cosine-capped `trailing` grid).
 */
export async function samplePc(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: PcOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const { snr = 0.16, correctorSteps: m = 1, langevinAlpha = () => 1 } = opts;
  if (!Number.isInteger(m) || m < 0) throw new RangeError(`correctorSteps must be a non-negative integer, got ${m}`);
  const noise = noiseOf(opts);
  for (let i = 0; i + 1 < sigmas.length; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1];
    const denoised = await model(x, sigma);
    const r = next / sigma;
    const ode = lin(r, x, 1 - r, denoised);
    let sde = ode;
    if (inSdeWindow(opts, sigma)) {
      const std = Math.sqrt((sigma - next) * (sigma + next)) * (isGiantStep(sigma, next) ? r : 1);
      sde = next === 0 ? denoised : lin(r * r, x, 1 - r * r, denoised, std, noise((m + 1) * i, x));
      for (let j = 1; j <= m && next > 0; j++) {
        const d = await model(sde, next);
        const z = noise((m + 1) * i + j, x);
        const gNorm = rms(d, sde) / next ** 2;
        if (!(gNorm > 0)) continue;
        const eps = 2 * langevinAlpha(next) * ((snr * rms(z)) / gNorm) ** 2;
        sde = lin(1 - eps / next ** 2, sde, eps / next ** 2, d, Math.sqrt(2 * eps), z);
      }
    }
    x = sdeMix(opts, sigma, () => ode, () => sde);
    x = await afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  return x;
}
