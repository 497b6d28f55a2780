/**
 * Every job is sized before it runs: sides a multiple of what the pack's VAE and UNet need, and no
 * larger than the pack can make (derived sizes included: an upscaler's output from its input).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPack } from '../../main/engine/packs/pack.js';
import type { LoadedPack } from '../../main/engine/packs/types.js';
import { generate, sizeLimits } from '../../main/engine/pipelines/generate.js';
import { planFor } from '../../main/engine/pipelines/plan.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let t2i: LoadedPack, sr: LoadedPack;
beforeAll(async () => {
  t2i = await openPack(path.join(root, 'models', 'packs', 'emoji-32'), { provider: 'cpu' });
  sr = await openPack(path.join(root, 'models', 'packs', 'emoji-sr-64'), { provider: 'cpu' });
});
afterAll(async () => { await t2i?.release(); await sr?.release(); });

const image = (w: number, h: number) => ({ data: new Float32Array(3 * w * h), shape: [1, 3, h, w] });

describe('job sizes', () => {
  it('reads what the UNet needs from its config: emoji-32 has three blocks (multiples of 4), at most 4× its 32 px', () => {
    expect(t2i.info.unetMultiple).toBe(4);
    expect(sizeLimits(t2i.info)).toEqual({ multiple: 4, maxSide: 128 });
    expect(sizeLimits(sr.info)).toEqual({ multiple: 4, maxSide: 256 });
  });

  it('refuses sizes the UNet cannot take and sizes beyond the pack, before any model call', async () => {
    const req = { prompt: 'a cat', steps: 2, cfgScale: 3, seed: 1 };
    let calls = 0;
    const counted: LoadedPack = { ...t2i, info: t2i.info, providers: t2i.providers, encodePrompt: (p) => t2i.encodePrompt(p), unet: (...a) => { calls++; return t2i.unet(...a); }, release: async () => undefined };
    await expect(generate(counted, { ...req, width: 9, height: 13 }, planFor(t2i.info))).rejects.toThrow(/size 9x13 must be a positive multiple of 4 for this model/);
    await expect(generate(counted, { ...req, width: 256, height: 256 }, planFor(t2i.info))).rejects.toThrow(/at most 128x128/);
    expect(calls).toBe(0);
    const ok = await generate(counted, { ...req, width: 36, height: 28 }, planFor(t2i.info));
    expect(ok.images.shape).toEqual([1, 3, 28, 36]);
  });

  it('an upscaler\'s output is sized from its input and capped', async () => {
    await expect(generate(sr, { prompt: '', steps: 1, cfgScale: 0, seed: 1, width: 400, height: 400, init: { image: image(200, 200), strength: 1 } }, planFor(sr.info)))
      .rejects.toThrow(/at most 256x256 output, i\.e\. a smaller low-resolution image/);
  });
});
