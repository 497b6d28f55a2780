import { afterAll, describe, expect, it } from 'vitest';
import { cachedTinyPack } from '../fixtures/tiny-packs.js';
import { openPack } from '../../main/engine/packs/pack.js';
import type { LoadedPack, PackFamily } from '../../main/engine/packs/types.js';
import { generate, type GenerateProgress, type GenerateRequest } from '../../main/engine/pipelines/generate.js';
import { planFor } from '../../main/engine/pipelines/plan.js';
import type { Tensor } from '../../main/engine/tensor.js';

const packs = new Map<string, LoadedPack>();
async function pack(family: PackFamily, opts: object = {}): Promise<LoadedPack> {
  const key = family + JSON.stringify(opts);
  if (!packs.has(key)) packs.set(key, await openPack(await cachedTinyPack(family, opts), { provider: 'cpu' }));
  return packs.get(key)!;
}
afterAll(async () => { for (const p of packs.values()) await p.release(); });

const base = (p: LoadedPack, over: Partial<GenerateRequest> = {}): GenerateRequest => ({
  prompt: 'a photo of a cat', negativePrompt: 'blurry', width: 2 * p.info.defaultSize, height: p.info.defaultSize,
  steps: 4, cfgScale: 5, seed: 42, ...over,
});
const bits = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64');
/** A smooth test image, [1, 3, h, w] in [−1, 1]. */
const image = (w: number, h: number): Tensor => ({
  data: Float32Array.from({ length: 3 * w * h }, (_, j) => Math.sin(j * 0.37) * 0.8),
  shape: [1, 3, h, w],
});

describe('txt2img on every family that samples from noise', () => {
  it.each(['sd1', 'sd2', 'turbo', 'lcm', 'pixel'] as const)('%s: right shape, finite, in range, deterministic per seed', async (family) => {
    const p = await pack(family);
    const req = base(p, family === 'turbo' ? { cfgScale: 0, steps: 1 } : {});
    const a = await generate(p, req, planFor(p.info));
    expect(a.images.shape).toEqual([1, 3, req.height, req.width]);
    expect(a.images.data.every((v) => Number.isFinite(v))).toBe(true);
    const b = await generate(p, req, planFor(p.info));
    expect(bits(b.images)).toBe(bits(a.images));
    const c = await generate(p, { ...req, seed: 43 }, planFor(p.info));
    expect(bits(c.images)).not.toBe(bits(a.images));
  });

  it('uses one batched call per step with guidance, none without (turbo)', async () => {
    const sd = await pack('sd1');
    expect((await generate(sd, base(sd, { steps: 3 }), planFor(sd.info, 'euler'))).evaluations).toBe(3);
    const turbo = await pack('turbo');
    expect((await generate(turbo, base(turbo, { steps: 2, cfgScale: 0 }), planFor(turbo.info, 'euler'))).evaluations).toBe(2);
  });

  it('runs any catalogue sampler on the pack\'s schedule', async () => {
    const p = await pack('sd1');
    for (const s of ['dpmpp_2m', 'unipc_bh2', 'euler_a', 'heun']) {
      const r = await generate(p, base(p), planFor(p.info, s));
      expect(r.images.data.every(Number.isFinite)).toBe(true);
    }
  });

  it('loads fp16, external-data and Optimum-style exports', async () => {
    for (const opts of [{ fp16: true }, { externalData: true }, { exporter: 'optimum' }]) {
      const p = await pack('sd1', opts);
      const r = await generate(p, base(p, { steps: 2 }), planFor(p.info));
      expect(r.images.data.every(Number.isFinite)).toBe(true);
    }
  });

  it('batch element b is the image of seed + b on its own', async () => {
    const p = await pack('sd1');
    const two = await generate(p, base(p, { batch: 2 }), planFor(p.info, 'ddim'));
    const alone = await generate(p, base(p, { seed: 43 }), planFor(p.info, 'ddim'));
    expect(two.seeds).toEqual([42, 43]);
    const n = alone.images.data.length;
    let worst = 0;
    for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(two.images.data[n + j] - alone.images.data[j]));
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('progress, previews and cancellation', () => {
  it('reports every step, with previews every N steps', async () => {
    const p = await pack('sd1');
    const seen: GenerateProgress[] = [];
    await generate(p, base(p, { steps: 6, previewEvery: 2 }), planFor(p.info, 'euler'), { onProgress: (e) => seen.push(e) });
    expect(seen.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seen.map((e) => Boolean(e.preview))).toEqual([false, true, false, true, false, true]);
    const pv = seen[1].preview!;
    expect(pv.rgb.length).toBe(3 * pv.width * pv.height);
    expect([pv.width, pv.height]).toEqual([2 * p.info.defaultSize / p.info.vaeScale, p.info.defaultSize / p.info.vaeScale]);
  });

  it('stops within one step when cancelled and leaves the pack ready', async () => {
    const p = await pack('sd1');
    const ctl = new AbortController();
    let last = 0;
    const run = generate(p, base(p, { steps: 20 }), planFor(p.info, 'euler'), {
      signal: ctl.signal,
      onProgress: (e) => { last = e.step; if (e.step === 3) ctl.abort(); },
    });
    await expect(run).rejects.toThrow(/cancel|abort/i);
    expect(last).toBe(3);
    const again = await generate(p, base(p, { steps: 2 }), planFor(p.info));
    expect(again.images.data.every(Number.isFinite)).toBe(true);
  });
});

describe('img2img and inpainting', () => {
  it('strength 0 returns the input unchanged; higher strengths change it more', async () => {
    const p = await pack('sd1');
    const req = base(p);
    const src = image(req.width, req.height);
    const same = await generate(p, { ...req, init: { image: src, strength: 0 } }, planFor(p.info));
    expect(Array.from(same.images.data)).toEqual(Array.from(src.data));
    const diff = async (s: number) => {
      const r = await generate(p, { ...req, steps: 10, init: { image: src, strength: s } }, planFor(p.info, 'ddim'));
      return r.images.data.reduce((a, v, j) => a + Math.abs(v - src.data[j]), 0) / src.data.length;
    };
    const [low, high] = [await diff(0.2), await diff(0.9)];
    expect(low).toBeGreaterThan(0);
    expect(high).toBeGreaterThan(low);
  });

  it('starts img2img from the mean of an Optimum-style latent_parameters encoder', async () => {
    const p = await pack('sd1', { exporter: 'optimum' });
    const req = base(p, { steps: 4 });
    const src = image(req.width, req.height);
    const r = await generate(p, { ...req, init: { image: src, strength: 0.5 } }, planFor(p.info, 'ddim'));
    expect(r.images.data.every(Number.isFinite)).toBe(true);
    expect(r.evaluations).toBe(2);
  });

  it.each(['sd1', 'inpaint'] as const)('%s: unmasked pixels stay exactly as they were, masked ones change', async (family) => {
    const p = await pack(family);
    const req = base(p, { steps: 4 });
    const src = image(req.width, req.height);
    const mask = Float32Array.from({ length: req.width * req.height }, (_, j) => ((j % req.width) < req.width / 2 ? 1 : 0));
    const r = await generate(p, { ...req, init: { image: src, strength: 1 }, mask }, planFor(p.info));
    const n = req.width * req.height;
    let keptSame = true, changed = 0;
    for (let j = 0; j < 3 * n; j++) {
      if (mask[j % n] === 0) keptSame &&= r.images.data[j] === src.data[j];
      else changed += Math.abs(r.images.data[j] - src.data[j]);
    }
    expect(keptSame).toBe(true);
    expect(changed / (1.5 * n)).toBeGreaterThan(1e-3);
  });

  it('refuses requests that cannot work, with the reason', async () => {
    const p = await pack('sd1');
    await expect(generate(p, base(p, { width: 33 }), planFor(p.info))).rejects.toThrow(/multiple of 8/);
    await expect(generate(p, base(p, { mask: new Float32Array(4) }), planFor(p.info))).rejects.toThrow(/needs an init image/);
    const inp = await pack('inpaint');
    await expect(generate(inp, base(inp), planFor(inp.info))).rejects.toThrow(/inpainting model/);
  });
});


describe('the x4 upscaler layout', () => {
  it('upscales a low-resolution image by the VAE factor, conditioned on it and on the noise level', async () => {
    const p = await pack('upscaler');
    const s = p.info.vaeScale;
    const low = image(16, 8);
    const req = base(p, { width: 16 * s, height: 8 * s, steps: 3, init: { image: low, strength: 1 } });
    const a = await generate(p, req, planFor(p.info));
    expect(a.images.shape).toEqual([1, 3, 8 * s, 16 * s]);
    expect(a.images.data.every(Number.isFinite)).toBe(true);
    // The low-res image and the noise level both reach the UNet.
    const other = await generate(p, { ...req, init: { image: { data: low.data.map((v) => -v), shape: low.shape }, strength: 1 } }, planFor(p.info));
    expect(bits(other.images)).not.toBe(bits(a.images));
    const noisier = await generate(p, { ...req, noiseLevel: 200 }, planFor(p.info));
    expect(bits(noisier.images)).not.toBe(bits(a.images));
  });

  it('asks for the low-resolution image and refuses masks', async () => {
    const p = await pack('upscaler');
    await expect(generate(p, base(p), planFor(p.info))).rejects.toThrow(/upscaling model: give the low-resolution image/);
    const s = p.info.vaeScale;
    await expect(generate(p, base(p, { width: 16 * s, height: 8 * s, init: { image: image(16 * s, 8 * s), strength: 1 } }), planFor(p.info))).rejects.toThrow(/low-resolution image is/);
  });
});
