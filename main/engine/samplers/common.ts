/**
 * What every sampler shares: the denoiser it integrates, its options, the per-step callback, and
 * the pieces of stochastic sampling (noise, the ODE/SDE window and mask).
 *
 * Conventions (Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative
 * Models", §2): x is the variance-exploding view x = x₀ + σ·ε of the latent; a model of any
 * parameterisation is wrapped into a denoiser D(x, σ) ≈ E[x₀ | x] (see `denoiser.ts`); a sampler
 * walks a decreasing list of noise levels `sigmas` and returns x at the last one (σ = 0 gives the
 * clean sample). The probability-flow ODE is dx/dσ = (x − D(x, σ))/σ (eq. 3 with σ(t) = t).
 */
import type { Vec } from '../tensor.js';
import { blend } from '../tensor.js';
import type { NoiseSource } from '../random.js';
import { seededNoise } from '../random.js';

export type { Vec } from '../tensor.js';

/**
 * What the sampling loop tells a denoiser about the call it is making (`sampleWithHooks` fills
 * it; a sampler run on its own passes none). Guidance and attention memory key on it.
 */
export interface DenoiseContext {
  /** Index of the step in progress in the full level list (0 … sigmas.length − 2). */
  step: number;
  /** What the network call does with attention memory (editing; see `MemoryCall`). */
  memory?: MemoryCall;
}

/**
 * Attention memory for one network call (docs/attention-memory.md; the memory bank of
 * DragonDiffusion/DiffEditor, Mou et al. 2023/2024, and MasaCtrl's mutual self-attention, Cao et
 * al. 2023): which self-attention layers attend to recorded keys and values, and which layers'
 * own keys and values to hand back. Layers are the indices of the pack's attention-memory map.
 */
export interface MemoryCall {
  /** Layers that attend to a reference; every other layer attends to its own K, V (off). */
  inject?: readonly LayerInjection[];
  /** Layers whose own K, V (every batch row) are handed to `sink`. */
  record?: { layers: readonly number[]; sink: (layer: number, kv: LayerKV) => void };
}

/**
 * One layer's keys and values, token-major: k is [rows, tokens, C], v is [rows, tokens, Cv]. One
 * row per batch row of the recording call — under classifier-free guidance the unconditional and
 * the conditional branch, so each branch can later attend to its own.
 */
export interface LayerKV {
  k: Float32Array;
  v: Float32Array;
  tokens: number;
  /** Batch rows (default 1). */
  rows?: number;
}

/**
 * What one layer attends to. A reference of as many rows as the call's batch gives each row its
 * own; one row is shared by all; a two-row reference (both guidance branches) in a one-row call
 * (sampling without guidance) gives it the conditional row.
 */
export interface LayerInjection {
  layer: number;
  /** replace: attend to the reference only; concat: to [own ‖ reference]. */
  mode: 'replace' | 'concat';
  reference: LayerKV;
  /** Added to the reference keys' scores, one per reference token: 0 takes part, −1e4 does not. */
  bias: Float32Array;
}

/** D(x, σ): the denoised estimate of x₀ from x at noise level σ. */
export type Denoiser = (x: Vec, sigma: number, ctx?: DenoiseContext) => Promise<Vec>;

/** What a sampler reports after each step. `t` is the noise level σᵢ (EDM's time, t = σ). */
export interface StepInfo {
  /** Step index, 0 … sigmas.length − 2. */
  i: number;
  /** The state after the step, at noise level `tNext`. */
  x: Vec;
  /** The denoised estimate the step was built on (a free preview of the final image). */
  denoised: Vec;
  t: number;
  tNext: number;
}

/**
 * Where stochasticity is allowed: the mixed ODE–SDE mode. A step σᵢ → σᵢ₊₁ is stochastic only if
 * σᵢ lies in [window.sigmaMin, window.sigmaMax] and, per element, only where `mask` is 1 (soft
 * masks blend the stochastic and the deterministic update). Elsewhere the same sampler takes its
 * deterministic (η = 0) step. This is the local SDE injection of DiffEditor (Mou et al. 2024, §3.3).
 */
export interface SdeRegion {
  window?: { sigmaMin: number; sigmaMax: number };
  mask?: Vec;
}

export interface SamplerOptions {
  /**
   * Called after every step, and awaited. It may return a replacement for the state the sampler
   * continues from — how inpainting by latent blending and edits between steps reach into the
   * loop; the sampler's multistep history (its model outputs) is kept. It may call the model
   * (guidance, time travel); to rewind and redo steps, see `sampleWithHooks`.
   */
  callback?: (step: StepInfo) => Vec | void | Promise<Vec | void>;
  /** Cancellation, checked between steps. */
  signal?: AbortSignal;
  /** Standard normal noise for stochastic samplers; defaults to `seededNoise(0)`. */
  noise?: NoiseSource;
  /** Restrict stochastic steps to a window of noise levels and a mask (mixed ODE–SDE). */
  sde?: SdeRegion;
}

export type Sampler<O extends SamplerOptions = SamplerOptions> = (
  model: Denoiser,
  x: Vec,
  sigmas: ArrayLike<number>,
  opts?: O,
) => Promise<Vec>;

/** Report a step and return the state to continue from (the callback's replacement, if any). */
export async function afterStep(opts: SamplerOptions | undefined, step: StepInfo): Promise<Vec> {
  const replaced = await opts?.callback?.(step);
  if (replaced && replaced.length !== step.x.length) {
    throw new RangeError(`step callback returned ${replaced.length} values for a state of ${step.x.length}`);
  }
  return replaced ?? step.x;
}

/** Throw if the caller cancelled (between steps). */
export function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new DOMException('Sampling cancelled', 'AbortError');
  }
}

/** Validate a σ list: at least two entries, finite, non-negative, strictly decreasing. */
export function checkSigmas(sigmas: ArrayLike<number>): void {
  if (sigmas.length < 2) throw new RangeError('sigmas needs at least two noise levels (one step)');
  for (let i = 0; i < sigmas.length; i++) {
    const s = sigmas[i];
    if (!Number.isFinite(s) || s < 0) throw new RangeError(`sigmas[${i}] = ${s} is not a finite non-negative number`);
    if (i > 0 && !(s < sigmas[i - 1])) {
      throw new RangeError(`sigmas must decrease strictly (sigmas[${i - 1}] = ${sigmas[i - 1]}, sigmas[${i}] = ${s})`);
    }
  }
}

/**
 * The largest σ ratio of one step that higher-order corrections are trusted on. Beyond it a step is
 * a giant step, and the families whose higher-order weights grow with the ratio take their
 * first-order step there instead (`isGiantStep`).
 *
 * Why: for a step σ → σ′ with r = σ/σ′, Heun's trapezoid weight multiplies the change of D across the
 * step by (r − 1)/2, a noise-prediction (ε) exponential integrator's by about r^{r₁}/(2r₁), and
 * polynomial extrapolation of a multistep history reaches over many units of λ = −log σ where D is
 * not a polynomial. The first-order step (DDIM: x′ = D + (σ′/σ)(x − D)) is exact for a constant D and
 * its error is bounded by the change of D. Giant steps arise where a schedule's σ_max is huge: a
 * cosine schedule with β capped at 0.999 has σ(T) ≈ 2·10⁴ and its `trailing` grid jumps to σ ≈ 3–13
 * (r ≈ 1,600–6,500); Karras grids on it end with r ≈ 1,600 at 5 steps. Sane grids stay far below
 * 100: the diffusers reference loops reach 40 (Heun) and 7.4 (singlestep, UniPC), Karras
 * 80 → 0.002 with 5 steps 85 on its last positive step.
 */
export const GIANT_STEP_RATIO = 100;

/** Whether σ → σ′ is a giant step (σ′ > 0 and σ/σ′ > `GIANT_STEP_RATIO`); a step to σ′ = 0 is first order anyway. */
export function isGiantStep(sigma: number, next: number): boolean {
  return next > 0 && sigma > GIANT_STEP_RATIO * next;
}

/** The noise source a stochastic sampler draws from. */
export function noiseOf(opts: SamplerOptions | undefined): NoiseSource {
  return opts?.noise ?? seededNoise(0);
}

/** Whether step i (from noise level σ) may be stochastic under `opts.sde`. */
export function inSdeWindow(opts: SamplerOptions | undefined, sigma: number): boolean {
  const w = opts?.sde?.window;
  return !w || (sigma >= w.sigmaMin && sigma <= w.sigmaMax);
}

/**
 * Combine a step's stochastic and deterministic results under the SDE region: inside the window
 * the mask chooses per element (all stochastic without a mask); outside it, deterministic.
 * `stochastic` is only called when some element needs it.
 */
export function sdeMix<V extends Vec>(opts: SamplerOptions | undefined, sigma: number, deterministic: () => V, stochastic: () => V): V {
  if (!inSdeWindow(opts, sigma)) return deterministic();
  const mask = opts?.sde?.mask;
  if (!mask) return stochastic();
  if (mask.length === 0) throw new RangeError('sde.mask is empty');
  return blend(mask, stochastic(), deterministic());
}

/** `sdeMix` for steps whose candidates need model calls: only the candidates used are computed. */
export async function sdeMixAsync<V extends Vec>(opts: SamplerOptions | undefined, sigma: number, deterministic: () => Promise<V>, stochastic: () => Promise<V>): Promise<V> {
  if (!inSdeWindow(opts, sigma)) return deterministic();
  if (!opts?.sde?.mask) return stochastic();
  const [d, s] = [await deterministic(), await stochastic()];
  return sdeMix(opts, sigma, () => d, () => s);
}

/**
 * Ancestral step split (k-diffusion `get_ancestral_step`; Song et al. 2021 DDIM eq. 16 in σ form):
 * σ_up = min(σ_next, η·√(σ_next²(σ² − σ_next²)/σ²)), σ_down = √(σ_next² − σ_up²).
 */
export function ancestralStep(sigma: number, sigmaNext: number, eta: number): { down: number; up: number } {
  if (sigmaNext === 0 || eta === 0) return { down: sigmaNext, up: 0 };
  const up = Math.min(sigmaNext, eta * Math.sqrt((sigmaNext ** 2 * (sigma ** 2 - sigmaNext ** 2)) / sigma ** 2));
  return { down: Math.sqrt(sigmaNext ** 2 - up ** 2), up };
}
