/**
 * The pixel super-resolution layout: the real embedded pack emoji-sr-64 (models/packs/, committed)
 * and the tiny `pixel-sr` pack — family detection, the textless context, and the exported UNet
 * against the PyTorch outputs stored with it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedTinyPack } from '../fixtures/tiny-packs.js';
import { inspectLayout, inspectPack } from '../../main/engine/packs/layout.js';
import { openPack } from '../../main/engine/packs/pack.js';
import type { LoadedPack } from '../../main/engine/packs/types.js';
import { readNpy } from './npy.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const EMOJI_SR = path.join(root, 'models', 'packs', 'emoji-sr-64');
const opened: LoadedPack[] = [];
afterAll(async () => { for (const p of opened) await p.release(); });

describe('emoji-sr-64 (the embedded pixel super-resolution pack)', () => {
  it('is detected as pixel-sr: 6-channel UNet, no VAE, no text encoder, 2× from unet/config.json', async () => {
    const layout = await inspectLayout(EMOJI_SR);
    expect(layout.info).toMatchObject({
      name: 'emoji-sr-64', family: 'pixel-sr', unetInChannels: 6, latentChannels: 3, vaeScale: 1, scalingFactor: 1,
      defaultSize: 64, upscaleFactor: 2, defaultNoiseLevel: 0, contextDim: 128, textLength: 1, hasTextEncoder: false, hasVaeEncoder: false, hasVaeDecoder: false,
    });
    expect(layout.hasClassLabels).toBe(true);
    expect(Object.keys(layout.models)).toEqual(['unet']);
    expect(layout.headers.unet?.inputs.map((i) => `${i.name}:${i.type}`)).toEqual([
      'sample:float32', 'timestep:float32', 'encoder_hidden_states:float32', 'class_labels:float32',
    ]);
    expect(layout.headers.unet?.opsets).toContainEqual({ domain: '', version: 17 });
    expect(layout.notes).toEqual([]);
    const sched = layout.info.schedulerConfig as Record<string, unknown>;
    expect(sched).toMatchObject({ _class_name: 'DDIMScheduler', beta_schedule: 'squaredcos_cap_v2', prediction_type: 'v_prediction', timestep_spacing: 'trailing' });
    const licences = await readFile(path.join(EMOJI_SR, 'LICENSES.md'), 'utf8');
    expect(licences).toMatch(/Twemoji/);
    expect(licences).toMatch(/Noto Emoji/);
  });

  it('gives the ONNX outputs PyTorch gave at export (test vectors), through the pack interface', async () => {
    await expectTestVectors(EMOJI_SR);
  });

  it('has no text encoder: the context is zeros [B, 1, 128] whatever the prompt, and the UNet ignores it', async () => {
    const pack = await openPack(EMOJI_SR, { provider: 'cpu' });
    opened.push(pack);
    const ctx = await pack.encodePrompt(['a cat', '']);
    expect(ctx.shape).toEqual([2, 1, 128]);
    expect(ctx.data.every((x) => x === 0)).toBe(true);
    const sample = { data: new Float32Array(6 * 8 * 8).map((_, i) => Math.sin(i) * 0.7), shape: [1, 6, 8, 8] };
    const a = await pack.unet(sample, 500, { data: new Float32Array(128), shape: [1, 1, 128] }, { noiseLevel: 20 });
    const b = await pack.unet(sample, 500, { data: new Float32Array(3 * 128).fill(0.5), shape: [1, 3, 128] }, { noiseLevel: 20 });
    expect(b).toEqual(a);
    expect(await pack.unet(sample, 500, { data: new Float32Array(128), shape: [1, 1, 128] }, { noiseLevel: 300 })).not.toEqual(a);
  });
});

/** The pack's UNet, through the pack interface, gives the outputs PyTorch gave at export (its test_vectors/). */
async function expectTestVectors(dir: string): Promise<void> {
  const pack = await openPack(dir, { provider: 'cpu' });
  opened.push(pack);
  expect(pack.providers.map((p) => p.component)).toEqual(['unet']);
  const v = (n: string) => readNpy(path.join(dir, 'test_vectors', `${n}.npy`));
  const [sample, timestep, ctx, labels, want] = await Promise.all(
    ['unet.sample', 'unet.timestep', 'unet.encoder_hidden_states', 'unet.class_labels', 'unet.out_sample'].map(v));
  const B = sample.shape[0], per = sample.data.length / B, outPer = want.data.length / B, ctxPer = ctx.data.length / B;
  for (let b = 0; b < B; b++) {
    const out = await pack.unet(
      { data: (sample.data as Float32Array).slice(b * per, (b + 1) * per), shape: [1, ...sample.shape.slice(1)] },
      (timestep.data as Float32Array)[b],
      { data: (ctx.data as Float32Array).slice(b * ctxPer, (b + 1) * ctxPer), shape: [1, ...ctx.shape.slice(1)] },
      { noiseLevel: (labels.data as Float32Array)[b] },
    );
    const ref = (want.data as Float32Array).subarray(b * outPer, (b + 1) * outPer);
    let maxErr = 0;
    for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(out[i] - ref[i]));
    expect(maxErr).toBeLessThan(2e-4);
  }
}

describe('emoji-sr-x4 (the embedded 4× pack, 16 → 64 px)', () => {
  const X4 = path.join(root, 'models', 'packs', 'emoji-sr-x4');

  it('is detected as pixel-sr 4× with its area degradation declared, and its ONNX UNet gives what PyTorch gave', async () => {
    const layout = await inspectLayout(X4);
    expect(layout.info).toMatchObject({ name: 'emoji-sr-x4', family: 'pixel-sr', unetInChannels: 6, defaultSize: 64, upscaleFactor: 4, degradation: 'area', defaultNoiseLevel: 0, hasTextEncoder: false });
    expect(layout.notes).toEqual([]);
    await expectTestVectors(X4);
  });
});

describe('the tiny pixel-sr pack', () => {
  it('opens without a text encoder or tokenizer and feeds float32 class_labels', async () => {
    const dir = await cachedTinyPack('pixel-sr');
    expect(await inspectPack(dir)).toMatchObject({ family: 'pixel-sr', upscaleFactor: 2, defaultNoiseLevel: 20, hasTextEncoder: false, textLength: 1, contextDim: 128 });
    const pack = await openPack(dir, { provider: 'cpu', threads: 1 });
    opened.push(pack);
    expect(pack.providers.map((p) => p.component)).toEqual(['unet']);
    const ctx = await pack.encodePrompt(['x']);
    const sample = { data: new Float32Array(6 * 4 * 4).map((_, i) => Math.cos(i)), shape: [1, 6, 4, 4] };
    const a = await pack.unet(sample, 900, ctx, { noiseLevel: 20 });
    expect(a).toHaveLength(3 * 16);
    expect(await pack.unet(sample, 900, ctx, { noiseLevel: 200 })).not.toEqual(a);
    await expect(pack.unet(sample, 900, ctx)).rejects.toThrow(/pass extras.noiseLevel/);
  });

  it('without the declaration in model_index.json a missing text encoder is still an error', async () => {
    const { buildTinyPack } = await import('../fixtures/tiny-packs.js');
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(path.join(tmpdir(), 'driftline-pixel-sr-'));
    await buildTinyPack(dir, 'pixel-sr');
    const index = JSON.parse(await readFile(path.join(dir, 'model_index.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(dir, 'model_index.json'), JSON.stringify({ ...index, text_encoder: ['diffusers', 'OnnxRuntimeModel'] }));
    await expect(inspectPack(dir)).rejects.toThrow(/text_encoder\/model\.onnx is missing/);
    await rm(dir, { recursive: true, force: true });
  });
});
