/**
 * Pixel super-resolution (the `pixel-sr` family, emoji-sr-64): the conditioning upsampler, the
 * pipeline on the tiny pack, and the trained pack upscaling held-out emoji better than bilinear.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedTinyPack } from '../fixtures/tiny-packs.js';
import { readNpy } from '../packs/npy.js';
import { openPack } from '../../main/engine/packs/pack.js';
import type { LoadedPack } from '../../main/engine/packs/types.js';
import { generate, upsampleBilinear, type GenerateRequest } from '../../main/engine/pipelines/generate.js';
import { planFor } from '../../main/engine/pipelines/plan.js';
import type { Tensor } from '../../main/engine/tensor.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const EMOJI_SR = path.join(root, 'models', 'packs', 'emoji-sr-64');
const opened: LoadedPack[] = [];
afterAll(async () => { for (const p of opened) await p.release(); });
const bits = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64');

describe('upsampleBilinear (the pixel SR conditioning; torch bilinear, align_corners=False)', () => {
  it('matches torch on a 2×2 → 4×4 example and keeps constants', () => {
    // torch.nn.functional.interpolate(torch.tensor([[[[0., 1.], [2., 3.]]]]), scale_factor=2, mode='bilinear', align_corners=False)
    const up = upsampleBilinear({ data: Float32Array.of(0, 1, 2, 3), shape: [1, 1, 2, 2] }, 2);
    expect(up.shape).toEqual([1, 1, 4, 4]);
    expect(Array.from(up.data)).toEqual([
      0, 0.25, 0.75, 1,
      0.5, 0.75, 1.25, 1.5,
      1.5, 1.75, 2.25, 2.5,
      2, 2.25, 2.75, 3,
    ]);
    const c = upsampleBilinear({ data: new Float32Array(2 * 3 * 5 * 7).fill(-0.3), shape: [2, 3, 5, 7] }, 3);
    expect(c.shape).toEqual([2, 3, 15, 21]);
    expect(c.data.every((v) => Math.abs(v + 0.3) < 1e-7)).toBe(true);
  });
});

describe('pixel SR pipeline on the tiny pack', () => {
  const image = (w: number, h: number): Tensor => ({ data: Float32Array.from({ length: 3 * w * h }, (_, j) => Math.sin(j * 0.37) * 0.8), shape: [1, 3, h, w] });
  const req = (over: Partial<GenerateRequest> = {}): GenerateRequest => ({
    prompt: 'ignored', width: 24, height: 16, steps: 3, cfgScale: 7, seed: 5, init: { image: image(12, 8), strength: 0.75 }, ...over,
  });

  it('returns upscaleFactor× the input, one UNet call per step (no guidance without a text encoder), deterministic', async () => {
    const p = await openPack(await cachedTinyPack('pixel-sr'), { provider: 'cpu' });
    opened.push(p);
    const a = await generate(p, req(), planFor(p.info));
    expect(a.images.shape).toEqual([1, 3, 16, 24]);
    expect(a.images.data.every(Number.isFinite)).toBe(true);
    expect(a.evaluations).toBe(3);
    expect(bits((await generate(p, req(), planFor(p.info))).images)).toBe(bits(a.images));
    // The low-res image and the noise level reach the UNet; the prompt does not matter.
    expect(bits((await generate(p, req({ init: { image: { data: image(12, 8).data.map((v) => -v), shape: [1, 3, 8, 12] }, strength: 1 } }), planFor(p.info))).images)).not.toBe(bits(a.images));
    expect(bits((await generate(p, req({ noiseLevel: 200 }), planFor(p.info))).images)).not.toBe(bits(a.images));
    expect(bits((await generate(p, req({ prompt: 'something else', negativePrompt: 'x' }), planFor(p.info))).images)).toBe(bits(a.images));
    // Batches and catalogue samplers work too.
    const two = await generate(p, req({ batch: 2 }), planFor(p.info, 'dpmpp_2m'));
    expect(two.images.shape).toEqual([2, 3, 16, 24]);
  });

  it("uses the pack's default_noise_level when the request names none", async () => {
    const { buildTinyPack } = await import('../fixtures/tiny-packs.js');
    const { mkdtemp, readFile, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await buildTinyPack(await mkdtemp(path.join(tmpdir(), 'driftline-pixel-sr-')), 'pixel-sr');
    const index = JSON.parse(await readFile(path.join(dir, 'model_index.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(dir, 'model_index.json'), JSON.stringify({ ...index, driftline: { default_noise_level: 0 } }));
    const p = await openPack(dir, { provider: 'cpu' });
    opened.push(p);
    expect(p.info.defaultNoiseLevel).toBe(0);
    const implicit = await generate(p, req(), planFor(p.info));
    expect(bits((await generate(p, req({ noiseLevel: 0 }), planFor(p.info))).images)).toBe(bits(implicit.images));
    expect(bits((await generate(p, req({ noiseLevel: 20 }), planFor(p.info))).images)).not.toBe(bits(implicit.images));
    await rm(dir, { recursive: true, force: true });
  });

  it('asks for the low-resolution image at 1/factor of the output size', async () => {
    const p = await openPack(await cachedTinyPack('pixel-sr'), { provider: 'cpu' });
    opened.push(p);
    await expect(generate(p, req({ init: undefined }), planFor(p.info))).rejects.toThrow(/upscaling model: give the low-resolution image/);
    await expect(generate(p, req({ init: { image: image(24, 16), strength: 1 } }), planFor(p.info))).rejects.toThrow(/low-resolution image is 24x16, expected 12x8/);
    await expect(generate(p, req({ width: 25 }), planFor(p.info))).rejects.toThrow(/multiple of 2/);
  });
});

describe('emoji-sr-64 upscales held-out emoji better than bilinear', () => {
  const toU8 = (v: number) => Math.min(255, Math.max(0, Math.round((v + 1) * 127.5)));
  const psnr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let se = 0;
    for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
    return 10 * Math.log10((255 * 255) / (se / a.length));
  };

  it('PSNR against the true 64 px image beats bilinear upscaling of the 32 px input (pack scheduler: DDIM, 8 steps, noise level 0)', async () => {
    const p = await openPack(EMOJI_SR, { provider: 'cpu' });
    opened.push(p);
    const low = await readNpy(path.join(EMOJI_SR, 'test_vectors', 'image.low_res_32.npy'));
    const high = await readNpy(path.join(EMOJI_SR, 'test_vectors', 'image.high_res_64.npy'));
    const n = low.shape[0];
    expect(n).toBe(8);
    const gains: number[] = [];
    let model = 0, bilinear = 0;
    for (let k = 0; k < n; k++) {
      const lo = Float32Array.from((low.data as Uint8Array).subarray(k * 3 * 32 * 32, (k + 1) * 3 * 32 * 32), (v) => v / 127.5 - 1);
      const truth = (high.data as Uint8Array).subarray(k * 3 * 64 * 64, (k + 1) * 3 * 64 * 64);
      const res = await generate(p, { prompt: '', width: 64, height: 64, steps: 8, cfgScale: 0, seed: k, init: { image: { data: lo, shape: [1, 3, 32, 32] }, strength: 1 } }, planFor(p.info));
      expect(res.images.shape).toEqual([1, 3, 64, 64]);
      const m = psnr(Array.from(res.images.data, toU8), truth);
      const b = psnr(Array.from(upsampleBilinear({ data: lo, shape: [1, 3, 32, 32] }, 2).data, toU8), truth);
      gains.push(m - b);
      model += m / n;
      bilinear += b / n;
    }
    console.log(`emoji-sr-64 on ${n} held-out emoji: PSNR ${model.toFixed(2)} dB vs bilinear ${bilinear.toFixed(2)} dB; per image ${gains.map((g) => g.toFixed(2)).join(', ')}`);
    expect(model).toBeGreaterThan(bilinear + 2);
    for (const g of gains) expect(g).toBeGreaterThan(0);
  });
});
