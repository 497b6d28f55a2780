/** The sampling plan a pipeline runs: the pack's own scheduler config, or a catalogue sampler on the pack's schedule. */
import type { PackInfo } from '../packs/types.js';
import { planForSampler, planFromConfig, type PlanGrid } from '../scheduler-config/index.js';
import type { PlanFactory } from './generate.js';

export function planFor(info: PackInfo, sampler?: string, grid?: PlanGrid): PlanFactory {
  return (steps) => (sampler ? planForSampler(info.schedulerConfig, sampler, steps, { grid }) : planFromConfig(info.schedulerConfig, steps));
}
