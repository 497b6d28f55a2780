/**
 * Inversion for editing: the reference trajectory of an image over a sampling plan's levels.
 *
 * Levels are the plan's σ₀ > σ₁ > … > σ_N = 0 (the engine's VE view, x = x₀ + σ·ε).
 * - `ddim`: deterministic DDIM inversion (Song et al. 2021, §4.3; Mokady et al. 2023, eq. 4),
 *   x_{k−1} = D(x_k, σ_k) + σ_{k−1}·(x_k − D)/σ_k, from the clean image fed in as the state at
 *   σ_{N−1}. N − 1 model evaluations. Sampling the trajectory back reproduces the image only up
 *   to the inversion's error (it assumes D changes little over a step).
 * - `exact`: the DDIM trajectory plus, per sampling step k, the residual
 *   r_k = x_{k+1} − S_k(x_k) that makes the sampler's own deterministic step S_k land on the
 *   reference state again — the per-step noise maps of "An Edit Friendly DDPM Noise Space"
 *   (Huberman-Spiegelglas et al. 2024, eq. 5) and the cycle-consistent inversion of RegionDrag
 *   (Lu et al. 2024, §3.2), here for the deterministic sampler: with the residuals added, sampling
 *   with the same denoiser (guidance scale included) returns the image to rounding error. N more
 *   evaluations; they also give the reference's x̂₀ at every level under the sampling denoiser,
 *   which region guidance compares against.
 */
import type { Vec } from '../tensor.js';
import { lin } from '../tensor.js';
import type { Denoiser } from '../samplers/common.js';
import { checkCancelled, checkSigmas } from '../samplers/common.js';

export type InversionKind = 'exact' | 'ddim';

export interface Trajectory {
  /** σ₀ > … > σ_N = 0. */
  sigmas: Float64Array;
  /** states[k] is the reference state at σ_k; states[N] is the image itself. */
  states: Vec[];
  /** denoised[k]: the reference's x̂₀ at step k (k = 0 … N − 1). */
  denoised: Vec[];
  /** residuals[k] (exact inversion only): added after sampling step k to land on states[k + 1]. */
  residuals?: Vec[];
}

export interface InversionOptions {
  signal?: AbortSignal;
  /** Also evaluate the inversion denoiser at the top level σ₀ (attention memory records step 0 there): one more call. */
  top?: boolean;
  /** Called after each model evaluation of the inversion (for progress). */
  onStep?: (done: number, total: number, denoised: Vec) => void;
}

/** The deterministic DDIM/Euler step σ → σ′ from x with denoised D — the same arithmetic the samplers use. */
export function ddimStep(x: Vec, denoised: Vec, sigma: number, next: number): Vec {
  const r = next / sigma;
  return lin(r, x, 1 - r, denoised);
}

/** Model evaluations an inversion of N steps makes. */
export function inversionEvaluations(kind: InversionKind, steps: number, top = false): number {
  return steps - 1 + (top ? 1 : 0) + (kind === 'exact' ? steps : 0);
}

/**
 * The reference trajectory of `image` over `sigmas` (ending in 0). `invert` is the inversion's
 * denoiser (source prompt, no guidance, as DiffEditor inverts); `sample` is the sampling denoiser,
 * used by the exact kind to record residuals.
 */
export async function invertTrajectory(kind: InversionKind, models: { invert: Denoiser; sample: Denoiser }, image: Vec, sigmas: ArrayLike<number>, opts: InversionOptions = {}): Promise<Trajectory> {
  checkSigmas(sigmas);
  const s = Float64Array.from(sigmas);
  const N = s.length - 1;
  if (s[N] !== 0) throw new RangeError('an edit plan must end at σ = 0');
  const total = inversionEvaluations(kind, N, opts.top);
  let done = 0;
  const states: Vec[] = new Array(N + 1);
  const denoised: Vec[] = new Array(N);
  states[N] = image;
  states[N - 1] = image;
  // The context names the level k each call evaluates, as sampling step k does (attention memory keys on it).
  for (let k = N - 1; k >= 1; k--) {
    checkCancelled(opts.signal);
    const d = await models.invert(states[k], s[k], { step: k });
    denoised[k] = d;
    states[k - 1] = ddimStep(states[k], d, s[k], s[k - 1]);
    opts.onStep?.(++done, total, d);
  }
  if (opts.top) {
    checkCancelled(opts.signal);
    denoised[0] = await models.invert(states[0], s[0], { step: 0 });
    opts.onStep?.(++done, total, denoised[0]);
  } else {
    denoised[0] = denoised[1] ?? image;
  }
  if (kind === 'ddim') return { sigmas: s, states, denoised };
  const residuals: Vec[] = new Array(N);
  for (let k = 0; k < N; k++) {
    checkCancelled(opts.signal);
    const d = await models.sample(states[k], s[k], { step: k });
    denoised[k] = d;
    residuals[k] = lin(1, states[k + 1], -1, ddimStep(states[k], d, s[k], s[k + 1]));
    opts.onStep?.(++done, total, d);
  }
  return { sigmas: s, states, denoised, residuals };
}

/**
 * One deterministic inversion step from σ′ back up to σ > σ′ — the rewind of time travel
 * (DiffEditor, Mou et al. 2024, §3.3: after a step, z_{t−1} is taken back to t by DDIM inversion
 * with one unguided model call and the step is taken again): x = D(x′, σ′) + σ·(x′ − D)/σ′.
 */
export async function rewindStep(model: Denoiser, xNext: Vec, sigmaNext: number, sigma: number): Promise<Vec> {
  if (!(sigmaNext > 0) || !(sigma > sigmaNext)) throw new RangeError(`cannot rewind from σ = ${sigmaNext} to σ = ${sigma}`);
  const d = await model(xNext, sigmaNext);
  return ddimStep(xNext, d, sigmaNext, sigma);
}
