/**
 * The cache of derived attention-memory models in the user's data folder: built once per source
 * digest, reused while the source is unchanged, rebuilt when it (or its external weights, or the
 * cached files) change, and never a byte written into the user's pack.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16 } from '../../main/engine/fp16.js';
import { gaussian } from '../../main/engine/random.js';
import { attentionMemoryCacheRoot, attentionMemoryModel, forgetAttentionMemory } from '../../main/engine/onnx/surgery/cache.js';
import { AttentionMemoryUnavailable, MODE, type MemoryInterface } from '../../main/engine/onnx/surgery/memory.js';
import { buildAttentionPack, buildAttentionUnet } from '../fixtures/attention-unets.js';
import { buildTinyPack } from '../fixtures/tiny-packs.js';

const EMOJI_UNET = new URL('../../models/packs/emoji-32/unet/model.onnx', import.meta.url).pathname;
const sessionOptions: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, intraOpNumThreads: 1 };

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(join(tmpdir(), 'driftline-kv-cache-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

/** Digest and modification time of each file: what "never modified" is checked against. */
async function snapshot(files: string[]): Promise<string[]> {
  return Promise.all(files.map(async (f) => `${f} ${await sha(f)} ${(await stat(f)).mtimeMs}`));
}

function offFeeds(iface: MemoryInterface): Record<string, ort.Tensor> {
  const L = iface.layers.length;
  const feeds: Record<string, ort.Tensor> = { [iface.modeInput]: new ort.Tensor('float32', new Float32Array(L).fill(MODE.off), [L]) };
  for (const l of iface.layers) {
    const empty = (c: number | null) => (l.dtype === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), [1, 0, c!]) : new ort.Tensor('float32', new Float32Array(0), [1, 0, c!]));
    feeds[l.inputs.k] = empty(l.channels);
    feeds[l.inputs.v] = empty(l.valueChannels);
    feeds[l.inputs.bias] = new ort.Tensor('float32', new Float32Array(0), [0]);
  }
  return feeds;
}

const asF32 = (t: ort.Tensor): Float32Array => (t.type === 'float16' ? float16ToFloat32(t.data as Uint16Array) : (t.data as Float32Array));

/** Output of the model at `file` (loaded by path, so external data resolves) and of the derived one with memory off. */
async function runBoth(source: string, derived: string, iface: MemoryInterface, feeds: Record<string, ort.Tensor>): Promise<[Float32Array, Float32Array]> {
  const a = await ort.InferenceSession.create(source, sessionOptions);
  const b = await ort.InferenceSession.create(derived, sessionOptions);
  try {
    return [asF32((await a.run(feeds)).out_sample), asF32((await b.run({ ...feeds, ...offFeeds(iface) })).out_sample)];
  } finally {
    await a.release();
    await b.release();
  }
}

describe('attention-memory cache', () => {
  it('emoji-32: built once into the data folder, then reused; the source file untouched', async () => {
    const data = join(tmp, 'data-emoji');
    const before = await snapshot([EMOJI_UNET]);
    const first = await attentionMemoryModel(EMOJI_UNET, { dataDir: data });
    expect(first.rebuilt).toBe(true);
    expect(first.dir.startsWith(attentionMemoryCacheRoot({ dataDir: data }))).toBe(true);
    expect((await readdir(first.dir)).sort()).toEqual(['layers.json', 'model.onnx']);
    expect(first.map.source.sha256).toBe(await sha(EMOJI_UNET));
    expect(first.map.layers).toHaveLength(7);
    const onDisk = JSON.parse(await readFile(join(first.dir, 'layers.json'), 'utf8')) as typeof first.map;
    expect(onDisk.layers.map((l) => l.label)).toEqual(first.map.layers.map((l) => l.label));

    const second = await attentionMemoryModel(EMOJI_UNET, { dataDir: data });
    expect(second.rebuilt).toBe(false);
    expect(second.file).toBe(first.file);

    const feeds = {
      sample: new ort.Tensor('float32', gaussian(3 * 32 * 32, 5), [1, 3, 32, 32]),
      timestep: new ort.Tensor('float32', Float32Array.of(400), [1]),
      encoder_hidden_states: new ort.Tensor('float32', gaussian(8 * 128, 6), [1, 8, 128]),
    };
    const [y, yd] = await runBoth(EMOJI_UNET, first.file, first.map, feeds);
    expect(yd).toEqual(y);
    expect(await snapshot([EMOJI_UNET])).toEqual(before);
  });

  describe('a pack with external weights', () => {
    let pack: string, unet: string, weights: string, data: string;
    const feeds = (fp16: boolean) => {
      const t = (v: Float32Array, dims: number[]) => (fp16 ? new ort.Tensor('float16', float32ToFloat16(v), dims) : new ort.Tensor('float32', v, dims));
      return {
        sample: t(gaussian(4 * 8 * 8, 7), [1, 4, 8, 8]),
        timestep: new ort.Tensor('int64', BigInt64Array.of(321n), [1]),
        encoder_hidden_states: t(gaussian(77 * 768, 8), [1, 77, 768]),
      };
    };

    beforeAll(async () => {
      pack = await buildAttentionPack(join(tmp, 'pack-fp16'), { form: 'unfused', fp16: true, externalData: true });
      unet = join(pack, 'unet', 'model.onnx');
      weights = join(pack, 'unet', 'weights.pb');
      data = join(tmp, 'data-pack');
    });

    it('links the weights instead of copying them, and the derived model runs from the cache', async () => {
      const before = await snapshot([unet, weights]);
      const d = await attentionMemoryModel(unet, { dataDir: data });
      expect(d.rebuilt).toBe(true);
      expect(d.map.source.externalData.map((e) => e.location)).toEqual(['weights.pb']);
      const linked = d.map.source.externalData[0].linked;
      expect(linked).toBe(true); // the data folder and the pack share a file system here
      expect((await stat(join(d.dir, 'weights.pb'))).ino).toBe((await stat(weights)).ino);
      const [y, yd] = await runBoth(unet, d.file, d.map, feeds(true));
      expect(yd).toEqual(y);
      expect((await attentionMemoryModel(unet, { dataDir: data })).rebuilt).toBe(false);
      expect(await snapshot([unet, weights])).toEqual(before);
    });

    it('rebuilds a corrupt or unfinished cache', async () => {
      const d = await attentionMemoryModel(unet, { dataDir: data });
      await writeFile(d.file, 'not a model');
      const again = await attentionMemoryModel(unet, { dataDir: data });
      expect(again.rebuilt).toBe(true);
      expect(again.map.model.sha256).toBe(d.map.model.sha256);
      await rm(join(d.dir, 'layers.json'));
      expect((await attentionMemoryModel(unet, { dataDir: data })).rebuilt).toBe(true);
      await writeFile(join(d.dir, 'layers.json'), '{"version": 1, "source": ');
      expect((await attentionMemoryModel(unet, { dataDir: data })).rebuilt).toBe(true);
      expect((await attentionMemoryModel(unet, { dataDir: data })).rebuilt).toBe(false);
    });

    it('rebuilds when the source\'s weights file changes, and when the source model does', async () => {
      const old = await attentionMemoryModel(unet, { dataDir: data });
      const t = new Date(Date.now() + 5000);
      await utimes(weights, t, t);
      const touched = await attentionMemoryModel(unet, { dataDir: data });
      expect(touched.rebuilt).toBe(true);
      expect(touched.dir).toBe(old.dir); // same graph digest, fresh fingerprint

      // Another model at the same path: a new digest, a new folder, and the old build removed.
      await buildAttentionUnet({ form: 'unfused', fp16: true, seed: 99 }).save(unet, { externalData: { location: 'weights.pb', sizeThreshold: 64 } });
      const changed = await attentionMemoryModel(unet, { dataDir: data });
      expect(changed.rebuilt).toBe(true);
      expect(changed.dir).not.toBe(old.dir);
      expect(changed.map.source.sha256).toBe(await sha(unet));
      expect(existsSync(old.dir)).toBe(false);
      const [y, yd] = await runBoth(unet, changed.file, changed.map, feeds(true));
      expect(yd).toEqual(y);
    });

    it('fused forms with external weights run from the cache too', async () => {
      const fused = await buildAttentionPack(join(tmp, 'pack-attention'), { form: 'attention', externalData: true });
      const file = join(fused, 'unet', 'model.onnx');
      const d = await attentionMemoryModel(file, { dataDir: data });
      expect(d.map.layers.map((l) => l.form)).toEqual(['Attention', 'Attention', 'Attention']);
      const [y, yd] = await runBoth(file, d.file, d.map, feeds(false));
      let err = 0, scale = 0;
      for (let i = 0; i < y.length; i++) { err = Math.max(err, Math.abs(y[i] - yd[i])); scale = Math.max(scale, Math.abs(y[i])); }
      expect(err / scale).toBeLessThanOrEqual(1e-6);
    });
  });

  it('two packs with the same model.onnx but other weights get a build each, and neither rebuilds the other\'s', async () => {
    const a = await buildAttentionPack(join(tmp, 'twin-a'), { form: 'unfused', externalData: true });
    const b = await buildAttentionPack(join(tmp, 'twin-b'), { form: 'unfused', externalData: true });
    const [ua, ub] = [join(a, 'unet', 'model.onnx'), join(b, 'unet', 'model.onnx')];
    expect(await sha(ua)).toBe(await sha(ub)); // the graph files are byte-identical
    // b's weights differ (the graph refers to them by location only).
    const wb = join(b, 'unet', 'weights.pb');
    const bytes = await readFile(wb);
    bytes[bytes.length - 1] ^= 0x40;
    await writeFile(wb, bytes);
    const data = join(tmp, 'data-twins');
    const da = await attentionMemoryModel(ua, { dataDir: data });
    const db = await attentionMemoryModel(ub, { dataDir: data });
    expect(db.dir).not.toBe(da.dir);
    expect((await attentionMemoryModel(ua, { dataDir: data })).rebuilt).toBe(false);
    expect((await attentionMemoryModel(ub, { dataDir: data })).rebuilt).toBe(false);

    // Removing pack a takes its build (and its links to a's weights) with it; b's stays and is reused.
    expect(await forgetAttentionMemory(a, { dataDir: data })).toBe(1);
    expect(existsSync(da.dir)).toBe(false);
    expect(existsSync(db.dir)).toBe(true);
    expect(await forgetAttentionMemory(join(tmp, 'twin'), { dataDir: data })).toBe(0); // a prefix of b's folder name is not b's folder
    expect((await attentionMemoryModel(ub, { dataDir: data })).rebuilt).toBe(false);
  });

  it('a UNet without attention: a clear refusal, and nothing left in the cache', async () => {
    const pack = await buildTinyPack(join(tmp, 'plain'), 'sd1');
    const data = join(tmp, 'data-plain');
    await expect(attentionMemoryModel(join(pack, 'unet', 'model.onnx'), { dataDir: data })).rejects.toThrow(AttentionMemoryUnavailable);
    expect(existsSync(attentionMemoryCacheRoot({ dataDir: data }))).toBe(false);
  });
});
