/**
 * The `parameters` text AUTOMATIC1111 writes into PNGs: written exactly as other tools read it,
 * split into prompts and fields as A1111's own reader does (multi-line prompts, quoted commas,
 * unknown fields kept), typed for the engine, and A1111's sampler names mapped to the catalogue.
 */
import { describe, expect, it } from 'vitest';
import { formatParameters, parseFields, parseParameters, samplerFromA1111, splitParameters, type GenerationParameters } from '../../main/api/parameters.js';
import { A1111_TEXT as A1111, SAMPLERS } from '../fixtures/a1111.js';


describe('writing and typed parsing', () => {
  const p: GenerationParameters = {
    prompt: 'a red fox, in snow\nhighly detailed',
    negativePrompt: 'blurry',
    steps: 20, sampler: 'DPM++ 2M', cfgScale: 7.5, seed: 1234567890, width: 512, height: 768,
    model: 'sd-1.5', denoisingStrength: 0.6, extra: { 'Schedule type': 'Karras', Note: 'a, b: "c"' },
  };
  it('writes the format other tools read', () => {
    expect(formatParameters(p)).toBe(
      'a red fox, in snow\nhighly detailed\nNegative prompt: blurry\n' +
        'Steps: 20, Sampler: DPM++ 2M, CFG scale: 7.5, Seed: 1234567890, Size: 512x768, Model: sd-1.5, ' +
        'Denoising strength: 0.6, Schedule type: Karras, Note: "a, b: \\"c\\""',
    );
  });
  it('parses what it writes, and a real A1111 line', () => {
    expect(parseParameters(formatParameters(p))).toEqual({ ...p, extra: { 'Schedule type': 'Karras', Note: 'a, b: "c"' } });
    const a1111 = 'masterpiece, cat\nNegative prompt: lowres\nSteps: 28, Sampler: Euler a, CFG scale: 6, Seed: 42, Size: 640x640, Model hash: abc123, Model: anything-v3';
    const q = parseParameters(a1111);
    expect([q.prompt, q.negativePrompt, q.steps, q.sampler, q.cfgScale, q.seed, q.width, q.height, q.model]).toEqual(
      ['masterpiece, cat', 'lowres', 28, 'Euler a', 6, 42, 640, 640, 'anything-v3']);
    expect(q.extra).toEqual({ 'Model hash': 'abc123' });
  });
  it('types the multi-line A1111 text: quoted commas kept whole, the last of a repeated key wins', () => {
    const q = parseParameters(`${A1111}, Seed: 5`);
    expect(q).toMatchObject({ prompt: 'masterpiece, a cat, (sitting:1.2)\non a red chair', negativePrompt: 'blurry, lowres\nbad hands', steps: 28, seed: 5, width: 512, height: 768 });
    expect(q.extra).toEqual({ 'Model hash': '6ce0161689', 'Lora hashes': 'detail: 1a2b, style: 3c4d', Version: 'v1.6.0' });
  });
  it('rejects text that is not parameters', () => {
    expect(() => parseParameters('just a caption')).toThrow(/no "Steps:"/);
    expect(() => parseParameters('a fox\nSampler: Euler, Seed: 1, Size: 8x8')).toThrow(/no "Steps:"/);
  });
});

describe('splitting into prompts and fields', () => {
  it('splits a multi-line prompt, a multi-line negative prompt and the fields, quoted commas kept whole', () => {
    const p = splitParameters(A1111)!;
    expect(p.prompt).toBe('masterpiece, a cat, (sitting:1.2)\non a red chair');
    expect(p.negativePrompt).toBe('blurry, lowres\nbad hands');
    expect(p.fields).toEqual([
      ['Steps', '28'], ['Sampler', 'DPM++ 2M Karras'], ['CFG scale', '6.5'], ['Seed', '3141592653'], ['Size', '512x768'],
      ['Model hash', '6ce0161689'], ['Model', 'v1-5-pruned'], ['Lora hashes', 'detail: 1a2b, style: 3c4d'], ['Version', 'v1.6.0'],
    ]);
  });

  it('unquotes JSON-quoted values with escaped quotes; CRLF text and no negative prompt', () => {
    expect(parseFields('Steps: 4, Note: "say \\"hi\\", then: go", Seed: 1')).toEqual([['Steps', '4'], ['Note', 'say "hi", then: go'], ['Seed', '1']]);
    const p = splitParameters('a fox\r\nSteps: 4, Sampler: DDIM, Seed: 9, Size: 32x32')!;
    expect(p).toEqual({ prompt: 'a fox', negativePrompt: '', fields: [['Steps', '4'], ['Sampler', 'DDIM'], ['Seed', '9'], ['Size', '32x32']] });
  });

  it('text with no fields line is not parameters; an empty prompt is allowed', () => {
    expect(splitParameters('just a prompt, nothing else')).toBeNull();
    expect(splitParameters('Steps: 20, Sampler: Euler, Seed: 1')!.prompt).toBe('');
  });
});

describe("A1111's sampler names", () => {
  it('map to the catalogue, schedules split off, unknown ones null', () => {
    expect(samplerFromA1111('DPM++ 2M Karras', SAMPLERS)).toEqual({ name: 'dpmpp_2m', schedule: 'Karras' });
    expect(samplerFromA1111('DPM++ 2M SDE Exponential', SAMPLERS)).toEqual({ name: 'dpmpp_2m_sde', schedule: 'Exponential' });
    expect(samplerFromA1111('Euler a', SAMPLERS)).toEqual({ name: 'euler_a' });
    expect(samplerFromA1111('euler  A', SAMPLERS)).toEqual({ name: 'euler_a' });
    expect(samplerFromA1111('DDIM', SAMPLERS)).toEqual({ name: 'ddim' });
    expect(samplerFromA1111('UniPC', SAMPLERS)).toEqual({ name: 'unipc_bh1' });
    expect(samplerFromA1111('DPM adaptive', SAMPLERS)).toBeNull();
  });
});
