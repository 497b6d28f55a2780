/**
 * The validation of a diffusers `scheduler_config.json`: the classes and keys that are understood,
 * their types, defaults and supported values, and the config's parse / stringify round trip.
 * See `index.ts` for the module as a whole.
 */
import { z } from 'zod';
import type { PredictionType } from '../denoiser.js';
import type { BetaSchedule } from '../schedules.js';

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
/**
 * Upper bounds on every number a config may hold. Real configs sit far inside them (diffusers'
 * own and the hub's: 1000 training timesteps, iDDPM's 4000; β ≤ 0.02; steps_offset 0 or 1;
 * LCM's 50 original steps and timestep_scaling 10; σ_max 14.6 for SD, 80 for EDM-style configs,
 * 2·10⁴ for a cosine schedule capped at β = 0.999; solver orders 1–3). What they stop is a config
 * that asks the engine to allocate tables or histories beyond any machine's memory.
 */
export const SCHEDULER_CONFIG_LIMITS = {
  num_train_timesteps: 100_000,
  steps_offset: 1_000,
  clip_sample_range: 1_000,
  sample_max_value: 1_000,
  sigma: 1e6,
  solver_order: 8,
  lambda_min_clipped: 100,
  disable_corrector_entries: 1_000,
  original_inference_steps: 100_000,
  timestep_scaling: 1_000,
} as const;
const LIMITS = SCHEDULER_CONFIG_LIMITS;

const positive = (neutral: number, max: number): Field => ({ schema: z.number().positive().max(max), expected: `a positive number ≤ ${max}`, neutral });
const intIn = (min: number, max: number, neutral: number): Field => ({ schema: z.number().int().min(min).max(max), expected: `an integer in [${min}, ${max}]`, neutral });
const nullablePositive = (max: number): Field => ({ schema: z.number().positive().max(max).nullable(), expected: `a positive number ≤ ${max}, or null`, neutral: null });

const FIELDS: Record<Key, Field> = {
  num_train_timesteps: intIn(2, LIMITS.num_train_timesteps, 1000),
  // β is a probability of noise per training step.
  beta_start: positive(0.0001, 1),
  beta_end: positive(0.02, 1),
  beta_schedule: str('linear', ['linear', 'scaled_linear', 'squaredcos_cap_v2']),
  trained_betas: {
    schema: z.array(z.number().min(0).max(1)).max(LIMITS.num_train_timesteps).nullable(),
    expected: `null or an array of at most ${LIMITS.num_train_timesteps} numbers in [0, 1]`,
    neutral: null,
  },
  prediction_type: str('epsilon', ['epsilon', 'v_prediction', 'sample']),
  clip_sample: bool(false),
  clip_sample_range: positive(1, LIMITS.clip_sample_range),
  set_alpha_to_one: bool(true),
  steps_offset: intIn(0, LIMITS.steps_offset, 0),
  thresholding: bool(false),
  dynamic_thresholding_ratio: { schema: z.number().gt(0).max(1), expected: 'a number in (0, 1]', neutral: 0.995 },
  sample_max_value: positive(1, LIMITS.sample_max_value),
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
  sigma_min: nullablePositive(LIMITS.sigma),
  sigma_max: nullablePositive(LIMITS.sigma),
  interpolation_type: str('linear', ['linear']),
  timestep_type: str('discrete', ['discrete']),
  final_sigmas_type: str('zero', ['zero', 'sigma_min']),
  solver_order: intIn(1, LIMITS.solver_order, 2),
  algorithm_type: str('dpmsolver++', []),
  solver_type: str('midpoint', []),
  lower_order_final: bool(true),
  euler_at_final: bool(false),
  // zod's number() refuses ±Infinity; diffusers' default is -inf (no clipping).
  lambda_min_clipped: {
    schema: z.custom<number>((v) => v === -Infinity || (typeof v === 'number' && Math.abs(v) <= LIMITS.lambda_min_clipped)),
    expected: `-Infinity or a number in [-${LIMITS.lambda_min_clipped}, ${LIMITS.lambda_min_clipped}]`,
    neutral: -Infinity,
  },
  predict_x0: bool(true),
  disable_corrector: {
    schema: z.array(z.number().int().min(0).max(LIMITS.num_train_timesteps)).max(LIMITS.disable_corrector_entries),
    expected: `an array of at most ${LIMITS.disable_corrector_entries} step indices (integers in [0, ${LIMITS.num_train_timesteps}])`,
    neutral: [],
  },
  solver_p: { schema: z.null(), expected: 'null (a nested solver_p scheduler is not supported)', neutral: null },
  original_inference_steps: intIn(1, LIMITS.original_inference_steps, 50),
  timestep_scaling: positive(10, LIMITS.timestep_scaling),
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

/** A value for a message, cut short (a config may hold long arrays). */
const show = (v: unknown): string => {
  const text = v === undefined ? 'nothing' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/**
 * Validate a parsed `scheduler_config.json`: `_class_name` must name a supported class; each key
 * that class reads must have the right type and a supported value within its bound
 * (`SCHEDULER_CONFIG_LIMITS`; messages name the key, what was expected, the bound included, and
 * what was found); keys the class does not read are ignored, as diffusers'
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
  if (className === 'LCMScheduler' && cfg.original_inference_steps > cfg.num_train_timesteps) {
    problems.push(`"original_inference_steps" (${cfg.original_inference_steps}) must not exceed "num_train_timesteps" (${cfg.num_train_timesteps})`);
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
    raw = parsePythonJson(text);
  } catch (e) {
    throw new SchedulerConfigError(`scheduler config is not valid JSON: ${(e as Error).message}`);
  }
  return validateSchedulerConfig(raw);
}

/** JSON as Python's `json` module writes it: bare -Infinity / Infinity / NaN read as those numbers. */
export function parsePythonJson(text: string): unknown {
  return JSON.parse(quoteNonFinite(text), (_k, v: unknown) => (typeof v === 'string' && NON_FINITE.has(v) ? NON_FINITE.get(v) : v));
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
