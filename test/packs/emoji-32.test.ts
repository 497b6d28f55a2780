/**
 * The embedded text-to-image pack emoji-32 (models/packs/, committed): its layout, its tokenizer
 * against the ids PyTorch saw at export, and its ONNX outputs against the PyTorch outputs stored
 * with it (test_vectors/), through the same session code users run.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectLayout } from '../../main/engine/packs/layout.js';
import { ModelSession } from '../../main/engine/runtime/session.js';
import { loadTokenizer } from '../../main/engine/packs/tokenizer.js';
import { readNpy } from './npy.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PACK = path.join(root, 'models', 'packs', 'emoji-32');
const sessions: ModelSession[] = [];
afterAll(async () => { for (const s of sessions) await s.release(); });
const vec = (n: string) => readNpy(path.join(PACK, 'test_vectors', `${n}.npy`));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('emoji-32 (the embedded text-to-image pack)', () => {
  it('is a pixel-space pack with an SD-shaped UNet and its licences', async () => {
    const layout = await inspectLayout(PACK);
    expect(layout.info).toMatchObject({ name: 'emoji-32', family: 'pixel', unetInChannels: 3, latentChannels: 3, vaeScale: 1, defaultSize: 32, contextDim: 128, textLength: 16 });
    expect(layout.info.recommended).toEqual({ steps: 25, cfgScale: 5 });
    expect(layout.headers.unet?.inputs.map((i) => i.name)).toEqual(['sample', 'timestep', 'encoder_hidden_states']);
    const licences = await readFile(path.join(PACK, 'LICENSES.md'), 'utf8');
    expect(licences).toMatch(/CC-BY 4\.0|CC BY 4\.0/);
    expect(licences).toMatch(/Apache/);
  });

  it('tokenizes the export prompts to the ids PyTorch used', async () => {
    const manifest = JSON.parse(await readFile(path.join(PACK, 'test_vectors', 'manifest.json'), 'utf8')) as { prompts: string[] };
    const tok = await loadTokenizer(path.join(PACK, 'tokenizer'));
    const ids = await vec('text_encoder.input_ids');
    const got = tok.encodeBatch(manifest.prompts, 16);
    expect(Array.from(got.ids)).toEqual(Array.from(ids.data as ArrayLike<number>, Number));
  });

  it('gives the outputs PyTorch gave at export (text encoder and UNet)', async () => {
    const te = await ModelSession.create(path.join(PACK, 'text_encoder', 'model.onnx'), { label: 'text_encoder', provider: 'cpu' });
    const unet = await ModelSession.create(path.join(PACK, 'unet', 'model.onnx'), { label: 'unet', provider: 'cpu' });
    sessions.push(te, unet);
    const ids = await vec('text_encoder.input_ids');
    const teOut = await te.run({ input_ids: { data: Float32Array.from(ids.data as ArrayLike<number>, Number), shape: ids.shape } });
    expect(maxDiff(teOut.last_hidden_state.data, (await vec('text_encoder.last_hidden_state')).data as Float32Array)).toBeLessThan(1e-4);
    const [sample, t, ctx, want] = await Promise.all(['unet.sample', 'unet.timestep', 'unet.encoder_hidden_states', 'unet.out_sample'].map(vec));
    const out = await unet.run({
      sample: { data: sample.data as Float32Array, shape: sample.shape },
      timestep: { data: t.data as Float32Array, shape: t.shape },
      encoder_hidden_states: { data: ctx.data as Float32Array, shape: ctx.shape },
    });
    expect(maxDiff(out.out_sample.data, want.data as Float32Array)).toBeLessThan(1e-3);
  });
});
