import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackFamily } from '../../main/engine/packs/types.js';
import { float16ToFloat32, float32ToFloat16 } from '../../main/engine/fp16.js';
import { clipTokenizerJson } from '../../main/engine/packs/tokenizer.js';
import { OnnxModel } from '../../main/engine/onnx/builder.js';
import { gaussian } from '../../main/engine/random.js';
import {
  BOS, EOS, FAMILY, PACK_FAMILIES, TEXT_LENGTH, buildBrokenPack, buildTinyPack, cachedTinyPack, resolveOptions,
  type BrokenPackKind, type TinyPackOptions,
} from '../fixtures/tiny-packs.js';

const opts: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, intraOpNumThreads: 1 };
let scratch: string;
beforeAll(async () => { scratch = await mkdtemp(join(tmpdir(), 'driftline-packs-')); });
afterAll(async () => { await rm(scratch, { recursive: true, force: true }); });

type Meta = ort.InferenceSession.ValueMetadata;
const tensorMeta = (m: Meta) => {
  if (!m.isTensor) throw new Error(`${m.name} is not a tensor`);
  return m;
};
const metaOf = (list: readonly Meta[]) => Object.fromEntries(list.map((m) => { const t = tensorMeta(m); return [t.name, { type: t.type, shape: t.shape }]; }));

/** A random tensor for an input: symbolic dims from `dims` by name (unknown names are an error). */
function feed(m: Meta, dims: Record<string, number>, seed: number, ints?: { max: number }): ort.Tensor {
  const t = tensorMeta(m);
  const shape = t.shape.map((d) => {
    if (typeof d === 'number') return d;
    if (!(d in dims)) throw new Error(`no size for dim '${d}' of ${t.name}`);
    return dims[d];
  });
  const n = shape.reduce((a, b) => a * b, 1);
  const g = gaussian(n, seed);
  switch (t.type) {
    case 'float32': return new ort.Tensor('float32', g, shape);
    case 'float16': return new ort.Tensor('float16', float32ToFloat16(Float32Array.from(g)), shape);
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from(g, (v, i) => BigInt(Math.floor(Math.abs(v * 997 + i * 31)) % (ints?.max ?? 1000))), shape);
    case 'int32': return new ort.Tensor('int32', Int32Array.from(g, (v, i) => Math.floor(Math.abs(v * 997 + i * 31)) % (ints?.max ?? 1000)), shape);
    default: throw new Error(`unexpected input type ${t.type}`);
  }
}

const asFloats = (t: ort.Tensor): Float32Array => (t.type === 'float16' ? float16ToFloat32(t.data as Uint16Array) : (t.data as Float32Array));
const allFinite = (t: ort.Tensor) => asFloats(t).every(Number.isFinite);
const maxAbs = (t: ort.Tensor) => asFloats(t).reduce((a, v) => Math.max(a, Math.abs(v)), 0);

/** Sizes for every dynamic-axis name either exporter uses, at scale k (1 or 2). */
function dimsAt(k: number, sampleSize: number, vaeScale: number, unetIn: number, seq = TEXT_LENGTH): Record<string, number> {
  const h = sampleSize * k, w = sampleSize * k + 8 * (k - 1);
  return {
    batch: k, batch_size: k, sequence: seq, sequence_length: seq, height: h, width: w,
    latent_height: h, latent_width: w, height_latent: h, width_latent: w, channels: unetIn,
  };
}

const CASES: [PackFamily, TinyPackOptions][] = [
  ...PACK_FAMILIES.map((f): [PackFamily, TinyPackOptions] => [f, {}]),
  ...PACK_FAMILIES.map((f): [PackFamily, TinyPackOptions] => [f, { fp16: true }]),
  ...PACK_FAMILIES.map((f): [PackFamily, TinyPackOptions] => [f, { exporter: 'optimum', externalData: true }]),
  ['sd1', { timestepType: 'float32', timestepShape: 'scalar' }],
  ['sd1', { timestepType: 'float16', timestepShape: 'batch', fp16: true }],
  ['sd2', { timestepType: 'float32', timestepShape: 'batch' }],
  ['lcm', { timestepType: 'int64', timestepShape: 'scalar', inputIdsType: 'int64' }],
  ['sd1', { externalData: 'model.onnx_data', vaeEncoderOutput: 'latent_parameters' }],
  ['inpaint', { tokenizer: 'tokenizer.json', sampleSize: 12 }],
  ['pixel', { tokenizer: 'tokenizer.json', sampleSize: 8, fp16: true }],
];

describe.each(CASES)('tiny %s pack %j', (family, packOpts) => {
  const spec = FAMILY[family];
  const o = resolveOptions(family, packOpts);
  let dir: string;
  const sessions: Record<string, ort.InferenceSession> = {};
  const ft = o.fp16 ? 'float16' : 'float32';
  const ax = o.exporter === 'optimum'
    ? { b: 'batch_size', c: null, h: 'height', w: 'width', s: 'sequence_length', lh: 'height_latent', lw: 'width_latent' }
    : { b: 'batch', c: 'channels', h: 'height', w: 'width', s: 'sequence', lh: 'latent_height', lw: 'latent_width' };

  beforeAll(async () => {
    dir = await cachedTinyPack(family, packOpts);
    for (const c of ['text_encoder', 'unet', 'vae_encoder', 'vae_decoder', 'vae']) {
      const file = join(dir, c, 'model.onnx');
      if (existsSync(file)) sessions[c] = await ort.InferenceSession.create(file, opts);
    }
  });
  afterAll(async () => { for (const s of Object.values(sessions)) await s.release(); });

  it('has the layout and configs of the real exports', async () => {
    const ls = (await readdir(dir)).sort();
    const expected = ['model_index.json', 'scheduler', 'text_encoder', 'tokenizer', 'unet'];
    if (spec.vaeEncoder) expected.push('vae_encoder');
    if (spec.vaeDecoderFolder) expected.push(spec.vaeDecoderFolder);
    if (family === 'upscaler') expected.push('low_res_scheduler');
    expect(ls).toEqual(expected.sort());

    const index = JSON.parse(await readFile(join(dir, 'model_index.json'), 'utf8'));
    expect(index._class_name).toBe(spec.pipelineClass);
    expect(index.unet).toEqual(['diffusers', 'OnnxRuntimeModel']);
    expect(index.tokenizer).toEqual(['transformers', 'CLIPTokenizer']);
    const sched = JSON.parse(await readFile(join(dir, 'scheduler', 'scheduler_config.json'), 'utf8'));
    expect(index.scheduler).toEqual(['diffusers', sched._class_name]);
    const unetCfg = JSON.parse(await readFile(join(dir, 'unet', 'config.json'), 'utf8'));
    expect(unetCfg).toMatchObject({ sample_size: o.sampleSize, in_channels: spec.unetIn, out_channels: spec.unetOut, cross_attention_dim: spec.contextDim });
    if (family === 'lcm') expect(unetCfg.time_cond_proj_dim).toBe(256);
    const teCfg = JSON.parse(await readFile(join(dir, 'text_encoder', 'config.json'), 'utf8'));
    expect(teCfg).toMatchObject({ hidden_size: spec.contextDim, max_position_embeddings: TEXT_LENGTH });
    for (const v of ['vae_encoder', 'vae_decoder', 'vae']) {
      if (!existsSync(join(dir, v))) continue;
      const cfg = JSON.parse(await readFile(join(dir, v, 'config.json'), 'utf8'));
      expect(cfg.scaling_factor).toBe(family === 'upscaler' ? 0.08333 : 0.18215);
      expect(cfg.latent_channels).toBe(4);
    }
    if (o.externalData) expect(existsSync(join(dir, 'unet', o.externalData))).toBe(true);
    const tok = (await readdir(join(dir, 'tokenizer'))).sort();
    expect(tok).toEqual(o.tokenizer === 'bpe'
      ? ['merges.txt', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.json']
      : ['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
  });

  it('text encoder: I/O contract and two sizes', async () => {
    const s = sessions.text_encoder;
    expect(s.inputNames).toEqual(['input_ids']);
    expect(s.outputNames).toEqual(['last_hidden_state', 'pooler_output']);
    expect(metaOf(s.inputMetadata)).toEqual({ input_ids: { type: o.inputIdsType, shape: [ax.b, ax.s] } });
    expect(metaOf(s.outputMetadata)).toEqual({
      last_hidden_state: { type: ft, shape: [ax.b, ax.s, spec.contextDim] },
      pooler_output: { type: ft, shape: [ax.b, spec.contextDim] },
    });
    for (const [k, seq] of [[1, TEXT_LENGTH], [2, 12]]) {
      const ids = feed(s.inputMetadata[0], dimsAt(k, 1, 1, 1, seq), 10 + k, { max: 50 }); // within every tiny vocabulary
      const r = await s.run({ input_ids: ids });
      expect(r.last_hidden_state.dims).toEqual([k, seq, spec.contextDim]);
      expect(r.pooler_output.dims).toEqual([k, spec.contextDim]);
      expect(allFinite(r.last_hidden_state) && allFinite(r.pooler_output)).toBe(true);
      expect(maxAbs(r.last_hidden_state)).toBeLessThan(10);
    }
  });

  it('unet: I/O contract, two sizes, output depends on every input', async () => {
    const s = sessions.unet;
    const names = ['sample', 'timestep', 'encoder_hidden_states'];
    if (spec.timestepCond) names.push('timestep_cond');
    if (spec.classLabels) names.push('class_labels');
    expect(s.inputNames).toEqual(names);
    expect(s.outputNames).toEqual(['out_sample']);
    const meta = metaOf(s.inputMetadata);
    expect(meta.sample).toEqual({ type: ft, shape: [ax.b, ax.c ?? spec.unetIn, ax.h, ax.w] });
    expect(meta.timestep).toEqual({ type: o.timestepType, shape: o.timestepShape === 'scalar' ? [] : [ax.b] });
    expect(meta.encoder_hidden_states).toEqual({ type: ft, shape: [ax.b, ax.s, spec.contextDim] });
    if (spec.timestepCond) expect(meta.timestep_cond).toEqual({ type: ft, shape: [ax.b, 256] });
    if (spec.classLabels) expect(meta.class_labels).toEqual({ type: 'int64', shape: [ax.b] });
    expect(metaOf(s.outputMetadata)).toEqual({ out_sample: { type: ft, shape: [ax.b, spec.unetOut, ax.h, ax.w] } });

    for (const k of [1, 2]) {
      const d = dimsAt(k, o.sampleSize, 1, spec.unetIn);
      const feeds: Record<string, ort.Tensor> = {};
      s.inputMetadata.forEach((m, i) => (feeds[m.name] = feed(m, d, 100 + i, { max: 1000 })));
      const base = await s.run(feeds);
      const out = base.out_sample;
      expect(out.dims).toEqual([k, spec.unetOut, d.height, d.width]);
      expect(allFinite(out)).toBe(true);
      expect(maxAbs(out)).toBeLessThan(20);
      // Deterministic…
      expect(Array.from(asFloats((await s.run(feeds)).out_sample))).toEqual(Array.from(asFloats(out)));
      // …and sensitive to each input.
      if (k === 1) {
        for (const [i, m] of s.inputMetadata.entries()) {
          const changed = { ...feeds, [m.name]: feed(m, d, 500 + i, { max: 1000 }) };
          const r = (await s.run(changed)).out_sample;
          expect(asFloats(r).some((v, j) => v !== asFloats(out)[j]), `out_sample ignores ${m.name}`).toBe(true);
        }
      }
    }
  });

  it('vae: I/O contract and two sizes', async () => {
    if (spec.vaeEncoder) {
      const s = sessions.vae_encoder;
      const outCh = o.vaeEncoderOutput === 'latent_parameters' ? 8 : 4;
      expect(metaOf(s.inputMetadata)).toEqual({ sample: { type: ft, shape: [ax.b, ax.c ?? 3, ax.h, ax.w] } });
      expect(metaOf(s.outputMetadata)).toEqual({ [o.vaeEncoderOutput]: { type: ft, shape: [ax.b, outCh, ax.lh, ax.lw] } });
      for (const k of [1, 2]) {
        const d = dimsAt(k, o.sampleSize * spec.vaeScale, 1, 3);
        const r = await s.run({ sample: feed(s.inputMetadata[0], d, 7 + k) });
        const out = r[o.vaeEncoderOutput];
        expect(out.dims).toEqual([k, outCh, d.height / spec.vaeScale, d.width / spec.vaeScale]);
        expect(allFinite(out)).toBe(true);
      }
    } else {
      expect(sessions.vae_encoder).toBeUndefined();
    }
    if (spec.vaeDecoderFolder) {
      const s = sessions[spec.vaeDecoderFolder];
      expect(metaOf(s.inputMetadata)).toEqual({ latent_sample: { type: ft, shape: [ax.b, ax.c ?? 4, ax.lh, ax.lw] } });
      expect(metaOf(s.outputMetadata)).toEqual({ sample: { type: ft, shape: [ax.b, 3, ax.h, ax.w] } });
      for (const k of [1, 2]) {
        const d = dimsAt(k, o.sampleSize, 1, 4);
        const r = await s.run({ latent_sample: feed(s.inputMetadata[0], d, 9 + k) });
        expect(r.sample.dims).toEqual([k, 3, d.height * spec.vaeScale, d.width * spec.vaeScale]);
        expect(allFinite(r.sample)).toBe(true);
        expect(maxAbs(r.sample)).toBeLessThan(20);
      }
    } else {
      expect(sessions.vae_decoder ?? sessions.vae).toBeUndefined();
    }
  });

  it('tokenizer files tokenize the test words as whole tokens', async () => {
    const tj = o.tokenizer === 'bpe'
      ? clipTokenizerJson(JSON.parse(await readFile(join(dir, 'tokenizer', 'vocab.json'), 'utf8')),
        (await readFile(join(dir, 'tokenizer', 'merges.txt'), 'utf8')).split('\n').slice(1).filter(Boolean))
      : JSON.parse(await readFile(join(dir, 'tokenizer', 'tokenizer.json'), 'utf8'));
    const cfg = JSON.parse(await readFile(join(dir, 'tokenizer', 'tokenizer_config.json'), 'utf8'));
    expect(cfg.model_max_length).toBe(TEXT_LENGTH);
    const tok = new Tokenizer(tj, cfg);
    const enc = tok.encode('A photo of a Cat');
    const sfx = o.tokenizer === 'bpe' ? '</w>' : '';
    expect(enc.tokens).toEqual([BOS, ...['a', 'photo', 'of', 'a', 'cat'].map((w) => w + sfx), EOS]);
    // <|endoftext|> has the largest id: the text encoder pools at the first argmax, as CLIP does.
    expect(Math.max(...enc.ids)).toBe(enc.ids[enc.ids.length - 1]);
    // Every id fits the text encoder's embedding table.
    const te = await OnnxModel.load(join(dir, 'text_encoder', 'model.onnx'));
    expect(te.initializerInfo('token_embedding.weight').dims[0]).toBeGreaterThan(Math.max(...enc.ids));
  });
});

describe('tiny packs: cache and copies', () => {
  it('buildTinyPack copies the cached pack into a folder; rebuilding hits the cache', async () => {
    const a = await buildTinyPack(join(scratch, 'a'), 'sd1');
    expect(existsSync(join(a, 'unet', 'model.onnx'))).toBe(true);
    const t0 = performance.now();
    await cachedTinyPack('sd1');
    expect(performance.now() - t0).toBeLessThan(500);
    const seeds = await Promise.all([cachedTinyPack('sd1', { seed: 1 }), cachedTinyPack('sd1', { seed: 2 })]);
    expect(seeds[0]).not.toBe(seeds[1]);
    const [w1, w2] = await Promise.all(seeds.map(async (d) => (await OnnxModel.load(join(d, 'unet', 'model.onnx'))).initializer('conv_in.weight')));
    expect(Array.from(w1.data as Float32Array)).not.toEqual(Array.from(w2.data as Float32Array));
  });
});

describe('broken packs', () => {
  const kinds: BrokenPackKind[] = ['missing-file', 'missing-external-data', 'wrong-input-names', 'truncated-onnx', 'unsupported-family', 'missing-tokenizer', 'missing-model-index'];
  it.each(kinds)('%s has exactly its defect', async (kind) => {
    const dir = await buildBrokenPack(join(scratch, `broken-${kind}`), kind);
    const unet = join(dir, 'unet', 'model.onnx');
    switch (kind) {
      case 'missing-file':
        expect(existsSync(unet)).toBe(false);
        break;
      case 'missing-external-data':
      case 'truncated-onnx':
        await expect(ort.InferenceSession.create(unet, opts)).rejects.toThrow();
        break;
      case 'wrong-input-names': {
        const s = await ort.InferenceSession.create(unet, opts);
        expect(s.inputNames).toEqual(['x', 'timestep', 'encoder_hidden_states']);
        break;
      }
      case 'unsupported-family': {
        const s = await ort.InferenceSession.create(unet, opts);
        const m = tensorMeta(s.inputMetadata[0]);
        expect(m.shape[1] === 5 || m.shape[1] === 'channels').toBe(true);
        expect(JSON.parse(await readFile(join(dir, 'unet', 'config.json'), 'utf8')).in_channels).toBe(5);
        const r = await s.run({
          sample: new ort.Tensor('float32', gaussian(5 * 64, 1), [1, 5, 8, 8]),
          timestep: new ort.Tensor('int64', BigInt64Array.from([10n]), [1]),
          encoder_hidden_states: new ort.Tensor('float32', gaussian(77 * 768, 2), [1, 77, 768]),
        });
        expect(r.out_sample.dims).toEqual([1, 4, 8, 8]);
        break;
      }
      case 'missing-tokenizer':
        expect(existsSync(join(dir, 'tokenizer'))).toBe(false);
        expect(existsSync(join(dir, 'text_encoder', 'model.onnx'))).toBe(true);
        break;
      case 'missing-model-index':
        expect(existsSync(join(dir, 'model_index.json'))).toBe(false);
        break;
    }
  });
});
