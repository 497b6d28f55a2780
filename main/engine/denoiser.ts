/**
 * The model wrapper: turns a network of any parameterisation into the one denoiser
 * D(x, σ) ≈ E[x₀ | x] that every sampler integrates (the layer DPM-Solver calls `model_wrapper`,
 * Lu et al. 2022, App. C; Karras et al. 2022, §5 and Table 1 for the preconditioning).
 *
 * For a VP network at VE noise level σ: the network input is x_VP = α·x with α = 1/√(1+σ²), its
 * time input is the schedule's t(σ), and its output is converted to x₀:
 *   ε-prediction:      x₀ = x − σ·ε                                  (Ho et al. 2020, eq. 15)
 *   v-prediction:      x₀ = α²·x − σ^{VP}·v, σ^{VP} = σ·α            (Salimans & Ho 2022, §4)
 *   sample prediction: x₀ = output
 * Classifier-free guidance (Ho & Salimans 2022, eq. 6) combines the unconditional and conditional
 * outputs, ô = o_u + w·(o_c − o_u), from one batched network call on [uncond; cond]; because the
 * conversion to x₀ is affine in the output with shared coefficients, guiding the raw output and
 * guiding x₀ are the same. x₀ is then optionally clipped or dynamically thresholded
 * (Saharia et al. 2022, "Imagen", §2.3).
 */
import type { Tensor, Vec } from './tensor.js';
import { numel } from './tensor.js';
import type { Denoiser, DenoiseContext, MemoryCall } from './samplers/common.js';
import { alphaOf } from './schedules.js';

export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';

/**
 * One network evaluation. `x` is the scaled network input (batch B, or 2B when guidance is on:
 * unconditional first, then conditional — the network closure supplies the matching
 * conditioning), `t` the network's time for the current noise level, `memory` the call's
 * attention memory (passed through from the denoiser's context). Returns the raw output, same
 * shape as `x`.
 */
export type Network = (x: Tensor<Float32Array>, t: number, memory?: MemoryCall) => Promise<Float32Array>;

export interface DynamicThresholding {
  /** Quantile of |x₀| per sample (Imagen uses 0.995). */
  ratio: number;
  /** Upper bound of the threshold s (diffusers `sample_max_value`). */
  maxValue: number;
}

export interface DenoiserOptions {
  prediction: PredictionType;
  /** Shape of the latent the sampler integrates, [B, C, H, W]. */
  shape: readonly number[];
  /** Network time for a noise level (the schedule's t(σ), or an exact lookup). */
  timestep: (sigma: number) => number;
  /** Classifier-free guidance scale w; guidance is off (single batch) when omitted or ≤ 1. */
  guidanceScale?: number;
  /**
   * Evaluate both branches in one call even without guidance, and return the conditional one's
   * output exactly: attention memory records each branch's keys and values during an unguided
   * inversion (the network closure supplies [unconditional; conditional] conditioning).
   */
  bothBranches?: boolean;
  /** Clip x₀ to [−r, r] (diffusers `clip_sample` with `clip_sample_range`). */
  clipRange?: number;
  thresholding?: DynamicThresholding;
}

/** Whether a guidance scale needs the unconditional branch. */
export const usesGuidance = (scale: number | undefined): boolean => scale !== undefined && scale > 1;

export function makeDenoiser(network: Network, opts: DenoiserOptions): Denoiser {
  const { prediction, shape } = opts;
  const size = numel(shape);
  const guided = usesGuidance(opts.guidanceScale) || opts.bothBranches === true;
  const w = usesGuidance(opts.guidanceScale) ? opts.guidanceScale! : 1;
  if (!['epsilon', 'v_prediction', 'sample'].includes(prediction)) {
    throw new RangeError(`unknown prediction_type "${prediction}" (expected epsilon, v_prediction or sample)`);
  }
  return async (x: Vec, sigma: number, ctx?: DenoiseContext): Promise<Vec> => {
    if (x.length !== size) throw new RangeError(`latent has ${x.length} values, the denoiser expects ${size}`);
    const a = alphaOf(sigma);
    const input = new Float32Array(guided ? 2 * size : size);
    for (let j = 0; j < size; j++) input[j] = a * x[j];
    if (guided) input.copyWithin(size, 0, size);
    const netShape = guided ? [2 * shape[0], ...shape.slice(1)] : [...shape];
    const raw = await network({ data: input, shape: netShape }, opts.timestep(sigma), ctx?.memory);
    if (raw.length !== input.length) {
      throw new RangeError(`network returned ${raw.length} values for an input of ${input.length}`);
    }
    const out = x instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
    const sVp = sigma * a;
    for (let j = 0; j < size; j++) {
      const o = !guided ? raw[j] : w === 1 ? raw[size + j] : raw[j] + w * (raw[size + j] - raw[j]);
      out[j] =
        prediction === 'epsilon' ? x[j] - sigma * o : prediction === 'v_prediction' ? a * a * x[j] - sVp * o : o;
    }
    if (opts.clipRange !== undefined) clip(out, opts.clipRange);
    if (opts.thresholding) dynamicThreshold(out, shape[0], opts.thresholding);
    return out;
  };
}

function clip(x: Vec, r: number): void {
  for (let j = 0; j < x.length; j++) x[j] = Math.min(r, Math.max(-r, x[j]));
}

/**
 * Imagen's dynamic thresholding (Saharia et al. 2022, §2.3), per sample: s = quantile(|x₀|, p),
 * clamped to [1, maxValue], then x₀ ← clamp(x₀, −s, s)/s. The quantile interpolates linearly
 * between order statistics, as `torch.quantile` does.
 */
export function dynamicThreshold(x: Vec, batch: number, { ratio, maxValue }: DynamicThresholding): void {
  const per = x.length / batch;
  for (let b = 0; b < batch; b++) {
    const part = x.subarray(b * per, (b + 1) * per);
    const sorted = Float64Array.from(part, Math.abs).sort();
    const pos = ratio * (per - 1);
    const lo = Math.floor(pos);
    const q = lo + 1 < per ? sorted[lo] + (pos - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
    const s = Math.min(maxValue, Math.max(1, q));
    for (let j = 0; j < per; j++) part[j] = Math.min(s, Math.max(-s, part[j])) / s;
  }
}

/**
 * The network time for σ: exact for the σ's of a planned timestep list (so an integer timestep
 * comes back as itself, whatever interpolation produced its σ), the schedule's inverse otherwise.
 */
export function timestepLookup(sigmas: ArrayLike<number>, timesteps: ArrayLike<number>, fallback: (sigma: number) => number): (sigma: number) => number {
  const table = new Map<number, number>();
  for (let i = 0; i < Math.min(sigmas.length, timesteps.length); i++) table.set(sigmas[i], timesteps[i]);
  return (sigma) => table.get(sigma) ?? fallback(sigma);
}
