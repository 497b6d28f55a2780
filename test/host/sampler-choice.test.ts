/**
 * What the PNG's parameters call the sampler that ran: a pack's own scheduler config by the sampler
 * it runs, in the names other tools read — never a name of ours.
 */
import { describe, expect, it } from 'vitest';
import { packSamplerLabel, samplerChoice } from '../../main/host/sampler-choice.js';
import type { PackInfo } from '../../main/engine/packs/types.js';

const pack = (schedulerConfig: Record<string, unknown>) => ({ schedulerConfig }) as unknown as PackInfo;
const sd = { num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' };

describe('the sampler label of a pack\'s own scheduler', () => {
  it('names what the config runs, as AUTOMATIC1111 does', () => {
    expect(packSamplerLabel(pack({ _class_name: 'DDIMScheduler', ...sd }), 20)).toBe('DDIM');
    expect(packSamplerLabel(pack({ _class_name: 'PNDMScheduler', skip_prk_steps: true, ...sd }), 20)).toBe('PLMS');
    expect(packSamplerLabel(pack({ _class_name: 'EulerAncestralDiscreteScheduler', ...sd }), 20)).toBe('Euler a');
    expect(packSamplerLabel(pack({ _class_name: 'DPMSolverMultistepScheduler', ...sd }), 20)).toBe('DPM++ 2M');
    expect(packSamplerLabel(pack({ _class_name: 'DPMSolverMultistepScheduler', use_karras_sigmas: true, ...sd }), 20)).toBe('DPM++ 2M Karras');
  });

  it('falls back to the config\'s class when the catalogue has no such sampler, and is what `pack` reports', () => {
    expect(packSamplerLabel(pack({ _class_name: 'SomeNewScheduler' }), 20)).toBe('SomeNew');
    expect(samplerChoice('pack').label(pack({ _class_name: 'DDIMScheduler', ...sd }), 10)).toBe('DDIM');
    expect(samplerChoice('dpmpp_2m').label(pack({ _class_name: 'DDIMScheduler', ...sd }), 10)).toBe('DPM++ 2M');
    expect(() => samplerChoice('magic')).toThrow(/unknown sampler "magic"/);
  });
});
