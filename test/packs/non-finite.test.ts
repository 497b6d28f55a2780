// A component that returns NaN or ±Infinity must fail the call by name, not become a black image
// reported as a success.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyPack } from '../fixtures/tiny-packs.js';
import { poisonComponent } from '../fixtures/non-finite-packs.js';
import { NonFiniteOutputError } from '../../main/engine/packs/errors.js';
import { countNonFinite, openPack } from '../../main/engine/packs/pack.js';
import type { ComponentName, LoadedPack } from '../../main/engine/packs/types.js';
import { generate } from '../../main/engine/pipelines/generate.js';
import { planFor } from '../../main/engine/pipelines/plan.js';

let root: string;
let n = 0;
const opened: LoadedPack[] = [];
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'driftline-nonfinite-'));
});
afterAll(async () => {
  for (const p of opened) await p.release();
  await rm(root, { recursive: true, force: true });
});

async function poisoned(component: ComponentName | undefined, poison: 'nan' | 'overflow' = 'nan', opts: { fp16?: boolean } = {}): Promise<LoadedPack> {
  const dir = await buildTinyPack(join(root, `p${n++}`), 'sd1', opts);
  if (component) await poisonComponent(dir, component, poison);
  const pack = await openPack(dir, { provider: 'cpu', threads: 1 });
  opened.push(pack);
  return pack;
}

async function failure(p: Promise<unknown>): Promise<NonFiniteOutputError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(NonFiniteOutputError);
  return err as NonFiniteOutputError;
}

const h = 4;
const sample = { data: new Float32Array(2 * 4 * h * h).map((_, i) => Math.sin(i)), shape: [2, 4, h, h] };
const latent = { data: new Float32Array(4 * h * h).map((_, i) => Math.cos(i) * 0.2), shape: [1, 4, h, h] };
const image = { data: new Float32Array(3 * 8 * h * 8 * h).map((_, i) => Math.sin(i / 5) * 0.9), shape: [1, 3, 8 * h, 8 * h] };

describe('non-finite model output', () => {
  it('counts NaN and infinities in one pass', () => {
    expect(countNonFinite(Float32Array.of(0, 1, -2, NaN, Infinity, -Infinity, 3.4e38))).toEqual({ nan: 1, inf: 2 });
    expect(countNonFinite(new Float32Array(10))).toEqual({ nan: 0, inf: 0 });
  });

  const calls: [ComponentName, string, (p: LoadedPack) => Promise<unknown>][] = [
    ['text_encoder', 'the text encoder', (p) => p.encodePrompt(['a photo of a cat'])],
    ['unet', 'the UNet', async (p) => p.unet(sample, 981, await healthyContext())],
    ['vae_encoder', 'the VAE encoder', (p) => p.vaeEncode!(image)],
    ['vae_decoder', 'the VAE decoder', (p) => p.vaeDecode!(latent)],
  ];
  for (const [component, label, call] of calls) {
    it(`${component} returning NaN fails with NON_FINITE_OUTPUT naming it`, async () => {
      const p = await poisoned(component);
      const err = await failure(call(p));
      expect(err.code).toBe('NON_FINITE_OUTPUT');
      expect(err.component).toBe(component);
      expect(err.source).toBe('model');
      expect(err.message).toMatch(new RegExp(`^${label} returned \\d+ NaN of \\d+ values on cpu: the model's weights may be damaged, or the provider computes it wrongly; try another execution provider, or export the pack again$`));
    });
  }

  it('an fp16 UNet that overflows is told to use the fp32 export or another provider', async () => {
    const p = await poisoned('unet', 'overflow', { fp16: true });
    const err = await failure(p.unet(sample, 981, await p.encodePrompt(['a cat', 'a dog'])));
    // ONNX Runtime folds the scaling into the convolution's weights, so the overflow shows as NaN (∞ − ∞) here.
    expect(err.message).toMatch(/^the UNet returned (\d+ NaN|\d+ infinite|\d+ NaN and \d+ infinite) of 128 values \(a float16 model on cpu: its activations overflowed\): use the float32 export of this pack, or another execution provider$/);
    const dec = await poisoned('vae_decoder', 'overflow', { fp16: true });
    expect((await failure(dec.vaeDecode!(latent))).message).toMatch(/^the VAE decoder returned \d+ infinite of 3072 values \(a float16 model/);
  });

  it('a UNet handed a diverged sample says the sampling diverged, not the model', async () => {
    const p = await poisoned(undefined);
    const bad = { data: sample.data.map((v, i) => (i === 5 ? Infinity : v)), shape: sample.shape };
    const err = await failure(p.unet(bad, 981, await p.encodePrompt(['a cat', 'a dog'])));
    expect(err.source).toBe('input');
    expect(err.message).toMatch(/^the UNet returned .* because its input already held non-finite values: sampling diverged; try another sampler, more steps or a lower guidance scale$/);
  });

  it('a generation whose UNet returns NaN fails instead of returning a black image', async () => {
    const p = await poisoned('unet');
    const req = { prompt: 'a cat', width: 32, height: 32, steps: 2, cfgScale: 5, seed: 1 };
    const err = await failure(generate(p, req, planFor(p.info)));
    expect(err.code).toBe('NON_FINITE_OUTPUT');
  });
});

let contextPack: Promise<LoadedPack> | undefined;
/** A context from a healthy pack of the same family (the poisoned one's encoder may be the broken part). */
async function healthyContext() {
  contextPack ??= poisoned(undefined);
  return (await contextPack).encodePrompt(['a cat', 'a dog']);
}
