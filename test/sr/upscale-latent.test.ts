/**
 * Upscaling and boundary search on the x4 upscaler's latent layout (a tiny pack in that exact
 * layout): tiles are cut in latent space and decoded one by one, the blend covers the output, a
 * one-tile image equals `generate`, and a search stores a latent-shaped x_T that later upscales use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cachedTinyPack } from '../fixtures/tiny-packs.js';
import { openPack } from '../../main/engine/packs/pack.js';
import type { LoadedPack } from '../../main/engine/packs/types.js';
import { planFor } from '../../main/engine/pipelines/plan.js';
import { generate } from '../../main/engine/pipelines/generate.js';
import { trainedTile, upscale } from '../../main/engine/pipelines/upscale.js';
import { encodePng } from '../../main/engine/image/io.js';
import { runSearchJob, runUpscaleJob } from '../../main/host/upscale-job.js';
import type { Tensor } from '../../main/engine/tensor.js';

let pack: LoadedPack;
beforeAll(async () => { pack = await openPack(await cachedTinyPack('upscaler'), { provider: 'cpu' }); });
afterAll(async () => { await pack?.release(); });

const picture = (w: number, h: number, phase = 0): Tensor => ({
  data: new Float32Array(3 * w * h).map((_, j) => Math.sin(0.3 * (j % w) + 0.2 * Math.floor(j / w) + phase) * 0.8),
  shape: [1, 3, h, w],
});

describe('upscale on the x4 latent layout', () => {
  it('tiles in latent space: a 4×-sized output, finite, and one tile equals generate', async () => {
    const f = pack.info.upscaleFactor;
    expect(f).toBe(4);
    const tile = trainedTile(pack.info).width; // output pixels of one tile
    const plan = planFor(pack.info);
    const lowW = (2 * tile) / f, lowH = tile / f;
    const res = await upscale(pack, { image: picture(lowW, lowH), steps: 2, seed: 1 }, plan);
    expect(res.image.shape).toEqual([1, 3, tile, 2 * tile]);
    expect(res.tiles.xs.length).toBeGreaterThan(1);
    expect(res.image.data.every(Number.isFinite)).toBe(true);
    const one = picture(tile / f, tile / f, 1);
    const u = await upscale(pack, { image: one, steps: 2, seed: 4 }, plan);
    const g = await generate(pack, { prompt: '', width: tile, height: tile, steps: 2, cfgScale: 0, seed: 4, init: { image: one, strength: 1 } }, plan);
    expect(Buffer.from(u.image.data.buffer).equals(Buffer.from(g.images.data.buffer))).toBe(true);
  });

  it('searches a latent x_T on a calibration folder and the next upscale starts from it', async () => {
    const tile = trainedTile(pack.info).width;
    const cal = await mkdtemp(path.join(tmpdir(), 'driftline-cal-x4-'));
    for (let i = 0; i < 3; i++) await writeFile(path.join(cal, `img-${i}.png`), await encodePng(picture(tile + 8, tile + 4, i)));
    const home = await mkdtemp(path.join(tmpdir(), 'driftline-home-x4-'));
    const ctl = new AbortController();
    const phases: string[] = [];
    const { record } = await runSearchJob(pack, { jobId: 's', model: 'x', calibration: cal, candidates: 2, steps: 2, sampler: 'pack', metric: 'gmsd', seed: 0 },
      { signal: ctl.signal, dataRoot: home, onProgress: (p) => phases.push(p.phase) });
    expect(record.shape).toEqual([1, pack.info.latentChannels, tile / pack.info.vaeScale, tile / pack.info.vaeScale]);
    expect(record.calibration.count).toBe(3);
    expect(record.candidates[record.best].scores.gmsd).toBe(Math.min(...record.candidates.map((c) => c.scores.gmsd)));
    expect(new Set(phases)).toEqual(new Set(['search']));
    const low = await encodePng(picture(tile / 4, tile / 4));
    const up = await runUpscaleJob(pack, { jobId: 'u', model: 'x', image: new Uint8Array(low), steps: 2, sampler: 'pack', bc: 'auto', seed: 0, previewEvery: 0, keep: false },
      { signal: ctl.signal, dataRoot: home, onProgress: () => {} });
    expect(up.boundary).toMatchObject({ source: 'searched', metric: 'gmsd' });
    expect([up.width, up.height]).toEqual([tile, tile]);
  });
});
