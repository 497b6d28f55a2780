/** `planForSampler`: any engine sampler on the config's own training schedule. See `index.ts`. */
import { roundHalfEven } from '../schedules.js';
import type { Sampler } from '../samplers/common.js';
import { samplerByName } from '../samplers/index.js';
import { dpmLevels } from './classes-sigma.js';
import { buildLcm } from './classes-vp.js';
import type { Built, SchedulerPlan } from './plan.js';
import { isValidated, makePlan } from './plan.js';
import type { TrainingTables } from './tables.js';
import { checkTimesteps, clippedIndex, ddimTimesteps, eulerTimesteps, interp, karras, npLinspace, sigmaToT, trainingTables } from './tables.js';
import type { SchedulerConfig } from './validate.js';
import { SchedulerConfigError, validateSchedulerConfig } from './validate.js';

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
  /**
   * Explicit noise levels, strictly decreasing and positive (the plan appends σ = 0); they replace
   * `grid` and `steps` must equal their count. Levels outside the training table are clamped to its
   * ends for the network time, as every off-table grid is.
   */
  levels?: readonly number[];
  /**
   * A sampler outside the catalogue (one built with data of its own, such as DPM-Solver-v3 with a
   * pack's statistics), run under `samplerName`; the catalogue is not consulted.
   */
  run?: Sampler;
}

/**
 * A plan for any sampler of the engine catalogue (`samplerByName`) on the config's discrete
 * schedule, for a user who picks the sampler in the UI: the config supplies the training schedule,
 * the prediction type and x̂₀ clipping/thresholding (applied to D for every sampler); the grid
 * supplies the levels; the sampler's own defaults apply.
 */
export function planForSampler(config: SchedulerConfig | unknown, samplerName: string, steps: number, opts: SamplerPlanOptions = {}): SchedulerPlan {
  const cfg = isValidated(config) ? config : validateSchedulerConfig(config);
  const info = opts.run ? { name: samplerName, run: opts.run } : samplerByName(samplerName);
  if (!Number.isInteger(steps) || steps < 1) throw new SchedulerConfigError(`number of inference steps must be a positive integer, got ${steps}`);
  if (steps > cfg.num_train_timesteps) throw new SchedulerConfigError(`cannot take ${steps} inference steps from a model trained on ${cfg.num_train_timesteps} timesteps`);
  const tables = trainingTables(cfg);
  const table = tables.sigmas;
  const N = table.length;
  const grid = opts.grid ?? 'default';
  let ts: number[];
  let sigmas: number[];
  const toT = (s: number) => (opts.roundTimesteps ? roundHalfEven(sigmaToT(tables, s)) : sigmaToT(tables, s));
  if (opts.levels) {
    if (opts.levels.length !== steps) throw new SchedulerConfigError(`${opts.levels.length} explicit levels given for ${steps} steps`);
    if (!opts.levels.every((v) => Number.isFinite(v) && v > 0)) throw new SchedulerConfigError('explicit levels must be finite and positive');
  }
  const kind: PlanGrid | 'explicit' = opts.levels ? 'explicit' : grid;
  switch (kind) {
    case 'explicit':
      sigmas = [...opts.levels!];
      ts = sigmas.map(toT);
      break;
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
      ts = ddimTimesteps({ ...cfg, timestep_spacing: kind }, steps);
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
