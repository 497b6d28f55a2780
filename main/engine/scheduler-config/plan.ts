/**
 * The plan type and its construction from a built level list (`makePlan`): the denoiser options,
 * the scales between the VP and VE states, DDIM's step correction, and the separation of repeated
 * levels. See `index.ts` for the conventions.
 */
import type { DynamicThresholding, PredictionType } from '../denoiser.js';
import { dynamicThreshold, timestepLookup } from '../denoiser.js';
import type { DiscreteSchedule } from '../schedules.js';
import { alphaOf } from '../schedules.js';
import type { Denoiser, Sampler, SamplerOptions, StepInfo, Vec } from '../samplers/common.js';
import type { TrainingTables } from './tables.js';
import { sigmaToT } from './tables.js';
import type { SchedulerConfig } from './validate.js';
import { SCHEDULER_CLASSES } from './validate.js';

// ---------------------------------------------------------------------------------------------
// The plan.

/** What to pass to `makeDenoiser` (add `shape`, and guidance if wanted). */
export interface PlanDenoiserOptions {
  prediction: PredictionType;
  timestep: (sigma: number) => number;
  clipRange?: number;
  thresholding?: DynamicThresholding;
}

export interface PlanRunOptions extends SamplerOptions {
  /** Batch size of the latent, needed only when the plan thresholds x̂₀ inside a DDIM step. */
  batch?: number;
}

export interface SchedulerPlan {
  readonly config: SchedulerConfig;
  /** `sample` goes from noise to data; `invert` from data to noise (DDIMInverseScheduler). */
  readonly direction: 'sample' | 'invert';
  /** The training schedule (diffusers' float32 tables). */
  readonly schedule: DiscreteSchedule;
  /** The timesteps the reference scheduler lists after `set_timesteps`, in its order. */
  readonly referenceTimesteps: Float64Array;
  /** The noise levels the sampler visits, strictly monotone, ending at the final level (0 or σ_min). */
  readonly sigmas: Float64Array;
  /** The network time at each level (NaN at a level that is never evaluated). */
  readonly timesteps: Float64Array;
  /** Name of the engine sampler (the catalogue's name where it has one). */
  readonly samplerName: string;
  /**
   * The engine sampler with the config's options bound and the plan's step corrections (DDIM's
   * x̂₀ clipping and landing level, see the module comment in `index.ts`); call it with `sigmas` (`run` does).
   */
  readonly sampler: Sampler<PlanRunOptions>;
  readonly denoiser: PlanDenoiserOptions;
  /** x = x_VP·initialScale at the first level: √(1 + σ₀²). */
  readonly initialScale: number;
  /** x_VP = outputScale·x at the last level: α(σ_end). */
  readonly outputScale: number;
  /** Where the plan knowingly differs from the reference scheduler. */
  readonly notes: readonly string[];
  /** The VE state for a VP sample at the first level. */
  fromVp(xVp: Vec): Vec;
  /** The VP sample for the VE state at the last level. */
  toVp(x: Vec): Vec;
  /** `sampler(model, x, sigmas, opts)`: from the VE state x at sigmas[0] to the state at the last level. */
  run(model: Denoiser, x: Vec, opts?: PlanRunOptions): Promise<Vec>;
  /** The same plan entered at level `index` (img2img strength, the reference's `timesteps[index:]`). */
  startingAt(index: number): SchedulerPlan;
}

export interface PlanOptions {
  /** Use this engine sampler instead of the class's own solver (see `planForSampler`). */
  sampler?: string;
}

/** The relative shift that separates a repeated level from its neighbour. */
const REPEAT_SHIFT = 2 ** -40;
/** The level standing for ᾱ = 1 (σ = 0) at the start of an inversion: α(σ) = 1 exactly, yet ε̂ = (x − D)/σ is recoverable. */
export const CLEAN_SIGMA = 2 ** -27;

/** How the plan's sampler is built for a run starting at grid index `from` (with notes where it cannot follow the reference). */
export type SamplerFactory = (from: number) => { run: Sampler; notes?: string[] };

export interface Built {
  referenceTimesteps: number[];
  sigmas: number[];
  timesteps: number[];
  /** Extra (σ, t) pairs the sampler evaluates off the grid (PNDM's half steps). */
  extra?: [number, number][];
  samplerName: string;
  make: SamplerFactory;
  /** DDIM family: where the reference lands at the end of step i, if not sigmas[i + 1]. */
  land?: number[];
  /** DDIM family: clip / threshold x̂₀ in the step correction instead of in the denoiser. */
  ddimX0?: boolean;
  /** Run in float64 (an inversion that starts at CLEAN_SIGMA). */
  float64?: boolean;
  notes: string[];
}

/** One builder per scheduler class (`classes.ts`): the class's levels and sampler for n inference steps. */
export type Builder = (cfg: SchedulerConfig, n: number, tables: TrainingTables) => Built;

export function isValidated(c: unknown): c is SchedulerConfig {
  return typeof c === 'object' && c !== null && (SCHEDULER_CLASSES as readonly unknown[]).includes((c as SchedulerConfig)._class_name) && 'timestep_scaling' in c;
}

/** Keys a class does not read keep their neutral values (thresholding and clip_sample false), so these tests need no class check. */
function denoiserOptions(cfg: SchedulerConfig, timestep: (s: number) => number, inDenoiser: boolean): PlanDenoiserOptions {
  const o: PlanDenoiserOptions = { prediction: cfg.prediction_type, timestep };
  if (!inDenoiser) return o;
  if (cfg.thresholding) o.thresholding = { ratio: cfg.dynamic_thresholding_ratio, maxValue: cfg.sample_max_value };
  else if (cfg.clip_sample) o.clipRange = cfg.clip_sample_range;
  return o;
}

export function makePlan(cfg: SchedulerConfig, tables: TrainingTables, b: Built, from: number): SchedulerPlan {
  if (!Number.isInteger(from) || from < 0 || from >= b.sigmas.length - 1) {
    throw new RangeError(`startingAt(${from}): the plan has levels 0 … ${b.sigmas.length - 2} to start from`);
  }
  const sigmas = Float64Array.from(b.sigmas.slice(from));
  const timesteps = Float64Array.from(b.timesteps.slice(from));
  const land = b.land?.slice(from);
  const keys = [...b.sigmas, ...(b.extra ?? []).map(([s]) => s)];
  const times = [...b.timesteps, ...(b.extra ?? []).map(([, t]) => t)];
  const fallback = (s: number) => sigmaToT(tables, s);
  const timestep = timestepLookup(keys, times, fallback);
  const denoiser = denoiserOptions(cfg, timestep, !b.ddimX0);
  const { run: solver, notes: runNotes = [] } = b.make(from);
  const first = sigmas[0], last = sigmas[sigmas.length - 1];
  const initialScale = Math.sqrt(1 + first * first);
  const outputScale = alphaOf(last);
  const x0 = b.ddimX0 ? x0Transform(cfg) : undefined;
  // The solver with the plan's step corrections (DDIM's x̂₀ and landing level) and its precision.
  const sampler: Sampler<PlanRunOptions> = async (model, x, levels, runOpts = {}) => {
    if (levels.length !== sigmas.length || levels[0] !== sigmas[0] || levels[levels.length - 1] !== sigmas[sigmas.length - 1]) {
      throw new RangeError('a plan\'s sampler is bound to the plan\'s own levels: pass plan.sigmas (or use plan.run)');
    }
    const correct = ddimCorrection(land, x0, runOpts.batch);
    const callback = correct || runOpts.callback ? async (info: StepInfo) => {
      let step = info;
      if (correct) {
        const fixed = correct(info);
        step = { ...info, x: fixed.x, denoised: fixed.denoised };
      }
      const replaced = await runOpts.callback?.(step);
      return replaced ?? (correct ? step.x : undefined);
    } : undefined;
    const start = b.float64 && !(x instanceof Float64Array) ? Float64Array.from(x) : x;
    const out = await solver(model, start, levels, { ...runOpts, callback });
    return x instanceof Float32Array && out instanceof Float64Array ? Float32Array.from(out) : out;
  };
  const plan: SchedulerPlan = {
    config: cfg,
    direction: cfg._class_name === 'DDIMInverseScheduler' ? 'invert' : 'sample',
    schedule: tables.schedule,
    referenceTimesteps: Float64Array.from(b.referenceTimesteps),
    sigmas,
    timesteps,
    samplerName: b.samplerName,
    sampler,
    denoiser,
    initialScale,
    outputScale,
    notes: [...b.notes, ...runNotes],
    fromVp: (xVp) => scale(xVp, initialScale),
    toVp: (x) => scale(x, outputScale),
    run: (model, x, runOpts) => sampler(model, x, sigmas, runOpts),
    startingAt: (index) => makePlan(cfg, tables, b, from + index),
  };
  return plan;
}

function scale<V extends Vec>(x: V, c: number): V {
  const out = (x instanceof Float64Array ? new Float64Array(x.length) : new Float32Array(x.length)) as V;
  for (let j = 0; j < x.length; j++) out[j] = c * x[j];
  return out;
}

type X0Transform = (d: Vec, batch: number | undefined) => Vec;

function x0Transform(cfg: SchedulerConfig): X0Transform | undefined {
  if (cfg.thresholding) {
    const th = { ratio: cfg.dynamic_thresholding_ratio, maxValue: cfg.sample_max_value };
    return (d, batch) => {
      if (batch === undefined) throw new RangeError('this plan thresholds x̂₀ per sample inside the DDIM step: pass { batch } to run()');
      const out = d.slice();
      dynamicThreshold(out, batch, th);
      return out;
    };
  }
  if (cfg.clip_sample) {
    const r = cfg.clip_sample_range;
    return (d) => d.map((v) => Math.min(r, Math.max(-r, v))) as Vec;
  }
  return undefined;
}

/**
 * The DDIM step as the reference takes it (see the module comment in `index.ts`), from the step the sampler
 * took with the unclipped D: with ε̂ = (x' − D)/σ', the reference's x̂₀ = T(D) and its landing level
 * σ_p, x'' = (α(σ_p)/α(σ'))·(T(D) + σ_p·ε̂). The callback's `denoised` becomes T(D).
 */
function ddimCorrection(land: number[] | undefined, x0: X0Transform | undefined, batch: number | undefined): ((s: StepInfo) => { x: Vec; denoised: Vec }) | undefined {
  if (!x0 && !land?.some((p) => !Number.isNaN(p))) return undefined;
  return ({ i, x, denoised, tNext }) => {
    const target = land?.[i] ?? NaN;
    const p = Number.isNaN(target) ? tNext : target;
    const t = x0 ? x0(denoised, batch) : denoised;
    if (p === tNext && !x0) return { x, denoised };
    const out = x.slice() as Vec;
    const k = alphaOf(p) / alphaOf(tNext);
    for (let j = 0; j < x.length; j++) {
      const eps = tNext > 0 ? (x[j] - denoised[j]) / tNext : 0;
      out[j] = k * (t[j] + p * eps);
    }
    return { x: out, denoised: t };
  };
}

// ---------------------------------------------------------------------------------------------
// Level lists with repeats: drop identity steps, separate the others.

export interface Grid {
  sigmas: number[];
  timesteps: number[];
  /** Step indices (into the original list) that were dropped. */
  dropped: number[];
}

/**
 * Make a level list strictly monotone. A step i with sigmas[i] = sigmas[i + 1] is dropped when
 * `keep(i)` is false (it is the identity; the level keeps the timestep of the step that evaluates
 * it next) and otherwise its end level is moved by REPEAT_SHIFT in the direction of travel. The
 * only step of a one-step list is never dropped (a plan needs two levels).
 */
export function separate(sigmas: number[], timesteps: number[], keep: (i: number) => boolean, direction: 'down' | 'up' = 'down'): Grid {
  const s: number[] = [sigmas[0]], t: number[] = [timesteps[0]];
  const dropped: number[] = [];
  const down = direction === 'down';
  for (let i = 0; i + 1 < sigmas.length; i++) {
    const next = sigmas[i + 1];
    if (next === sigmas[i]) {
      if (!keep(i) && sigmas.length > 2) {
        // The merged level is evaluated by the step after the dropped one, at its timestep.
        if (!Number.isNaN(timesteps[i + 1])) t[t.length - 1] = timesteps[i + 1];
        dropped.push(i);
        continue;
      }
      s.push(next * (down ? 1 - REPEAT_SHIFT : 1 + REPEAT_SHIFT));
      // A moved repeat is still the same training level: where it has no timestep of its own, it has its twin's.
      t.push(Number.isNaN(timesteps[i + 1]) ? timesteps[i] : timesteps[i + 1]);
      continue;
    }
    s.push(next);
    t.push(timesteps[i + 1]);
  }
  return { sigmas: s, timesteps: t, dropped };
}
