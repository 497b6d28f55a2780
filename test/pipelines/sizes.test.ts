/**
 * Every job is sized before it runs: sides a multiple of what the pack's VAE and UNet need, and no
 * larger than the pack can make (derived sizes included: an upscaler's output from its input).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectPack, openPack } from '../../main/engine/packs/pack.js';
import type { LoadedPack } from '../../main/engine/packs/types.js';
import { checkSize, generate, sizeLimits } from '../../main/engine/pipelines/generate.js';
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
    expect(sizeLimits(t2i.info)).toEqual({ multiple: 4, maxSide: 128, declared: false });
    expect(sizeLimits(sr.info)).toEqual({ multiple: 4, maxSide: 256, declared: false });
  });

  it('refuses sizes the UNet cannot take and sizes beyond the pack, before any model call', async () => {
    const req = { prompt: 'a cat', steps: 2, cfgScale: 3, seed: 1 };
    let calls = 0;
    const counted: LoadedPack = { ...t2i, info: t2i.info, providers: t2i.providers, encodePrompt: (p) => t2i.encodePrompt(p), unet: (...a) => { calls++; return t2i.unet(...a); }, release: async () => undefined };
    await expect(generate(counted, { ...req, width: 9, height: 13 }, planFor(t2i.info))).rejects.toThrow(/size 9x13 must be a positive multiple of 4 for this model \(nearest: 8x12 or 12x16\)/);
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

describe('a limit the pack declares (model_index.json driftline.max_side)', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'driftline-max-side-'));
  });
  afterAll(async () => rm(tmp, { recursive: true, force: true }));

  /** emoji-32 under its own name, declaring `max_side`. */
  const declaring = async (maxSide: unknown) => {
    const dir = path.join(await mkdtemp(path.join(tmp, 'p-')), 'emoji-32');
    await cp(path.join(root, 'models', 'packs', 'emoji-32'), dir, { recursive: true });
    const index = JSON.parse(await readFile(path.join(dir, 'model_index.json'), 'utf8'));
    index.driftline.max_side = maxSide;
    await writeFile(path.join(dir, 'model_index.json'), JSON.stringify(index));
    return dir;
  };

  it('replaces the default ceiling both ways, under the engine\'s own', async () => {
    const low = await inspectPack(await declaring(64));
    expect(low.maxSide).toBe(64);
    expect(sizeLimits(low)).toEqual({ multiple: 4, maxSide: 64, declared: true });
    expect(() => checkSize(low, 128, 128)).toThrow('size 128x128 is larger than this model can make (at most 64x64, the limit emoji-32 declares)');
    expect(sizeLimits(await inspectPack(await declaring(512)))).toEqual({ multiple: 4, maxSide: 512, declared: true });
    expect(sizeLimits(await inspectPack(await declaring(65536)))).toEqual({ multiple: 4, maxSide: 4096, declared: false });
  });

  it('is refused at inspection when it is not a whole number of pixels in range', async () => {
    for (const bad of ['big', 12.5, 0, -64, 1e9]) {
      await expect(inspectPack(await declaring(bad))).rejects.toMatchObject({ code: 'invalid-limit', file: 'model_index.json', message: expect.stringContaining(`driftline.max_side ${JSON.stringify(bad)}`) });
    }
  });
});
