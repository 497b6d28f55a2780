/**
 * Upscaling on the embedded emoji-sr-64 pack (real weights): a one-tile upscale is exactly what
 * `generate` returns, tiles blend without visible seams, a searched boundary condition is stored,
 * reloaded and reproduces the same image bit for bit, and bad input is refused with a clear message
 * that leaves stored results alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPack } from '../../main/engine/packs/pack.js';
import type { LoadedPack } from '../../main/engine/packs/types.js';
import { planFor } from '../../main/engine/pipelines/plan.js';
import { generate } from '../../main/engine/pipelines/generate.js';
import { boundaryFor, stateShape, upscale, upscalePlan } from '../../main/engine/pipelines/upscale.js';
import { candidateNoise, isDeterministic, searchBoundary } from '../../main/engine/sr/search.js';
import { areaDownsample, degrade, loadCalibration } from '../../main/engine/sr/calibration.js';
import { boundaryPaths, loadBoundary, packDigest, saveBoundary } from '../../main/engine/sr/store.js';
import { planForSampler } from '../../main/engine/scheduler-config/index.js';
import { heldOutPairs } from '../fixtures/sr-sets.js';
import type { Tensor } from '../../main/engine/tensor.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PACK = path.join(root, 'models', 'packs', 'emoji-sr-64');
let pack: LoadedPack;
let home: string;
beforeAll(async () => {
  pack = await openPack(PACK, { provider: 'cpu' });
  home = await mkdtemp(path.join(tmpdir(), 'driftline-sr-'));
});
afterAll(async () => { await pack?.release(); });

/** Tile several held-out emoji into one low-resolution image [1, 3, rows·32, cols·32]. */
async function mosaic(cols: number, rows: number): Promise<Tensor> {
  const pairs = await heldOutPairs(2, cols * rows);
  const W = cols * 32, H = rows * 32;
  const data = new Float32Array(3 * W * H);
  pairs.forEach((p, k) => {
    const ox = (k % cols) * 32, oy = Math.floor(k / cols) * 32;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) data[c * W * H + (oy + y) * W + ox + x] = p.low.data[c * 1024 + y * 32 + x];
  });
  return { data, shape: [1, 3, H, W] };
}

/** Mean |Δ| between horizontally adjacent pixels, over the columns x → x+1 listed. */
function stepAcross(img: Tensor, columns: number[]): number {
  const [, C, H, W] = img.shape;
  let s = 0, n = 0;
  for (const x of columns) for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) { s += Math.abs(img.data[c * W * H + y * W + x + 1] - img.data[c * W * H + y * W + x]); n++; }
  return s / n;
}

describe('upscale (emoji-sr-64)', () => {
  it('on an image of one tile is exactly generate with the same seed', async () => {
    const [pair] = await heldOutPairs(2, 1);
    const plan = planFor(pack.info);
    const g = await generate(pack, { prompt: '', width: 64, height: 64, steps: 4, cfgScale: 0, seed: 11, init: { image: pair.low, strength: 1 } }, plan);
    const u = await upscale(pack, { image: pair.low, steps: 4, seed: 11 }, plan);
    expect(u.tiles.xs.length * u.tiles.ys.length).toBe(1);
    expect(Buffer.from(u.image.data.buffer).equals(Buffer.from(g.images.data.buffer))).toBe(true);
  });

  it('blends tiles without a visible seam: the step across a tile boundary is no larger than elsewhere', async () => {
    const low = await mosaic(3, 1); // 96 × 32 → 192 × 64: three or more tiles across
    const res = await upscale(pack, { image: low, steps: 4, seed: 3 }, planFor(pack.info));
    const { xs } = res.tiles;
    expect(xs.length).toBeGreaterThan(2);
    expect(res.image.shape).toEqual([1, 3, 64, 192]);
    // Tile edges inside the image (where one tile's pixels stop), against every other column.
    const edges = new Set<number>();
    for (const s of xs) { if (s.start > 0) edges.add(s.start - 1); if (s.start + s.size < 192) edges.add(s.start + s.size - 1); }
    const others = Array.from({ length: 191 }, (_, x) => x).filter((x) => !edges.has(x));
    const atEdges = Math.max(...[...edges].map((x) => stepAcross(res.image, [x])));
    const elsewhere = stepAcross(res.image, others);
    const maxElsewhere = Math.max(...others.map((x) => stepAcross(res.image, [x])));
    console.log(`seams: mean |Δ| at tile edges max ${atEdges.toFixed(4)}, elsewhere mean ${elsewhere.toFixed(4)}, max ${maxElsewhere.toFixed(4)}`);
    expect(atEdges).toBeLessThanOrEqual(maxElsewhere);
  });

  it('sizes the job first: an image too small for the UNet or too large for the pack is refused with the limit', () => {
    expect(() => upscalePlan(pack.info, 5, 5)).toThrow(/image 5x5 would upscale to 10x10, which emoji-sr-64 cannot make: size 10x10 must be a positive multiple of 4/);
    expect(() => upscalePlan(pack.info, 256, 64)).toThrow(/at most 256x256 output/);
    expect(() => upscalePlan({ ...pack.info, family: 'sd1', name: 'x' }, 32, 32)).toThrow(/not an upscaler/);
  });

  it('knows ODE plans from SDE plans by running them', async () => {
    expect(await isDeterministic(planFor(pack.info)(5))).toBe(true);
    expect(await isDeterministic(planForSampler(pack.info.schedulerConfig, 'dpmpp_2m', 5))).toBe(true);
    expect(await isDeterministic(planForSampler(pack.info.schedulerConfig, 'euler_a', 5))).toBe(false);
  });
});

describe('boundary-condition search and store (emoji-sr-64)', () => {
  it('scores every candidate, picks the best, stores it, and the reloaded tensor reproduces the upscale bit for bit', async () => {
    const cal = await loadCalibration(path.join(PACK, 'calibration'), { width: 64, height: 64 }, 2, 4);
    expect(cal.pairs).toHaveLength(4);
    const plan = planFor(pack.info);
    const res = await searchBoundary(pack, { pairs: cal.pairs, candidates: 3, steps: 2, metric: 'psnr', seed: 5 }, plan);
    expect(res.candidates).toHaveLength(3);
    const best = Math.max(...res.candidates.map((c) => c.scores.psnr));
    expect(res.candidates[res.best].scores.psnr).toBe(best);
    expect(res.evaluations).toBe(3 * 4 * 2);
    expect(Array.from(res.boundary.data)).toEqual(Array.from(candidateNoise(res.boundary.shape, 5, res.best)));
    // Reproducible: the same search again chooses the same candidate with the same scores.
    const again = await searchBoundary(pack, { pairs: cal.pairs, candidates: 3, steps: 2, metric: 'psnr', seed: 5 }, plan);
    expect(again.candidates).toEqual(res.candidates);

    const digest = await packDigest(PACK, home);
    const record = {
      version: 1 as const, pack: { name: 'emoji-sr-64', digest }, sampler: 'pack', steps: 2, tile: { width: 64, height: 64 }, shape: res.boundary.shape.slice(),
      metric: 'psnr' as const, seed: 5, calibration: { source: 'test', digest: cal.digest, count: 4 }, candidates: res.candidates, best: res.best,
      evaluations: res.evaluations, seconds: 0, date: new Date().toISOString(),
    };
    const saved = await saveBoundary(record, res.boundary, home);
    const key = { digest, sampler: 'pack', steps: 2, tile: { width: 64, height: 64 } };
    const loaded = (await loadBoundary(key, stateShape(pack.info, 64, 64), home))!;
    expect(loaded.record).toEqual(saved.record);
    const [pair] = await heldOutPairs(2, 1);
    const a = await upscale(pack, { image: pair.low, steps: 2, seed: 0, boundary: res.boundary }, plan);
    const b = await upscale(pack, { image: pair.low, steps: 2, seed: 0, boundary: loaded.z }, plan);
    expect(Buffer.from(b.image.data.buffer).equals(Buffer.from(a.image.data.buffer))).toBe(true);
    // The boundary is the start: a different one changes the output.
    const c = await upscale(pack, { image: pair.low, steps: 2, seed: 0, boundary: { data: candidateNoise(res.boundary.shape, 99, 0), shape: res.boundary.shape } }, plan);
    expect(Buffer.from(c.image.data.buffer).equals(Buffer.from(a.image.data.buffer))).toBe(false);

    // A stored tensor for another shape, or one that does not match its record, is refused by name.
    await expect(loadBoundary(key, [1, 3, 128, 128], home)).rejects.toThrow(/has shape \[1,3,64,64\], not this model's tile \[1, 3, 128, 128\]/);
    const { tensor } = boundaryPaths(key, home, saved.record.tensorSha256);
    const bytes = await readFile(tensor);
    bytes[0] ^= 1;
    await writeFile(tensor, bytes);
    await expect(loadBoundary(key, stateShape(pack.info, 64, 64), home)).rejects.toThrow(/does not match its record/);
    expect(await loadBoundary({ ...key, steps: 3 }, stateShape(pack.info, 64, 64), home)).toBeUndefined();
  });

  it('cuts a searched z to a smaller image and refuses one that does not fit', () => {
    const z = { data: new Float32Array(3 * 64 * 64).map((_, i) => i), shape: [1, 3, 64, 64] };
    const cut = boundaryFor(z, [1, 3, 32, 48]);
    expect(cut.length).toBe(3 * 32 * 48);
    expect(cut[1 * 32 * 48 + 5 * 48 + 7]).toBe(1 * 4096 + 5 * 64 + 7);
    expect(() => boundaryFor(z, [1, 4, 64, 64])).toThrow(/does not fit this model's tile/);
  });

  it('the pack declares its degradation, 2×2 area averaging on 8-bit levels; bicubic is there for packs trained on it', async () => {
    expect(pack.info.degradation).toBe('area');
    const high = { data: Float32Array.from([0, 2, 4, 7], (u) => u / 127.5 - 1), shape: [1, 1, 2, 2] };
    expect(Math.round((areaDownsample(high, 2).data[0] + 1) * 127.5)).toBe(Math.round(13 / 4));
    const flat = { data: new Float32Array(3 * 16 * 16).fill(100 / 127.5 - 1), shape: [1, 3, 16, 16] };
    const b = await degrade(flat, 4, 'bicubic');
    expect(b.shape).toEqual([1, 3, 4, 4]);
    for (const v of b.data) expect(Math.round((v + 1) * 127.5)).toBe(100);
  });

  it('refuses empty, unreadable and too-small calibration folders with the reason', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'driftline-cal-empty-'));
    await expect(loadCalibration(empty, { width: 64, height: 64 }, 2)).rejects.toThrow(/holds no images/);
    await expect(loadCalibration(path.join(empty, 'nope'), { width: 64, height: 64 }, 2)).rejects.toThrow(/cannot read the calibration folder .*ENOENT/);
    await writeFile(path.join(empty, 'bad.png'), 'not a png');
    await expect(loadCalibration(empty, { width: 64, height: 64 }, 2)).rejects.toThrow(/bad.png is not an image/);
    await expect(loadCalibration(path.join(PACK, 'calibration'), { width: 128, height: 128 }, 2, 1)).rejects.toThrow(/is 64x64, smaller than the model's 128x128 tile/);
  });
});
