/**
 * Time-shift sampling against exposure bias (Li, Qu, Yao, Sun & Moens 2024, "Alleviating Exposure
 * Bias in Diffusion Models through Sampling with Shifted Time Steps", ICLR; §4, the Time-Shift
 * Sampler, here on DDIM: TS-DDIM).
 *
 * A sampler's state drifts from the marginal the network was trained on (exposure bias). The
 * paper's remedy changes no weights: before each step above a cutoff timestep t_c, it estimates the
 * state's noise level from its variance and lets the network see the state at the training
 * timestep, within a window of w around the nominal one, whose noise variance matches best:
 *   t_s = argmin_{τ ∈ [t − ⌊w/2⌋, t + ⌊w/2⌋]} | Var(x_t) − (1 − ᾱ_τ) |,
 * where Var is the variance over the elements of the VP state x_t = √ᾱ x₀ + √(1−ᾱ) ε (the data's own
 * variance is neglected, which the cutoff keeps small: ᾱ_t ≪ 1 above it). DDIM's update then starts
 * from t_s: x̂₀ = D(x_t at t_s), and the step goes from t_s to the grid's next level.
 *
 * In the σ view (x = x_t/√ᾱ_t, `common.ts`) re-labelling the state's time keeps the VP state and
 * rescales the VE one: x ← x·√((1 + σ_s²)/(1 + σ²)). The step is then DDIM's (η = 0),
 * x′ = D + (σ′/σ_s)(x − D). The first step is never shifted (the authors' code starts after it:
 * x_T is the prior's own sample).
 *
 * This integrates a different ODE from the probability-flow ODE on purpose, so its benefit shows
 * in the distribution of the images (Fréchet distance), not in the error against the ODE solution:
 * it has no convergence order. One level is chosen per model call: with a batch, the variance is
 * pooled over its rows (the paper chooses per image; a batch of 1 is exactly the paper's rule).
 */
import { lin } from '../tensor.js';
import type { Denoiser, SamplerOptions, Vec } from './common.js';
import { afterStep, checkCancelled, checkSigmas } from './common.js';

export interface TimeShift {
  /** σ of each training timestep t = 0 … N − 1, increasing with t (the pack's training table). */
  trainSigmas: ArrayLike<number>;
  /** Window width w in training timesteps: candidates t − ⌊w/2⌋ … t + ⌊w/2⌋. */
  window: number;
  /** Cutoff timestep t_c: steps whose nominal timestep is at or below it are not shifted. */
  cutoff: number;
}

export interface TimeShiftOptions extends SamplerOptions {
  timeShift: TimeShift;
  /** Rows in x (a batch of images sharing one model call); the variance is pooled over them. */
  batch?: number;
}

/** Check a time-shift setting against its table; throws a RangeError naming the bad field. */
export function checkTimeShift(ts: TimeShift): void {
  const n = ts.trainSigmas.length;
  if (n < 2) throw new RangeError('time shift needs the training σ table (at least two timesteps)');
  for (let t = 0; t < n; t++) {
    const s = ts.trainSigmas[t];
    if (!(Number.isFinite(s) && s > 0) || (t > 0 && !(s > ts.trainSigmas[t - 1]))) {
      throw new RangeError(`time shift: the training σ table must be finite, positive and increasing (at t = ${t})`);
    }
  }
  if (!Number.isInteger(ts.window) || ts.window < 0 || ts.window > n) throw new RangeError(`time shift window must be an integer in 0 … ${n}, got ${ts.window}`);
  if (!Number.isInteger(ts.cutoff) || ts.cutoff < 0 || ts.cutoff >= n) throw new RangeError(`time shift cutoff must be an integer in 0 … ${n - 1}, got ${ts.cutoff}`);
}

/** The training timestep whose σ is nearest to `sigma` in log σ (the table increases with t). */
export function nearestTimestep(trainSigmas: ArrayLike<number>, sigma: number): number {
  let lo = 0, hi = trainSigmas.length - 1;
  if (sigma <= trainSigmas[lo]) return lo;
  if (sigma >= trainSigmas[hi]) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (trainSigmas[mid] <= sigma) lo = mid; else hi = mid;
  }
  return Math.log(sigma / trainSigmas[lo]) <= Math.log(trainSigmas[hi] / sigma) ? lo : hi;
}

/** Mean over the batch's rows of each row's element variance (population variance). */
function pooledVariance(x: Vec, batch: number): number {
  const rows = Math.max(1, batch);
  const len = x.length / rows;
  if (!Number.isInteger(len) || len < 1) throw new RangeError(`a state of ${x.length} values does not split into ${rows} rows`);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let j = r * len; j < (r + 1) * len; j++) mean += x[j];
    mean /= len;
    let ss = 0;
    for (let j = r * len; j < (r + 1) * len; j++) ss += (x[j] - mean) ** 2;
    total += ss / len;
  }
  return total / rows;
}

/**
 * The level the network should see the VE state x (nominally at `sigma`) at: σ of the training
 * timestep in the window around `sigma`'s own whose noise variance 1 − ᾱ_τ = σ_τ²/(1 + σ_τ²) is
 * nearest to the VP state's variance Var(x)/(1 + σ²); `sigma` itself at or below the cutoff.
 */
export function shiftedSigma(x: Vec, sigma: number, ts: TimeShift, batch = 1): number {
  const t = nearestTimestep(ts.trainSigmas, sigma);
  if (t <= ts.cutoff || ts.window < 2) return sigma;
  const v = pooledVariance(x, batch) / (1 + sigma * sigma);
  const half = Math.floor(ts.window / 2);
  const lo = Math.max(0, t - half), hi = Math.min(ts.trainSigmas.length - 1, t + half);
  let best = t, bestGap = Infinity;
  for (let tau = lo; tau <= hi; tau++) {
    const s2 = ts.trainSigmas[tau] ** 2;
    const gap = Math.abs(v - s2 / (1 + s2));
    if (gap < bestGap) { best = tau; bestGap = gap; }
  }
  return best === t ? sigma : ts.trainSigmas[best];
}

/** TS-DDIM (module comment): DDIM (η = 0) whose every step after the first starts from the shifted level. */
export async function sampleDdimTimeShift(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: TimeShiftOptions): Promise<Vec> {
  checkSigmas(sigmas);
  checkTimeShift(opts.timeShift);
  for (let i = 0; i + 1 < sigmas.length; i++) {
    checkCancelled(opts.signal);
    const next = sigmas[i + 1];
    let sigma = sigmas[i];
    if (i > 0) {
      const shifted = shiftedSigma(x, sigma, opts.timeShift, opts.batch);
      if (shifted !== sigma) {
        x = lin(Math.sqrt((1 + shifted * shifted) / (1 + sigma * sigma)), x);
        sigma = shifted;
      }
    }
    const denoised = await model(x, sigma, { step: i });
    const r = next / sigma;
    x = next === 0 ? denoised : lin(r, x, 1 - r, denoised);
    x = await afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  return x;
}
