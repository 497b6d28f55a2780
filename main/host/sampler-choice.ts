/**
 * The sampler a request names, as the host runs it: 'pack' for the pack's own scheduler config, or
 * a catalogue sampler on the pack's schedule — with the key searched boundary conditions are stored
 * under and the label the PNG's parameters show. A pack's own config is labelled with the sampler
 * it actually runs, in the names other tools read (`DDIM`, `PLMS`, `DPM++ 2M Karras`), never a name
 * of ours. An unknown name is UNKNOWN_SAMPLER.
 */
import { ApiError } from '../api/contract.js';
import type { PackInfo } from '../engine/packs/types.js';
import { samplerByName } from '../engine/samplers/index.js';
import { planFor } from '../engine/pipelines/plan.js';
import type { PlanFactory } from '../engine/pipelines/generate.js';
import { planFromConfig, validateSchedulerConfig } from '../engine/scheduler-config/index.js';

export interface SamplerChoice {
  key: string;
  /** What the PNG's parameters call it, for this pack and step count. */
  label: (info: PackInfo, steps: number) => string;
  plan: (info: PackInfo) => PlanFactory;
}

/**
 * The sampler a pack's scheduler config runs, by its catalogue label, with `Karras` appended when
 * the config spaces its levels that way (as AUTOMATIC1111 names "DPM++ 2M Karras"); the config's
 * class name when the catalogue has no such sampler.
 */
export function packSamplerLabel(info: PackInfo, steps: number): string {
  try {
    const cfg = validateSchedulerConfig(info.schedulerConfig);
    const name = planFromConfig(cfg, steps).samplerName;
    const label = samplerByName(name).label;
    return cfg.use_karras_sigmas ? `${label} Karras` : label;
  } catch {
    const cls = (info.schedulerConfig as { _class_name?: unknown } | undefined)?._class_name;
    return typeof cls === 'string' ? cls.replace(/Scheduler$/, '') : 'the pack\'s scheduler';
  }
}

export function samplerChoice(name: string): SamplerChoice {
  if (name === 'pack') return { key: 'pack', label: packSamplerLabel, plan: (info) => planFor(info) };
  try {
    const s = samplerByName(name);
    return { key: s.name, label: () => s.label, plan: (info) => planFor(info, s.name) };
  } catch (e) {
    throw new ApiError('UNKNOWN_SAMPLER', (e as Error).message);
  }
}
