/**
 * The cache of generated VJP models (main/engine/onnx/vjp/cache.ts): built once per source and
 * request, reused while nothing changed, rebuilt when the source, its external weights or the cached
 * files change, and never a byte written into the source's folder.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxModel, f32 } from '../../main/engine/onnx/builder.js';
import { cachedVjpModel, forgetVjpModels } from '../../main/engine/onnx/vjp/cache.js';
import { addVjp } from '../../main/engine/onnx/vjp/vjp.js';
import { buildAttentionPack } from '../fixtures/attention-unets.js';
import { normals, sessionOptions } from '../fixtures/gradcheck.js';

const EMOJI_UNET = new URL('../../models/packs/emoji-32/unet/model.onnx', import.meta.url).pathname;
const REQUEST = { wrt: ['sample'], output: 'out_sample' };

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(join(tmpdir(), 'driftline-vjp-cache-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');
async function folderState(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).sort();
  return Promise.all(names.map(async (n) => `${n} ${await sha(join(dir, n))} ${(await stat(join(dir, n))).mtimeMs}`));
}

const emojiFeeds = () => ({
  sample: new ort.Tensor('float32', normals(1, new Float32Array(3 * 32 * 32)), [1, 3, 32, 32]),
  timestep: new ort.Tensor('float32', Float32Array.from([300]), [1]),
  encoder_hidden_states: new ort.Tensor('float32', normals(2, new Float32Array(4 * 128)), [1, 4, 128]),
  'grad.out_sample': new ort.Tensor('float32', normals(3, new Float32Array(3 * 32 * 32)), [1, 3, 32, 32]),
});

describe('VJP model cache', () => {
  it('builds once, reuses, and rebuilds when the source or the cached model changes', async () => {
    const src = join(tmp, 'pack', 'unet');
    await mkdir(src, { recursive: true });
    const file = join(src, 'model.onnx');
    await copyFile(EMOJI_UNET, file);
    const before = await folderState(src);
    const data = join(tmp, 'data');

    const first = await cachedVjpModel(file, REQUEST, { dataDir: data });
    expect(first.rebuilt).toBe(true);
    expect(first.info.gradients).toEqual({ sample: 'grad.sample' });
    expect(first.info.widened).toBe(false);
    // The cached file is the generator's output byte for byte (so it computes what vjp-unet.test.ts checks), and it runs.
    const direct = await OnnxModel.load(EMOJI_UNET);
    addVjp(direct, REQUEST);
    expect(await sha(first.file)).toBe(createHash('sha256').update(await direct.toBytes()).digest('hex'));
    const session = await ort.InferenceSession.create(first.file, sessionOptions);
    const grad = (await session.run(emojiFeeds()))['grad.sample'].data as Float32Array;
    expect(grad.every(Number.isFinite) && grad.some((v) => v !== 0)).toBe(true);
    await session.release();

    const again = await cachedVjpModel(file, REQUEST, { dataDir: data });
    expect(again.rebuilt).toBe(false);
    expect(again.dir).toBe(first.dir);

    const other = await cachedVjpModel(file, { wrt: ['sample', 'encoder_hidden_states'], output: 'out_sample' }, { dataDir: data });
    expect(other.rebuilt).toBe(true);
    expect(other.dir).not.toBe(first.dir);

    await writeFile(first.file, Buffer.concat([await readFile(first.file), Buffer.from([0])]));
    const repaired = await cachedVjpModel(file, REQUEST, { dataDir: data });
    expect(repaired.rebuilt).toBe(true);
    expect(repaired.info.model.sha256).toBe(first.info.model.sha256);

    expect(await folderState(src)).toEqual(before);

    const changed = await OnnxModel.load(file);
    const w = changed.initializerNames().find((n) => changed.initializerInfo(n).type === 'float32')!;
    const t = await changed.initializer(w);
    changed.setInitializer(w, f32((t.data as Float32Array).map((v) => v * 2), t.dims));
    await changed.save(file);
    const rebuilt = await cachedVjpModel(file, REQUEST, { dataDir: data });
    expect(rebuilt.rebuilt).toBe(true);
    expect(rebuilt.dir).not.toBe(first.dir);
    // The build of the source's earlier version is removed; the other request's build stays.
    const root = join(data, 'cache', 'vjp');
    expect((await readdir(root)).sort()).toEqual([rebuilt.dir, other.dir].map((d) => d.slice(root.length + 1)).sort());

    expect(await forgetVjpModels(join(tmp, 'elsewhere'), { dataDir: data })).toBe(0);
    expect(await forgetVjpModels(join(tmp, 'pack'), { dataDir: data })).toBe(2);
    expect(await readdir(root)).toEqual([]);
  });

  it('a float16 pack with external weights: widened to float32, rebuilt when its weights file changes', async () => {
    const dir = await buildAttentionPack(join(tmp, 'sd16'), { form: 'unfused', fp16: true, externalData: true });
    const file = join(dir, 'unet', 'model.onnx');
    const before = await folderState(join(dir, 'unet'));
    const data = join(tmp, 'data16');
    const first = await cachedVjpModel(file, REQUEST, { dataDir: data });
    expect(first.info.widened).toBe(true);
    expect(first.info.source.externalData.map((e) => e.location)).toEqual(['weights.pb']);
    const s = await ort.InferenceSession.create(first.file, sessionOptions);
    expect(s.inputNames).toContain('grad.out_sample');
    const out = await s.run({
      sample: new ort.Tensor('float32', normals(4, new Float32Array(4 * 8 * 8)), [1, 4, 8, 8]),
      timestep: new ort.Tensor('int64', BigInt64Array.from([500n]), [1]),
      encoder_hidden_states: new ort.Tensor('float32', normals(5, new Float32Array(77 * 768)), [1, 77, 768]),
      'grad.out_sample': new ort.Tensor('float32', normals(6, new Float32Array(4 * 8 * 8)), [1, 4, 8, 8]),
    });
    expect(out['grad.sample'].type).toBe('float32');
    expect((out['grad.sample'].data as Float32Array).every(Number.isFinite)).toBe(true);
    await s.release();
    expect((await cachedVjpModel(file, REQUEST, { dataDir: data })).rebuilt).toBe(false);
    const later = new Date(Date.now() + 5000);
    await utimes(join(dir, 'unet', 'weights.pb'), later, later);
    expect((await cachedVjpModel(file, REQUEST, { dataDir: data })).rebuilt).toBe(true);
    const after = await folderState(join(dir, 'unet'));
    expect(after.filter((l) => !l.startsWith('weights.pb'))).toEqual(before.filter((l) => !l.startsWith('weights.pb')));
  });
});
