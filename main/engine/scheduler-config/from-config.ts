/** `planFromConfig`: the plan that reproduces the config's own scheduler class. See `index.ts`. */
import { BUILDERS } from './classes.js';
import type { PlanOptions, SchedulerPlan } from './plan.js';
import { isValidated, makePlan } from './plan.js';
import { planForSampler } from './sampler-plan.js';
import { trainingTables } from './tables.js';
import type { SchedulerConfig } from './validate.js';
import { SchedulerConfigError, validateSchedulerConfig } from './validate.js';

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
