import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, MAX_SEED, PACK_SAMPLER, newJobId, previewEveryFor, randomSeed, withModel, sanitizeSettings, seedForRun, settingsForRerun, toGenerateRequest, validateSettings, type GenerateSettings } from '../../renderer/src/ui/generate/settings.js';
import { GenerateRequest } from '../../main/api/contract.js';

const base: GenerateSettings = { ...DEFAULT_SETTINGS, model: 'emoji-32', prompt: 'a fox' };

describe('Generate panel settings', () => {
  it('choosing a model adopts the steps and CFG its pack recommends, and only those', () => {
    const s = { ...base, steps: 40, cfgScale: 9, seed: 5 };
    expect(withModel(s, { name: 'emoji-32', path: '/p', source: 'embedded', recommended: { steps: 25, cfgScale: 5 } }))
      .toMatchObject({ model: 'emoji-32', steps: 25, cfgScale: 5, seed: 5, prompt: 'a fox' });
    expect(withModel(s, { name: 'sd', path: '/q', source: 'imported', recommended: { cfgScale: 7.5 } })).toMatchObject({ model: 'sd', steps: 40, cfgScale: 7.5 });
    expect(withModel(s, { name: 'sd', path: '/q', source: 'imported' })).toMatchObject({ model: 'sd', steps: 40, cfgScale: 9 });
    expect(withModel(s, undefined).model).toBe('');
  });

  it('become a request the contract accepts; model default size sends no width/height', () => {
    const req = toGenerateRequest(base, 'job-1', 1234);
    expect(req).toMatchObject({ jobId: 'job-1', model: 'emoji-32', prompt: 'a fox', sampler: PACK_SAMPLER, steps: 20, cfgScale: 7, seed: 1234, batch: 1, previewEvery: 1 });
    expect(req.width).toBeUndefined();
    expect(req.negativePrompt).toBeUndefined();
    expect(GenerateRequest.safeParse(req).success).toBe(true);
  });

  it('custom sizes and a negative prompt are sent', () => {
    const req = toGenerateRequest({ ...base, sizeMode: 'custom', width: 768, height: 512, negativePrompt: 'blurry', sampler: 'dpmpp_2m' }, 'j', 1);
    expect(req).toMatchObject({ width: 768, height: 512, negativePrompt: 'blurry', sampler: 'dpmpp_2m' });
    expect(GenerateRequest.safeParse(req).success).toBe(true);
  });

  it('a locked seed is reused; an unlocked one is drawn fresh within 32 bits', () => {
    expect(seedForRun({ ...base, seed: 77, seedLocked: true })).toBe(77);
    expect(seedForRun({ ...base, seed: 77, seedLocked: false }, () => 0.5)).toBe(Math.floor(0.5 * (MAX_SEED + 1)));
    expect(randomSeed(() => 0.999999999999)).toBeLessThanOrEqual(MAX_SEED);
    expect(randomSeed(() => 0)).toBe(0);
  });

  it('validation names each bad field', () => {
    expect(validateSettings(base)).toEqual([]);
    expect(validateSettings({ ...base, model: '' })).toEqual(['Pick a model first.']);
    expect(validateSettings({ ...base, steps: 0 })[0]).toMatch(/Steps/);
    expect(validateSettings({ ...base, steps: NaN })[0]).toMatch(/Steps/);
    expect(validateSettings({ ...base, cfgScale: -1 })[0]).toMatch(/CFG/);
    expect(validateSettings({ ...base, batch: 65 })[0]).toMatch(/Batch/);
    expect(validateSettings({ ...base, sizeMode: 'custom', width: 500, height: 512 })[0]).toMatch(/multiples of 8/);
    expect(validateSettings({ ...base, sizeMode: 'custom', width: 8192, height: 512 })[0]).toMatch(/8 to 4096/);
    expect(validateSettings({ ...base, seedLocked: true, seed: -3 })[0]).toMatch(/seed/);
  });

  it('previews every step for short runs, about 50 for long ones', () => {
    expect(previewEveryFor(1)).toBe(1);
    expect(previewEveryFor(50)).toBe(1);
    expect(previewEveryFor(51)).toBe(2);
    expect(previewEveryFor(1000)).toBe(20);
  });

  it('"use these settings again" locks the image\'s own seed for one image', () => {
    expect(settingsForRerun({ ...base, batch: 4, seed: 1, seedLocked: false }, 9)).toMatchObject({ seed: 9, seedLocked: true, batch: 1, prompt: 'a fox' });
  });

  it('remembered settings keep only well-typed known fields', () => {
    expect(sanitizeSettings({ prompt: 'x', steps: 'ten', cfgScale: null, sizeMode: 'huge', width: 640, evil: 1 })).toEqual({ prompt: 'x', width: 640 });
    expect(sanitizeSettings(null)).toEqual({});
    expect(sanitizeSettings([1, 2])).toEqual({});
  });

  it('job ids are distinct', () => {
    expect(newJobId(1, () => 0.1)).not.toBe(newJobId(1, () => 0.2));
    expect(newJobId()).toMatch(/^job-/);
  });
});
