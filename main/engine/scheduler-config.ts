/**
 * From a diffusers `scheduler/scheduler_config.json` to a sampling plan for this engine.
 *
 * A diffusers scheduler is a stateful class that owns its σ schedule, its solver and its step
 * counter. Here the three are kept apart: the config is validated (`validateSchedulerConfig`),
 * its discrete training schedule and its list of noise levels are computed exactly as the class's
 * `set_timesteps` computes them (float32 tables, numpy's `linspace`/`arange`/`interp`, `round`
 * half to even), and the update rule is one of the engine's samplers with its options fixed from
 * the config. Running the plan with `makeDenoiser` and the network then reproduces the reference
 * scheduler's loop; `test/reference/diffusers-schedulers.test.ts` pins that to the published values
 * of diffusers' own test suite.
 *
 * Conventions (see `schedules.ts`): the sampler state is the variance-exploding x = x_VP/α with
 * α = 1/√(1+σ²). A VP sample x_VP at the first level enters as x_VP·`initialScale`
 * (`initialScale` = 1/α(σ₀) = √(1+σ₀²), so a unit-normal start z becomes z·√(1+σ₀²)), and the VP
 * sample at the end is `outputScale`·x with `outputScale` = α(σ_end) (1 when the plan ends at
 * σ = 0; α(σ_min) for `final_sigmas_type: "sigma_min"` and `set_alpha_to_one: false`).
 *
 * Where the reference does something the engine's samplers cannot say directly, the plan says it
 * with the tools every sampler shares:
 * - DDIM keeps the unclipped ε in its direction term when `clip_sample`/`thresholding` changes x̂₀,
 *   x' = √ᾱ'·clip(x̂₀) + √(1−ᾱ')·ε, i.e. x' = clip(D) + σ'·(x − D)/σ in the σ view, where a uniform
 *   clip of D would give clip(D) + σ'·(x − clip(D))/σ. The plan therefore hands DDIM the unclipped
 *   D and corrects each step in the step callback (`run`).
 * - DDIM's `prev_timestep = t − ⌊N/n⌋` need not be the next listed timestep (`linspace`, and
 *   `trailing` when n ∤ N): the reference lands on ᾱ(t − ⌊N/n⌋) and then evaluates the model at the
 *   next listed timestep as if the sample were there. The same step callback reproduces that.
 * - A step whose two levels coincide (a repeated final σ, or `set_alpha_to_one: false` with a
 *   last timestep of 0) is dropped when it is the identity, and otherwise kept with its end level
 *   moved by a relative 2⁻⁴⁰ (samplers need strictly monotone levels; 2⁻⁴⁰ is far below float32
 *   resolution).
 * Anything else the plan knowingly does differently from the reference is listed in `notes`.
 */
import { z } from 'zod';
import type { DynamicThresholding, PredictionType } from './denoiser.js';
import { dynamicThreshold, timestepLookup } from './denoiser.js';
import type { BetaSchedule, DiscreteSchedule } from './schedules.js';
import { alphaOf, alphasCumprod, discreteSchedule, makeBetas, roundHalfEven } from './schedules.js';
import type { Denoiser, Sampler, SamplerOptions, StepInfo, Vec } from './samplers/common.js';
import { invertDdim, sampleDdim } from './samplers/ddim.js';
import type { DdpmVarianceType } from './samplers/ddpm.js';
import { sampleDdpm } from './samplers/ddpm.js';
import { sampleDeis } from './samplers/deis.js';
import type { Order, SolverType } from './samplers/dpm-solver.js';
import { dpmSolverOrderList, sampleDpmSolver, sampleDpmSolverMultistep } from './samplers/dpm-solver.js';
import { sampleDpmppMultistep, sampleDpmppSinglestep } from './samplers/dpmpp.js';
import { sampleEuler, sampleEulerAncestral, sampleHeun } from './samplers/euler.js';
import { samplerByName } from './samplers/index.js';
import { sampleLcm } from './samplers/lcm.js';
import { sampleLms } from './samplers/lms.js';
import { samplePndm } from './samplers/pndm.js';
import { sampleUniPc } from './samplers/unipc.js';

// ---------------------------------------------------------------------------------------------
// The config: which classes and keys are understood, their types, defaults and supported values.

export const SCHEDULER_CLASSES = [
  'DDIMScheduler', 'DDIMInverseScheduler', 'DDPMScheduler', 'PNDMScheduler', 'LCMScheduler',
  'EulerDiscreteScheduler', 'EulerAncestralDiscreteScheduler', 'HeunDiscreteScheduler', 'LMSDiscreteScheduler',
  'DPMSolverMultistepScheduler', 'DPMSolverSinglestepScheduler', 'DEISMultistepScheduler', 'UniPCMultistepScheduler',
] as const;
export type SchedulerClass = (typeof SCHEDULER_CLASSES)[number];

/**
 * A validated scheduler config: diffusers' own keys and values, every key the class reads filled
 * in (from the file, else the class default). Keys the class does not read keep neutral values
 * and are not written back by `stringifySchedulerConfig`.
 */
export interface SchedulerConfig {
  _class_name: SchedulerClass;
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  trained_betas: number[] | null;
  prediction_type: PredictionType;
  clip_sample: boolean;
  clip_sample_range: number;
  set_alpha_to_one: boolean;
  steps_offset: number;
  thresholding: boolean;
  dynamic_thresholding_ratio: number;
  sample_max_value: number;
  timestep_spacing: 'linspace' | 'leading' | 'trailing';
  /** DDPM: fixed_small | fixed_small_log | fixed_large; DPM-Solver: null. */
  variance_type: string | null;
  skip_prk_steps: boolean;
  use_karras_sigmas: boolean;
  use_exponential_sigmas: boolean;
  use_beta_sigmas: boolean;
  use_flow_sigmas: boolean;
  use_lu_lambdas: boolean;
  use_dynamic_shifting: boolean;
  rescale_betas_zero_snr: boolean;
  sigma_min: number | null;
  sigma_max: number | null;
  interpolation_type: 'linear';
  timestep_type: 'discrete';
  final_sigmas_type: 'zero' | 'sigma_min';
  solver_order: number;
  algorithm_type: string;
  solver_type: string;
  lower_order_final: boolean;
  euler_at_final: boolean;
  lambda_min_clipped: number;
  predict_x0: boolean;
  disable_corrector: number[];
  solver_p: null;
  original_inference_steps: number;
  timestep_scaling: number;
}
type Key = Exclude<keyof SchedulerConfig, '_class_name'>;

/** Thrown for a config that is malformed or asks for something the engine does not support. */
export class SchedulerConfigError extends Error {
  override name = 'SchedulerConfigError';
}

interface Field {
  schema: z.ZodType;
  /** What a value of the right type looks like, for messages. */
  expected: string;
  /** The neutral value (also the default unless the class overrides it). */
  neutral: unknown;
  /** Values the engine supports, where that is narrower than the type. */
  supported?: readonly unknown[];
}

const bool = (neutral: boolean, supported?: readonly boolean[]): Field => ({ schema: z.boolean(), expected: 'true or false', neutral, supported });
const str = (neutral: string | null, supported: readonly (string | null)[], nullable = false): Field => ({
  schema: nullable ? z.string().nullable() : z.string(),
  expected: nullable ? 'a string or null' : 'a string',
  neutral,
  supported,
});
const positive = (neutral: number): Field => ({ schema: z.number().positive(), expected: 'a positive number', neutral });
const intAtLeast = (min: number, neutral: number): Field => ({ schema: z.number().int().min(min), expected: `an integer ≥ ${min}`, neutral });
const nullablePositive: Field = { schema: z.number().positive().nullable(), expected: 'a positive number or null', neutral: null };

const FIELDS: Record<Key, Field> = {
  num_train_timesteps: intAtLeast(2, 1000),
  beta_start: positive(0.0001),
  beta_end: positive(0.02),
  beta_schedule: str('linear', ['linear', 'scaled_linear', 'squaredcos_cap_v2']),
  trained_betas: { schema: z.array(z.number().min(0).max(1)).nullable(), expected: 'null or an array of numbers in [0, 1]', neutral: null },
  prediction_type: str('epsilon', ['epsilon', 'v_prediction', 'sample']),
  clip_sample: bool(false),
  clip_sample_range: positive(1),
  set_alpha_to_one: bool(true),
  steps_offset: intAtLeast(0, 0),
  thresholding: bool(false),
  dynamic_thresholding_ratio: { schema: z.number().gt(0).max(1), expected: 'a number in (0, 1]', neutral: 0.995 },
  sample_max_value: positive(1),
  timestep_spacing: str('leading', ['linspace', 'leading', 'trailing']),
  variance_type: str(null, [null], true),
  skip_prk_steps: bool(false),
  use_karras_sigmas: bool(false),
  use_exponential_sigmas: bool(false, [false]),
  use_beta_sigmas: bool(false, [false]),
  use_flow_sigmas: bool(false, [false]),
  use_lu_lambdas: bool(false),
  use_dynamic_shifting: bool(false, [false]),
  rescale_betas_zero_snr: bool(false, [false]),
  sigma_min: nullablePositive,
  sigma_max: nullablePositive,
  interpolation_type: str('linear', ['linear']),
  timestep_type: str('discrete', ['discrete']),
  final_sigmas_type: str('zero', ['zero', 'sigma_min']),
  solver_order: intAtLeast(1, 2),
  algorithm_type: str('dpmsolver++', []),
  solver_type: str('midpoint', []),
  lower_order_final: bool(true),
  euler_at_final: bool(false),
  // zod's number() refuses ±Infinity; diffusers' default is -inf.
  lambda_min_clipped: { schema: z.custom<number>((v) => typeof v === 'number' && !Number.isNaN(v)), expected: 'a number (or -Infinity)', neutral: -Infinity },
  predict_x0: bool(true),
  disable_corrector: { schema: z.array(z.number().int().min(0)), expected: 'an array of step indices (integers ≥ 0)', neutral: [] },
  solver_p: { schema: z.null(), expected: 'null (a nested solver_p scheduler is not supported)', neutral: null },
  original_inference_steps: intAtLeast(1, 50),
  timestep_scaling: positive(10),
};

const COMMON: readonly Key[] = ['num_train_timesteps', 'beta_start', 'beta_end', 'beta_schedule', 'trained_betas', 'prediction_type'];
const THRESHOLD: readonly Key[] = ['thresholding', 'dynamic_thresholding_ratio', 'sample_max_value'];
const SIGMA_KINDS: readonly Key[] = ['use_karras_sigmas', 'use_exponential_sigmas', 'use_beta_sigmas'];

interface ClassSpec {
  keys: readonly Key[];
  defaults?: Partial<Record<Key, unknown>>;
  /** Supported values of a key for this class, replacing the field's list. */
  supported?: Partial<Record<Key, readonly unknown[]>>;
  /** Aliases diffusers itself rewrites in `__init__` (`register_to_config`), e.g. a DEIS solver_type under DPM-Solver. */
  aliases?: Partial<Record<Key, Record<string, string>>>;
}

const CLASSES: Record<SchedulerClass, ClassSpec> = {
  DDIMScheduler: {
    keys: [...COMMON, 'clip_sample', 'set_alpha_to_one', 'steps_offset', ...THRESHOLD, 'clip_sample_range', 'timestep_spacing', 'rescale_betas_zero_snr'],
    defaults: { clip_sample: true },
  },
  DDIMInverseScheduler: {
    keys: [...COMMON, 'clip_sample', 'set_alpha_to_one', 'steps_offset', 'clip_sample_range', 'timestep_spacing', 'rescale_betas_zero_snr'],
    defaults: { clip_sample: true },
    supported: { timestep_spacing: ['leading', 'trailing'] },
  },
  DDPMScheduler: {
    keys: [...COMMON, 'variance_type', 'clip_sample', ...THRESHOLD, 'clip_sample_range', 'timestep_spacing', 'steps_offset', 'rescale_betas_zero_snr'],
    defaults: { clip_sample: true, variance_type: 'fixed_small' },
    supported: { variance_type: ['fixed_small', 'fixed_small_log', 'fixed_large'] },
  },
  PNDMScheduler: {
    keys: [...COMMON, 'skip_prk_steps', 'set_alpha_to_one', 'timestep_spacing', 'steps_offset'],
    defaults: { set_alpha_to_one: false },
    supported: { prediction_type: ['epsilon', 'v_prediction'] },
  },
  LCMScheduler: {
    keys: [...COMMON, 'original_inference_steps', 'clip_sample', 'clip_sample_range', 'set_alpha_to_one', 'steps_offset', ...THRESHOLD, 'timestep_spacing', 'timestep_scaling', 'rescale_betas_zero_snr'],
    defaults: { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' },
  },
  EulerDiscreteScheduler: {
    keys: [...COMMON, 'interpolation_type', ...SIGMA_KINDS, 'sigma_min', 'sigma_max', 'timestep_spacing', 'timestep_type', 'steps_offset', 'rescale_betas_zero_snr', 'final_sigmas_type'],
    defaults: { timestep_spacing: 'linspace' },
  },
  EulerAncestralDiscreteScheduler: {
    keys: [...COMMON, 'timestep_spacing', 'steps_offset', 'rescale_betas_zero_snr'],
    defaults: { timestep_spacing: 'linspace' },
  },
  HeunDiscreteScheduler: {
    keys: [...COMMON, ...SIGMA_KINDS, 'clip_sample', 'clip_sample_range', 'timestep_spacing', 'steps_offset'],
    defaults: { beta_start: 0.00085, beta_end: 0.012, timestep_spacing: 'linspace' },
  },
  LMSDiscreteScheduler: {
    keys: [...COMMON, ...SIGMA_KINDS, 'timestep_spacing', 'steps_offset'],
    defaults: { timestep_spacing: 'linspace' },
  },
  DPMSolverMultistepScheduler: {
    keys: [...COMMON, 'solver_order', ...THRESHOLD, 'algorithm_type', 'solver_type', 'lower_order_final', 'euler_at_final', ...SIGMA_KINDS, 'use_lu_lambdas', 'use_flow_sigmas', 'final_sigmas_type', 'lambda_min_clipped', 'variance_type', 'timestep_spacing', 'steps_offset', 'rescale_betas_zero_snr', 'use_dynamic_shifting'],
    defaults: { timestep_spacing: 'linspace' },
    supported: { solver_order: [1, 2, 3], algorithm_type: ['dpmsolver', 'dpmsolver++', 'sde-dpmsolver', 'sde-dpmsolver++'], solver_type: ['midpoint', 'heun'] },
    aliases: { algorithm_type: { deis: 'dpmsolver++' }, solver_type: { logrho: 'midpoint', bh1: 'midpoint', bh2: 'midpoint' } },
  },
  DPMSolverSinglestepScheduler: {
    keys: [...COMMON, 'solver_order', ...THRESHOLD, 'algorithm_type', 'solver_type', 'lower_order_final', ...SIGMA_KINDS, 'use_flow_sigmas', 'final_sigmas_type', 'lambda_min_clipped', 'variance_type', 'use_dynamic_shifting'],
    defaults: { lower_order_final: false },
    supported: { solver_order: [1, 2, 3], algorithm_type: ['dpmsolver', 'dpmsolver++', 'sde-dpmsolver++'], solver_type: ['midpoint', 'heun'] },
    aliases: { algorithm_type: { deis: 'dpmsolver++' }, solver_type: { logrho: 'midpoint', bh1: 'midpoint', bh2: 'midpoint' } },
  },
  DEISMultistepScheduler: {
    keys: [...COMMON, 'solver_order', ...THRESHOLD, 'algorithm_type', 'solver_type', 'lower_order_final', ...SIGMA_KINDS, 'use_flow_sigmas', 'timestep_spacing', 'steps_offset', 'use_dynamic_shifting'],
    defaults: { algorithm_type: 'deis', solver_type: 'logrho', timestep_spacing: 'linspace' },
    supported: { solver_order: [1, 2, 3], algorithm_type: ['deis'], solver_type: ['logrho'] },
    aliases: { algorithm_type: { dpmsolver: 'deis', 'dpmsolver++': 'deis' }, solver_type: { midpoint: 'logrho', heun: 'logrho', bh1: 'logrho', bh2: 'logrho' } },
  },
  UniPCMultistepScheduler: {
    keys: [...COMMON, 'solver_order', ...THRESHOLD, 'predict_x0', 'solver_type', 'lower_order_final', 'disable_corrector', 'solver_p', ...SIGMA_KINDS, 'use_flow_sigmas', 'timestep_spacing', 'steps_offset', 'final_sigmas_type', 'rescale_betas_zero_snr', 'use_dynamic_shifting', 'sigma_min', 'sigma_max'],
    defaults: { solver_type: 'bh2', timestep_spacing: 'linspace' },
    supported: { solver_type: ['bh1', 'bh2'] },
    aliases: { solver_type: { midpoint: 'bh2', heun: 'bh2', logrho: 'bh2' } },
  },
};

const show = (v: unknown): string => (v === undefined ? 'nothing' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v));

/**
 * Validate a parsed `scheduler_config.json`: `_class_name` must name a supported class; each key
 * that class reads must have the right type and a supported value (messages name the key, what
 * was expected and what was found); keys the class does not read are ignored, as diffusers'
 * `from_config` ignores them. Returns the config with every key the class reads filled in.
 */
export function validateSchedulerConfig(raw: unknown): SchedulerConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SchedulerConfigError(`scheduler config must be a JSON object, got ${show(raw)}`);
  }
  const obj = raw as Record<string, unknown>;
  const supportedClasses = SCHEDULER_CLASSES.join(', ');
  if (!('_class_name' in obj)) throw new SchedulerConfigError(`scheduler config: "_class_name" is required (one of ${supportedClasses})`);
  const cls = obj._class_name;
  if (typeof cls !== 'string') throw new SchedulerConfigError(`scheduler config: "_class_name" must be a string, got ${show(cls)}`);
  if (!(SCHEDULER_CLASSES as readonly string[]).includes(cls)) {
    throw new SchedulerConfigError(`unsupported scheduler class "${cls}"; supported: ${supportedClasses}`);
  }
  const className = cls as SchedulerClass;
  const spec = CLASSES[className];
  const shape = Object.fromEntries(spec.keys.map((k) => [k, FIELDS[k].schema.optional()]));
  const parsed = z.object(shape).safeParse(obj);
  const where = `scheduler config (${className})`;
  if (!parsed.success) {
    const keys = [...new Set(parsed.error.issues.map((iss) => String(iss.path[0])))];
    const lines = keys.map((k) => `"${k}" must be ${FIELDS[k as Key].expected}, got ${show(obj[k])}`);
    throw new SchedulerConfigError(`${where}: ${lines.join('; ')}`);
  }
  const given = parsed.data as Partial<Record<Key, unknown>>;
  const out: Record<string, unknown> = { _class_name: className };
  for (const [k, f] of Object.entries(FIELDS) as [Key, Field][]) out[k] = f.neutral;
  const problems: string[] = [];
  for (const k of spec.keys) {
    let v = given[k] !== undefined ? given[k] : spec.defaults?.[k] !== undefined ? spec.defaults[k] : FIELDS[k].neutral;
    const alias = spec.aliases?.[k];
    if (alias && typeof v === 'string' && alias[v] !== undefined) v = alias[v];
    const supported = spec.supported?.[k] ?? FIELDS[k].supported;
    if (supported && supported.length > 0 && !supported.includes(v)) {
      problems.push(`"${k}": unsupported value ${show(v)}; supported: ${supported.map(show).join(', ')}`);
    }
    out[k] = Array.isArray(v) ? [...v] : v;
  }
  const cfg = out as unknown as SchedulerConfig;
  if (cfg.trained_betas && cfg.trained_betas.length !== cfg.num_train_timesteps) {
    problems.push(`"trained_betas" has ${cfg.trained_betas.length} entries but "num_train_timesteps" is ${cfg.num_train_timesteps}`);
  }
  if (className === 'DPMSolverMultistepScheduler' || className === 'DPMSolverSinglestepScheduler') {
    if (!['dpmsolver++', 'sde-dpmsolver++'].includes(cfg.algorithm_type) && cfg.final_sigmas_type === 'zero') {
      problems.push(`"final_sigmas_type": "zero" is not supported with "algorithm_type" "${cfg.algorithm_type}" (diffusers refuses it too); use "sigma_min"`);
    }
  }
  if ([cfg.use_karras_sigmas, cfg.use_lu_lambdas].filter(Boolean).length > 1) {
    problems.push('"use_karras_sigmas" and "use_lu_lambdas" cannot both be true');
  }
  if (problems.length > 0) throw new SchedulerConfigError(`${where}: ${problems.join('; ')}`);
  return cfg;
}

/**
 * Parse the text of a `scheduler_config.json`. Python's `json` writes `-Infinity`, `Infinity` and
 * `NaN` as bare tokens (e.g. `"lambda_min_clipped": -Infinity`), which `JSON.parse` rejects; they
 * are read as the numbers they stand for.
 */
export function parseSchedulerConfig(text: string): SchedulerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(quoteNonFinite(text), (_k, v: unknown) => (typeof v === 'string' && NON_FINITE.has(v) ? NON_FINITE.get(v) : v));
  } catch (e) {
    throw new SchedulerConfigError(`scheduler config is not valid JSON: ${(e as Error).message}`);
  }
  return validateSchedulerConfig(raw);
}

const NON_FINITE = new Map<string, number>([['\u0000-Infinity', -Infinity], ['\u0000Infinity', Infinity], ['\u0000NaN', NaN]]);

/** Replace bare -Infinity / Infinity / NaN tokens outside strings by marked strings. */
function quoteNonFinite(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const token = ['-Infinity', 'Infinity', 'NaN'].find((t) => text.startsWith(t, i));
    if (token) {
      out += JSON.stringify(`\u0000${token}`);
      i += token.length - 1;
    } else out += c;
  }
  return out;
}

/**
 * The config as diffusers' `save_config` writes it: `_class_name` and the keys the class reads,
 * non-finite numbers as Python's bare tokens. `parseSchedulerConfig` reads it back unchanged.
 */
export function stringifySchedulerConfig(cfg: SchedulerConfig): string {
  const spec = CLASSES[cfg._class_name];
  const body: Record<string, unknown> = { _class_name: cfg._class_name };
  for (const k of spec.keys) body[k] = cfg[k];
  return JSON.stringify(body, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `\u0000${String(v)}` : v), 2)
    .replace(/"\\u0000(-?Infinity|NaN)"/g, '$1');
}

// ---------------------------------------------------------------------------------------------
// diffusers' numerics: the float32 training tables and numpy's grid helpers, reproduced exactly.

const f32 = Math.fround;

/** The training tables a diffusers scheduler builds in `__init__` (torch float32). */
export interface TrainingTables {
  /** ᾱ_t, t = 0 … N−1 (float32 values). */
  readonly alphasCumprod: Float64Array;
  /** σ_t = √((1 − ᾱ_t)/ᾱ_t) as the float32 tensor holds it. */
  readonly sigmas: Float64Array;
  /** log σ_t in float32 (numpy's `np.log` of the float32 table), as `_sigma_to_t` uses it. */
  readonly logSigmas: Float64Array;
  readonly schedule: DiscreteSchedule;
}

export function trainingTables(cfg: SchedulerConfig): TrainingTables {
  const n = cfg.num_train_timesteps;
  const betas = cfg.trained_betas ? Float64Array.from(cfg.trained_betas, f32) : makeBetas(cfg.beta_schedule, n, cfg.beta_start, cfg.beta_end, { float32: true });
  const ac = alphasCumprod(betas, { float32: true });
  if (!(ac[n - 1] > 0)) throw new SchedulerConfigError(`scheduler config (${cfg._class_name}): the betas drive ᾱ to 0 (zero terminal SNR), which a σ schedule cannot represent`);
  const schedule = discreteSchedule(ac, { float32: true });
  return { alphasCumprod: ac, sigmas: schedule.sigmas, logSigmas: schedule.sigmas.map((s) => f32(Math.log(s))), schedule };
}

/** `np.linspace(start, stop, num)`: y = i·step + start with step = (stop − start)/(num − 1), the last entry exactly stop. */
function npLinspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : i * step + start));
}

/** `np.arange(start, stop, step)` for a negative float step: start + i·δ with δ = (start + step) − start. */
function npArangeDown(start: number, stop: number, step: number): number[] {
  const len = Math.ceil((stop - start) / step);
  const delta = start + step - start;
  return Array.from({ length: Math.max(0, len) }, (_, i) => start + i * delta);
}

/** `np.interp(t, arange(N), table)`. */
function interp(table: ArrayLike<number>, t: number): number {
  const n = table.length;
  if (t <= 0) return table[0];
  if (t >= n - 1) return table[n - 1];
  const i = Math.floor(t);
  const slope = table[i + 1] - table[i];
  return slope * (t - i) + table[i];
}

/** diffusers' `_sigma_to_t`: t for σ by linear interpolation in log σ over the float32 table. */
export function sigmaToT(tables: TrainingTables, sigma: number): number {
  const logs = tables.logSigmas;
  const ls = Math.log(Math.max(sigma, 1e-10));
  let low = 0;
  for (let j = 0; j < logs.length; j++) if (ls - logs[j] >= 0) low = j;
  low = Math.min(low, logs.length - 2);
  const w = Math.min(1, Math.max(0, (logs[low] - ls) / (logs[low] - logs[low + 1])));
  return (1 - w) * low + w * (low + 1);
}

/** diffusers' `_convert_to_karras` (Karras et al. 2022, eq. 5, ρ = 7), in double. */
function karras(n: number, sigmaMin: number, sigmaMax: number): number[] {
  const rho = 7;
  const lo = sigmaMin ** (1 / rho), hi = sigmaMax ** (1 / rho);
  return npLinspace(0, 1, n).map((r) => (hi + r * (lo - hi)) ** rho);
}

/** Timesteps of DDIM / DDPM / PNDM / DDIMInverse (`set_timesteps`), descending. */
function ddimTimesteps(cfg: SchedulerConfig, n: number): number[] {
  const N = cfg.num_train_timesteps;
  switch (cfg.timestep_spacing) {
    case 'linspace':
      return npLinspace(0, N - 1, n).map(roundHalfEven).reverse();
    case 'leading': {
      const ratio = Math.floor(N / n);
      return Array.from({ length: n }, (_, i) => (n - 1 - i) * ratio + cfg.steps_offset);
    }
    case 'trailing':
      return npArangeDown(N, 0, -N / n).map((v) => roundHalfEven(v) - 1);
  }
}

/** Timesteps of DPM-Solver (multi/single), DEIS and UniPC: n + 1 points with the last dropped, descending. */
function dpmTimesteps(cfg: SchedulerConfig, n: number, lastTimestep: number): number[] {
  const N = cfg.num_train_timesteps;
  switch (cfg.timestep_spacing) {
    case 'linspace':
      return npLinspace(0, lastTimestep - 1, n + 1).map(roundHalfEven).reverse().slice(0, n);
    case 'leading': {
      const ratio = Math.floor(lastTimestep / (n + 1));
      return Array.from({ length: n }, (_, i) => (n - i) * ratio + cfg.steps_offset);
    }
    case 'trailing':
      return npArangeDown(lastTimestep, 0, -N / n).map((v) => roundHalfEven(v) - 1);
  }
}

/** Float timesteps of Euler / Euler ancestral / Heun / LMS, descending, as float32 values. */
function eulerTimesteps(cfg: SchedulerConfig, n: number): number[] {
  const N = cfg.num_train_timesteps;
  switch (cfg.timestep_spacing) {
    case 'linspace':
      return npLinspace(0, N - 1, n).map(f32).reverse();
    case 'leading': {
      const ratio = Math.floor(N / n);
      return Array.from({ length: n }, (_, i) => f32(f32((n - 1 - i) * ratio) + cfg.steps_offset));
    }
    case 'trailing':
      return npArangeDown(N, 0, -N / n).map((v) => f32(f32(roundHalfEven(v)) - 1));
  }
}

/** `DPMSolver*`'s `lambda_min_clipped`: the number of the largest timesteps whose λ_t falls below it. */
function clippedIndex(cfg: SchedulerConfig, tables: TrainingTables): number {
  if (cfg.lambda_min_clipped === -Infinity) return 0;
  let count = 0;
  for (const a of tables.alphasCumprod) {
    const lambda = f32(f32(Math.log(f32(Math.sqrt(a)))) - f32(Math.log(f32(Math.sqrt(f32(1 - a))))));
    if (lambda < cfg.lambda_min_clipped) count++;
  }
  return count;
}

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
   * x̂₀ clipping and landing level, see the module comment); call it with `sigmas` (`run` does).
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
type SamplerFactory = (from: number) => { run: Sampler; notes?: string[] };

interface Built {
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

/**
 * The sampling plan for a diffusers scheduler config and a number of inference steps, reproducing
 * that scheduler class (its timesteps, σ levels, solver options, x̂₀ clipping/thresholding and
 * final step). Throws `SchedulerConfigError` for options it does not support.
 */
export function planFromConfig(config: SchedulerConfig | unknown, steps: number, opts: PlanOptions = {}): SchedulerPlan {
  const cfg = isValidated(config) ? config : validateSchedulerConfig(config);
  if (opts.sampler !== undefined) return planForSampler(cfg, opts.sampler, steps);
  if (!Number.isInteger(steps) || steps < 1) throw new SchedulerConfigError(`number of inference steps must be a positive integer, got ${steps}`);
  if (steps > cfg.num_train_timesteps) {
    throw new SchedulerConfigError(`cannot take ${steps} inference steps from a model trained on ${cfg.num_train_timesteps} timesteps`);
  }
  const tables = trainingTables(cfg);
  const built = BUILDERS[cfg._class_name](cfg, steps, tables);
  return makePlan(cfg, tables, built, 0);
}

function isValidated(c: unknown): c is SchedulerConfig {
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

function makePlan(cfg: SchedulerConfig, tables: TrainingTables, b: Built, from: number): SchedulerPlan {
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
    const callback = correct || runOpts.callback ? (info: StepInfo) => {
      let step = info;
      if (correct) {
        const fixed = correct(info);
        step = { ...info, x: fixed.x, denoised: fixed.denoised };
      }
      const replaced = runOpts.callback?.(step);
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
 * The DDIM step as the reference takes it (see the module comment), from the step the sampler
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

interface Grid {
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
function separate(sigmas: number[], timesteps: number[], keep: (i: number) => boolean, direction: 'down' | 'up' = 'down'): Grid {
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

// ---------------------------------------------------------------------------------------------
// One builder per class.

type Builder = (cfg: SchedulerConfig, n: number, tables: TrainingTables) => Built;

/** σ at an integer training timestep, in double from the float32 ᾱ (the VP-state schedulers work with ᾱ itself). */
const sigmaAt = (tables: TrainingTables, t: number): number => {
  const a = tables.alphasCumprod[t];
  return Math.sqrt((1 - a) / a);
};

const buildDdim: Builder = (cfg, n, tables) => {
  const ts = ddimTimesteps(cfg, n);
  const N = cfg.num_train_timesteps;
  const ratio = Math.floor(N / n);
  const finalAlpha = cfg.set_alpha_to_one ? 0 : sigmaAt(tables, 0);
  const levelOf = (t: number) => (t >= 0 ? sigmaAt(tables, t) : finalAlpha);
  checkTimesteps(cfg, ts);
  // The last step lands on ᾱ(t − ⌊N/n⌋) too: the final ᾱ only when that is negative.
  const raw = [...ts.map((t) => levelOf(t)), levelOf(ts[n - 1] - ratio)];
  const rawT = [...ts, NaN];
  const transforms = cfg.clip_sample || cfg.thresholding;
  const grid = separate(raw, rawT, () => transforms);
  // The reference lands on ᾱ(t − ⌊N/n⌋), which need not be the next listed level (NaN: it is).
  const land = landing(ts.map((t) => levelOf(t - ratio)), raw, grid);
  return {
    referenceTimesteps: ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    samplerName: 'ddim',
    make: () => ({ run: (model, x, sigmas, o = {}) => sampleDdim(model, x, sigmas, { ...o, eta: 0 }) }),
    land,
    ddimX0: true,
    notes: [],
  };
};

const buildDdimInverse: Builder = (cfg, n, tables) => {
  const N = cfg.num_train_timesteps;
  const ratio = Math.floor(N / n);
  const ts = cfg.timestep_spacing === 'leading'
    ? Array.from({ length: n }, (_, i) => i * ratio + cfg.steps_offset)
    : npArangeDown(N, 0, -N / n).reverse().map((v) => roundHalfEven(v) - 1);
  checkTimesteps(cfg, ts);
  const initial = cfg.set_alpha_to_one ? CLEAN_SIGMA : sigmaAt(tables, 0);
  // Step i goes from the source ᾱ(min(tᵢ − ⌊N/n⌋, N − 1)) to the target ᾱ(tᵢ), evaluating the model at tᵢ.
  const src = ts.map((t) => {
    const s = Math.min(t - ratio, N - 1);
    return s >= 0 ? sigmaAt(tables, s) : initial;
  });
  const tgt = ts.map((t) => sigmaAt(tables, t));
  const raw = [...src, tgt[n - 1]];
  const rawT = [...ts, NaN];
  const grid = separate(raw, rawT, () => cfg.clip_sample, 'up');
  const land = landing(tgt, raw, grid);
  return {
    referenceTimesteps: ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    samplerName: 'ddim_inverse',
    make: () => ({ run: (model, x, sigmas, o = {}) => invertDdim(model, x, sigmas, o) }),
    land,
    ddimX0: true,
    float64: grid.sigmas[0] === CLEAN_SIGMA,
    notes: cfg.set_alpha_to_one
      ? ['the first inversion step starts from ᾱ = 1 (σ = 0), where D(x, 0) = x carries no ε; the model is evaluated at σ = 2⁻²⁷ instead (α = 1 exactly in double, ε recovered to float32 precision) and the run is in float64']
      : [],
  };
};

/** Per kept step: the reference's landing level where it is not the step's own end level, else NaN. */
function landing(land: number[], raw: number[], grid: Grid): number[] {
  return land.map((p, i) => (p === raw[i + 1] ? NaN : p)).filter((_, i) => !grid.dropped.includes(i));
}

function checkTimesteps(cfg: SchedulerConfig, ts: number[]): void {
  const N = cfg.num_train_timesteps;
  const bad = ts.find((t) => !(t >= 0 && t <= N - 1));
  if (bad !== undefined) {
    throw new SchedulerConfigError(`scheduler config (${cfg._class_name}): timestep ${bad} (from timestep_spacing "${cfg.timestep_spacing}", steps_offset ${cfg.steps_offset}) is outside 0 … ${N - 1}`);
  }
}

const buildDdpm: Builder = (cfg, n, tables) => {
  const ts = ddimTimesteps(cfg, n);
  checkTimesteps(cfg, ts);
  const sigmas = [...ts.map((t) => sigmaAt(tables, t)), 0];
  const varianceType: DdpmVarianceType = cfg.variance_type === 'fixed_large' ? 'fixed_large' : 'fixed_small';
  // The reference adds noise whenever t > 0, also on the step to ᾱ = 1; only fixed_large has variance there.
  const finalNoise = varianceType === 'fixed_large' && ts[n - 1] > 0;
  return {
    referenceTimesteps: ts,
    sigmas,
    timesteps: [...ts, NaN],
    samplerName: 'ddpm',
    // DDPM's previous_timestep is the next listed timestep once set_timesteps ran: no landing mismatch.
    make: () => ({ run: (model, x, s, o = {}) => sampleDdpm(model, x, s, { ...o, varianceType, finalNoise }) }),
    notes: [],
  };
};

/**
 * PNDM steps from t to t − ⌊N/n⌋ like DDIM, but its multistep history and PRK stages leave no
 * room for DDIM's landing correction: a note where that is not the next listed timestep.
 */
function pndmSpacingNote(cfg: SchedulerConfig, ts: number[]): string[] {
  const ratio = Math.floor(cfg.num_train_timesteps / ts.length);
  const off = ts.slice(0, -1).some((t, i) => t - ratio !== ts[i + 1]);
  return off
    ? [`PNDM with timestep_spacing "${cfg.timestep_spacing}" steps to t − ${ratio} but evaluates the next listed timestep as if it were there; the plan steps between the listed timesteps`]
    : [];
}

const buildPndm: Builder = (cfg, n, tables) => {
  const N = cfg.num_train_timesteps;
  const ts = ddimTimesteps(cfg, n);
  checkTimesteps(cfg, ts);
  const finalAlpha = cfg.set_alpha_to_one ? 0 : sigmaAt(tables, 0);
  const last = ts[n - 1] - Math.floor(N / n);
  const grid = separate([...ts.map((t) => sigmaAt(tables, t)), last >= 0 ? sigmaAt(tables, last) : finalAlpha], [...ts, NaN], () => false);
  const half = Math.floor(Math.floor(N / n) / 2);
  const extra: [number, number][] = [];
  const mid = new Map<number, number>();
  if (!cfg.skip_prk_steps) {
    for (const t of ts.slice(0, 3)) {
      if (t - half < 0) continue;
      const s = sigmaAt(tables, t - half);
      extra.push([s, t - half]);
      mid.set(sigmaAt(tables, t), s);
    }
  }
  const reference = cfg.skip_prk_steps
    ? [ts[0], ...ts.slice(1, 2), ...ts.slice(1)]
    : [...prkTimesteps(ts, half), ...ts.slice(3)];
  return {
    referenceTimesteps: n > 1 ? reference : ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    extra,
    samplerName: cfg.skip_prk_steps ? 'plms' : 'pndm',
    make: (from) => ({
      run: (model, x, s, o = {}) => samplePndm(model, x, s, {
        ...o,
        warmup: cfg.skip_prk_steps ? 'heun' : 'prk',
        prkMidSigma: (sigma, next) => mid.get(sigma) ?? (sigma + next) / 2,
      }),
      notes: from > 0 ? ['PNDM entered mid-schedule: the reference continues its PRK/PLMS counters from the start of the list; the plan warms up afresh'] : [],
    }),
    notes: [
      ...pndmSpacingNote(cfg, ts),
      ...(!cfg.skip_prk_steps && 2 * half !== Math.floor(N / n) ? [`PNDM's Runge–Kutta steps end at t − ${2 * half}, one short of the next timestep t − ${Math.floor(N / n)}; the plan's steps end at the next timestep`] : []),
      ...(n > 1 && n < 4 && !cfg.skip_prk_steps ? ['PNDM with fewer than 4 steps: the reference\'s pseudo Runge–Kutta list is degenerate; the plan takes PRK steps until the last'] : []),
      ...(cfg.prediction_type === 'v_prediction'
        ? ['PNDMScheduler combines the raw v outputs and converts the combination to ε with the ᾱ and sample of the step\'s start; the plan converts each evaluation (as every other class does), which gives different results']
        : []),
    ],
  };
};

/** PNDM's `prk_timesteps` for the first three levels, for display. */
function prkTimesteps(ts: number[], half: number): number[] {
  const out: number[] = [];
  for (const t of ts.slice(0, 3)) out.push(t, t - half, t - half, t - 2 * half);
  return out;
}

const buildLcm: Builder = (cfg, n, tables) => {
  const N = cfg.num_train_timesteps;
  const orig = cfg.original_inference_steps;
  if (orig > N) throw new SchedulerConfigError(`scheduler config (LCMScheduler): original_inference_steps ${orig} exceeds num_train_timesteps ${N}`);
  if (n > orig) throw new SchedulerConfigError(`LCMScheduler: ${n} inference steps exceed original_inference_steps ${orig}`);
  const k = Math.floor(N / orig);
  const origin = Array.from({ length: orig }, (_, i) => (orig - i) * k - 1);
  const ts = npLinspace(0, orig, n + 1).slice(0, n).map((v) => origin[Math.floor(v)]);
  const sigmas = [...ts.map((t) => sigmaAt(tables, t)), 0];
  const timesteps = [...ts, NaN];
  const lookup = timestepLookup(sigmas, timesteps, (s) => sigmaToT(tables, s));
  const s = cfg.timestep_scaling;
  // LCM eq. 7 boundary scalings at the model timestep, applied to the VP sample α·x.
  const boundary = (sigma: number) => {
    const st = lookup(sigma) * s;
    return { cSkip: (0.25 / (st * st + 0.25)) * alphaOf(sigma), cOut: st / Math.sqrt(st * st + 0.25) };
  };
  return {
    referenceTimesteps: ts,
    sigmas,
    timesteps,
    samplerName: 'lcm',
    make: () => ({ run: (model, x, sg, o = {}) => sampleLcm(model, x, sg, { ...o, boundary }) }),
    notes: [],
  };
};

/** Euler-family levels: float timesteps, σ by `np.interp`, optional Karras, then the final level (float32). */
function eulerLevels(cfg: SchedulerConfig, n: number, tables: TrainingTables, opts: { configBounds: boolean }): { ts: number[]; sigmas: number[] } {
  let ts = eulerTimesteps(cfg, n);
  checkTimesteps(cfg, ts);
  let sigmas = ts.map((t) => interp(tables.sigmas, t));
  if (cfg.use_karras_sigmas) {
    const lo = (opts.configBounds ? cfg.sigma_min : null) ?? sigmas[n - 1];
    const hi = (opts.configBounds ? cfg.sigma_max : null) ?? sigmas[0];
    sigmas = karras(n, lo, hi);
    ts = sigmas.map((sg) => f32(sigmaToT(tables, sg)));
  }
  return { ts, sigmas: sigmas.map(f32) };
}

const buildEuler: Builder = (cfg, n, tables) => {
  const { ts, sigmas } = eulerLevels(cfg, n, tables, { configBounds: true });
  const final = cfg.final_sigmas_type === 'sigma_min' ? f32(tables.sigmas[0]) : 0;
  const grid = separate([...sigmas, final], [...ts, NaN], () => false);
  return {
    referenceTimesteps: ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    samplerName: 'euler',
    make: () => ({ run: (model, x, s, o = {}) => sampleEuler(model, x, s, o) }),
    notes: [],
  };
};

const buildEulerAncestral: Builder = (cfg, n, tables) => {
  const { ts, sigmas } = eulerLevels({ ...cfg, use_karras_sigmas: false }, n, tables, { configBounds: false });
  return {
    referenceTimesteps: ts,
    sigmas: [...sigmas, 0],
    timesteps: [...ts, NaN],
    samplerName: 'euler_a',
    make: () => ({ run: (model, x, s, o = {}) => sampleEulerAncestral(model, x, s, { ...o, eta: 1 }) }),
    notes: [],
  };
};

const buildHeun: Builder = (cfg, n, tables) => {
  const { ts, sigmas } = eulerLevels(cfg, n, tables, { configBounds: false });
  return {
    referenceTimesteps: [ts[0], ...ts.slice(1).flatMap((t) => [t, t])],
    sigmas: [...sigmas, 0],
    timesteps: [...ts, NaN],
    samplerName: 'heun',
    make: () => ({ run: (model, x, s, o = {}) => sampleHeun(model, x, s, o) }),
    notes: [],
  };
};

const buildLms: Builder = (cfg, n, tables) => {
  const { ts, sigmas } = eulerLevels(cfg, n, tables, { configBounds: false });
  return {
    referenceTimesteps: ts,
    sigmas: [...sigmas, 0],
    timesteps: [...ts, NaN],
    samplerName: 'lms',
    make: (from) => ({
      run: (model, x, s, o = {}) => sampleLms(model, x, s, { ...o, order: 4 }),
      notes: from > 0
        ? ['LMS entered mid-schedule: the reference applies 4th-order weights to a derivative history padded with zeros; the plan warms up from first order']
        : [],
    }),
    notes: [],
  };
};

/** Levels of DPM-Solver (multi/single), DEIS and UniPC before the final level. */
function dpmLevels(cfg: SchedulerConfig, n: number, tables: TrainingTables, opts: { lastTimestep: number; configBounds: boolean; roundKarras: boolean }): { ts: number[]; sigmas: number[] } {
  let ts = cfg._class_name === 'DPMSolverSinglestepScheduler'
    ? npLinspace(0, opts.lastTimestep - 1, n + 1).map(roundHalfEven).reverse().slice(0, n)
    : dpmTimesteps(cfg, n, opts.lastTimestep);
  checkTimesteps(cfg, ts);
  let sigmas: number[];
  const toT = (s: number) => {
    const t = sigmaToT(tables, s);
    // Karras / Lu timesteps are rounded, except for the cosine schedule, where the int64 cast truncates.
    return opts.roundKarras ? roundHalfEven(t) : Math.trunc(t);
  };
  const table = tables.sigmas;
  const N = table.length;
  if (cfg.use_karras_sigmas) {
    const lo = (opts.configBounds ? cfg.sigma_min : null) ?? table[0];
    const hi = (opts.configBounds ? cfg.sigma_max : null) ?? table[N - 1];
    sigmas = karras(n, lo, hi);
    ts = sigmas.map(toT);
  } else if (cfg.use_lu_lambdas) {
    // `_convert_to_lu`: uniform in log σ between the ends of the table (ρ = 1).
    const hi = tables.logSigmas[N - 1], lo = tables.logSigmas[0];
    sigmas = npLinspace(0, 1, n).map((r) => Math.exp(hi + r * (lo - hi)));
    ts = sigmas.map(toT);
  } else {
    sigmas = ts.map((t) => interp(table, t));
  }
  return { ts, sigmas };
}

/** diffusers' DPMSolverMultistep / DEIS order of step j of n (`lower_order_nums` warm-up from the first step run). */
function multistepOrder(j: number, local: number, n: number, order: number, o: { lowerOrderFinal: boolean; eulerAtFinal?: boolean; finalZero?: boolean }): number {
  const lof = j === n - 1 && (!!o.eulerAtFinal || (o.lowerOrderFinal && n < 15) || !!o.finalZero);
  const los = j === n - 2 && o.lowerOrderFinal && n < 15;
  const nums = Math.min(local, order);
  if (order === 1 || nums < 1 || lof) return 1;
  if (order === 2 || nums < 2 || los) return 2;
  return 3;
}

const buildDpmMultistep: Builder = (cfg, n, tables) => {
  const last = cfg.num_train_timesteps - clippedIndex(cfg, tables);
  const { ts, sigmas } = dpmLevels(cfg, n, tables, { lastTimestep: last, configBounds: false, roundKarras: cfg.beta_schedule !== 'squaredcos_cap_v2' });
  const finalZero = cfg.final_sigmas_type === 'zero';
  const final = finalZero ? 0 : tables.sigmas[0];
  // A repeated final level (Karras / Lu with sigma_min) is an identity step: dropped.
  const grid = separate([...sigmas, final].map(f32), [...ts, NaN], () => false);
  const order = cfg.solver_order as Order;
  const algo = cfg.algorithm_type;
  const solverType = cfg.solver_type as SolverType;
  const make: SamplerFactory = (from) => {
    const m = grid.sigmas.length - 1 - from;
    const want = Array.from({ length: m }, (_, i) => multistepOrder(from + i, i, n, order, { lowerOrderFinal: cfg.lower_order_final, eulerAtFinal: cfg.euler_at_final, finalZero }));
    const flags = multistepFlags(want, order, grid.sigmas[grid.sigmas.length - 1] === 0);
    const notes = flags ? [] : [`the reference's step orders ${want.join(',')} cannot be expressed with the multistep sampler's lowerOrderFinal/eulerAtFinal (it takes no per-step order list); its default lowering is used`];
    const o = { order, solverType, lowerOrderFinal: flags?.lowerOrderFinal ?? cfg.lower_order_final, eulerAtFinal: flags?.eulerAtFinal ?? cfg.euler_at_final };
    const run: Sampler = algo === 'dpmsolver' || algo === 'sde-dpmsolver'
      ? (model, x, s, so = {}) => sampleDpmSolverMultistep(model, x, s, { ...so, ...o, stochastic: algo === 'sde-dpmsolver' })
      : (model, x, s, so = {}) => sampleDpmppMultistep(model, x, s, { ...so, ...o, eta: algo === 'sde-dpmsolver++' ? 1 : 0, diffusersSdeD2: true });
    return { run, notes };
  };
  const lastOrder = multistepOrder(n - 1, n - 1, n, order, { lowerOrderFinal: cfg.lower_order_final, eulerAtFinal: cfg.euler_at_final, finalZero });
  const nanFinal = grid.dropped.includes(n - 1) && (lastOrder === 3 || (lastOrder === 2 && solverType === 'heun'));
  return {
    referenceTimesteps: ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    samplerName: dpmName(algo, order, 'm'),
    make,
    notes: nanFinal ? [`the reference's last step (order ${lastOrder}, ${solverType}) spans the repeated final level with h = 0 and returns NaN; the plan drops that identity step`] : [],
  };
};

function dpmName(algo: string, order: number, kind: 'm' | 's'): string {
  const pp = algo.endsWith('++');
  const sde = algo.startsWith('sde');
  return `${pp ? 'dpmpp' : 'dpm_solver'}_${order}${kind}${sde ? '_sde' : ''}`;
}

/**
 * Flags of `runMultistep` that give the order list `want` over m steps (the sampler: order
 * min(order, i + 1), lowered at the end by eulerAtFinal / lowerOrderFinal; a step to σ = 0 is
 * first order whatever the list says).
 */
function multistepFlags(want: number[], order: number, endsAtZero: boolean): { lowerOrderFinal: boolean; eulerAtFinal: boolean } | undefined {
  const m = want.length;
  for (const lowerOrderFinal of [false, true]) {
    for (const eulerAtFinal of [false, true]) {
      const got = want.map((_, i) => {
        let k = Math.min(order, i + 1);
        const short = lowerOrderFinal && m < 15;
        if (i === m - 1 && (eulerAtFinal || short)) k = 1;
        if (i === m - 2 && short) k = Math.min(k, 2);
        return k;
      });
      if (got.every((k, i) => k === want[i] || (endsAtZero && i === m - 1))) return { lowerOrderFinal, eulerAtFinal };
    }
  }
  return undefined;
}

const buildDpmSinglestep: Builder = (cfg, n, tables) => {
  const last = cfg.num_train_timesteps - clippedIndex(cfg, tables);
  const { ts, sigmas } = dpmLevels(cfg, n, tables, { lastTimestep: last, configBounds: false, roundKarras: true });
  const finalZero = cfg.final_sigmas_type === 'zero';
  const final = finalZero ? 0 : tables.sigmas[0];
  const order = cfg.solver_order as Order;
  // get_order_list after set_timesteps' coercion of lower_order_final (odd step counts, final zero).
  const list = dpmSolverOrderList(n, order, { lowerOrderFinal: cfg.lower_order_final, finalSigmaZero: finalZero });
  const raw = [...sigmas, final].map(f32);
  // A repeated final level is the identity for a first-order step, but the end point of a
  // second/third-order group whose last node sits on it: kept, with the end moved by REPEAT_SHIFT.
  const grid = separate(raw, [...ts, NaN], (i) => list[i] > 1);
  const orders = list.filter((_, i) => !grid.dropped.includes(i));
  const algo = cfg.algorithm_type;
  const solverType = cfg.solver_type as SolverType;
  const make: SamplerFactory = (from) => {
    const sub = orders.slice(from).map((k, i) => Math.min(k, i + 1));
    const run: Sampler = algo === 'dpmsolver'
      ? (model, x, s, o = {}) => sampleDpmSolver(model, x, s, { ...o, order, solverType, orders: sub })
      : (model, x, s, o = {}) => sampleDpmppSinglestep(model, x, s, { ...o, order, solverType, orders: sub, eta: algo === 'sde-dpmsolver++' ? 1 : 0, diffusersSdeD2: true });
    return { run };
  };
  return {
    referenceTimesteps: ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    samplerName: dpmName(algo, order, 's'),
    make,
    notes: [],
  };
};

const buildDeis: Builder = (cfg, n, tables) => {
  const { ts, sigmas } = dpmLevels(cfg, n, tables, { lastTimestep: cfg.num_train_timesteps, configBounds: false, roundKarras: true });
  // DEIS always ends at σ_min; Karras repeats its last level there (an identity step, dropped).
  const final = cfg.use_karras_sigmas ? sigmas[n - 1] : tables.sigmas[0];
  const grid = separate([...sigmas, final].map(f32), [...ts, NaN], () => false);
  const order = cfg.solver_order;
  const make: SamplerFactory = (from) => {
    const m = grid.sigmas.length - 1 - from;
    const orders = Array.from({ length: m }, (_, i) => multistepOrder(from + i, i, n, order, { lowerOrderFinal: cfg.lower_order_final }));
    return { run: (model, x, s, o = {}) => sampleDeis(model, x, s, { ...o, orders }) };
  };
  return { referenceTimesteps: ts, sigmas: grid.sigmas, timesteps: grid.timesteps, samplerName: `deis_${order}`, make, notes: [] };
};

const buildUniPc: Builder = (cfg, n, tables) => {
  const { ts, sigmas } = dpmLevels(cfg, n, tables, { lastTimestep: cfg.num_train_timesteps, configBounds: true, roundKarras: true });
  const zero = cfg.final_sigmas_type === 'zero';
  const final = zero ? 0 : cfg.use_karras_sigmas ? sigmas[n - 1] : tables.sigmas[0];
  // A repeated final level: the reference's last step corrects the step before it and then
  // predicts over h = 0 (the identity). Dropped, with `finalCorrector` making that evaluation.
  const raw = [...sigmas, final].map(f32);
  const grid = separate(raw, [...ts, NaN], () => false);
  const finalCorrector = grid.dropped.length > 0;
  const order = cfg.solver_order;
  const make: SamplerFactory = (from) => {
    const m = grid.sigmas.length - 1 - from;
    const orders = Array.from({ length: m }, (_, i) => {
      const j = from + i;
      const p = cfg.lower_order_final ? Math.min(order, n - j) : order;
      return Math.min(p, Math.min(i, order) + 1);
    });
    const disableCorrector = cfg.disable_corrector.map((d) => d - from).filter((d) => d >= 0);
    return {
      run: (model, x, s, o = {}) => sampleUniPc(model, x, s, {
        ...o, order, orders, variant: cfg.solver_type as 'bh1' | 'bh2', predictX0: cfg.predict_x0, disableCorrector, finalCorrector,
      }),
    };
  };
  return {
    referenceTimesteps: ts,
    sigmas: grid.sigmas,
    timesteps: grid.timesteps,
    samplerName: `unipc_${cfg.solver_type}`,
    make,
    notes: zero && (cfg.solver_type === 'bh1' || !cfg.predict_x0 || !cfg.lower_order_final)
      ? ['with final_sigmas_type "zero" the reference\'s last step (bh1, predict_x0 false or lower_order_final false) computes 0·∞ and returns NaN; the plan\'s last step returns D, its limit']
      : [],
  };
};

const BUILDERS: Record<SchedulerClass, Builder> = {
  DDIMScheduler: buildDdim,
  DDIMInverseScheduler: buildDdimInverse,
  DDPMScheduler: buildDdpm,
  PNDMScheduler: buildPndm,
  LCMScheduler: buildLcm,
  EulerDiscreteScheduler: buildEuler,
  EulerAncestralDiscreteScheduler: buildEulerAncestral,
  HeunDiscreteScheduler: buildHeun,
  LMSDiscreteScheduler: buildLms,
  DPMSolverMultistepScheduler: buildDpmMultistep,
  DPMSolverSinglestepScheduler: buildDpmSinglestep,
  DEISMultistepScheduler: buildDeis,
  UniPCMultistepScheduler: buildUniPc,
};

// ---------------------------------------------------------------------------------------------
// Any engine sampler on the pack's own schedule.

/**
 * σ grids for `planForSampler`: `default` is the config's own timestep list (its class's
 * `timestep_spacing` rules); `karras` is Karras et al. 2022 eq. 5 (ρ = 7) between the ends of the
 * training table; `exponential` is uniform in log σ between them; `linspace`, `leading` and
 * `trailing` are those timestep spacings (with the config's steps_offset). All end at σ = 0.
 */
export type PlanGrid = 'default' | 'karras' | 'exponential' | 'linspace' | 'leading' | 'trailing';

export interface SamplerPlanOptions {
  grid?: PlanGrid;
  /** Round the network time of off-table levels (Karras, exponential) to integers; default false (fractional t, as k-diffusion passes it). */
  roundTimesteps?: boolean;
}

/**
 * A plan for any sampler of the engine catalogue (`samplerByName`) on the config's discrete
 * schedule, for a user who picks the sampler in the UI: the config supplies the training schedule,
 * the prediction type and x̂₀ clipping/thresholding (applied to D for every sampler); the grid
 * supplies the levels; the sampler's own defaults apply.
 */
export function planForSampler(config: SchedulerConfig | unknown, samplerName: string, steps: number, opts: SamplerPlanOptions = {}): SchedulerPlan {
  const cfg = isValidated(config) ? config : validateSchedulerConfig(config);
  const info = samplerByName(samplerName);
  if (!Number.isInteger(steps) || steps < 1) throw new SchedulerConfigError(`number of inference steps must be a positive integer, got ${steps}`);
  if (steps > cfg.num_train_timesteps) throw new SchedulerConfigError(`cannot take ${steps} inference steps from a model trained on ${cfg.num_train_timesteps} timesteps`);
  const tables = trainingTables(cfg);
  const table = tables.sigmas;
  const N = table.length;
  const grid = opts.grid ?? 'default';
  let ts: number[];
  let sigmas: number[];
  const toT = (s: number) => (opts.roundTimesteps ? roundHalfEven(sigmaToT(tables, s)) : sigmaToT(tables, s));
  switch (grid) {
    case 'karras':
      sigmas = karras(steps, table[0], table[N - 1]);
      ts = sigmas.map(toT);
      break;
    case 'exponential':
      sigmas = npLinspace(Math.log(table[N - 1]), Math.log(table[0]), steps).map(Math.exp);
      ts = sigmas.map(toT);
      break;
    case 'default':
      ts = defaultTimesteps(cfg, steps, tables);
      sigmas = ts.map((t) => interp(table, t));
      break;
    case 'linspace':
    case 'leading':
    case 'trailing':
      ts = ddimTimesteps({ ...cfg, timestep_spacing: grid }, steps);
      checkTimesteps(cfg, ts);
      sigmas = ts.map((t) => interp(table, t));
      break;
    default:
      throw new SchedulerConfigError(`unknown grid "${grid as string}"; supported: default, karras, exponential, linspace, leading, trailing`);
  }
  const built: Built = {
    referenceTimesteps: ts,
    sigmas: [...sigmas, 0],
    timesteps: [...ts, NaN],
    samplerName: info.name,
    make: () => ({ run: info.run }),
    notes: [],
  };
  for (let i = 1; i < built.sigmas.length; i++) {
    if (!(built.sigmas[i] < built.sigmas[i - 1])) throw new SchedulerConfigError(`grid "${grid}" with ${steps} steps repeats the level ${built.sigmas[i]}`);
  }
  return makePlan(cfg, tables, built, 0);
}

/** The config class's own timestep list, one entry per level (PNDM/Heun without their repeats; inversion reversed). */
function defaultTimesteps(cfg: SchedulerConfig, n: number, tables: TrainingTables): number[] {
  switch (cfg._class_name) {
    case 'DDIMScheduler':
    case 'DDIMInverseScheduler':
    case 'DDPMScheduler':
    case 'PNDMScheduler': {
      const ts = ddimTimesteps(cfg._class_name === 'DDIMInverseScheduler' && cfg.timestep_spacing === 'linspace' ? { ...cfg, timestep_spacing: 'leading' } : cfg, n);
      checkTimesteps(cfg, ts);
      return ts;
    }
    case 'LCMScheduler':
      return buildLcm(cfg, n, tables).referenceTimesteps;
    case 'EulerDiscreteScheduler':
    case 'EulerAncestralDiscreteScheduler':
    case 'HeunDiscreteScheduler':
    case 'LMSDiscreteScheduler': {
      const ts = eulerTimesteps(cfg, n);
      checkTimesteps(cfg, ts);
      return ts;
    }
    default: {
      const last = cfg._class_name.startsWith('DPMSolver') ? cfg.num_train_timesteps - clippedIndex(cfg, tables) : cfg.num_train_timesteps;
      return dpmLevels({ ...cfg, use_karras_sigmas: false, use_lu_lambdas: false }, n, tables, { lastTimestep: last, configBounds: false, roundKarras: true }).ts;
    }
  }
}
