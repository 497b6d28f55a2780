/**
 * The sampler a request names, as the host runs it: 'pack' for the pack's own scheduler config, or
 * a catalogue sampler on the pack's schedule — with the key searched boundary conditions are stored
 * under and the label the PNG's parameters show. An unknown name is UNKNOWN_SAMPLER.
 */
import { ApiError } from '../api/contract.js';
import type { PackInfo } from '../engine/packs/types.js';
import { samplerByName } from '../engine/samplers/index.js';
import { planFor } from '../engine/pipelines/plan.js';
import type { PlanFactory } from '../engine/pipelines/generate.js';

export interface SamplerChoice {
  key: string;
  label: string;
  plan: (info: PackInfo) => PlanFactory;
}

export function samplerChoice(name: string): SamplerChoice {
  if (name === 'pack') return { key: 'pack', label: 'pack scheduler', plan: (info) => planFor(info) };
  try {
    const s = samplerByName(name);
    return { key: s.name, label: s.label, plan: (info) => planFor(info, s.name) };
  } catch (e) {
    throw new ApiError('UNKNOWN_SAMPLER', (e as Error).message);
  }
}
