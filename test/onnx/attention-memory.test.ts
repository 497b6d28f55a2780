/**
 * Attention memory by graph surgery (main/engine/onnx/surgery): the derived UNet, run in onnxruntime
 * on CPU, against the model it was derived from — on emoji-32 (a real diffusers export with SD's
 * block names, pixel space, 32 px) and on SD-shaped UNets built by the fixtures in every attention
 * form (unfused in both head layouts, MultiHeadAttention separate and packed, Attention), fp32 and fp16.
 *
 *   1. all modes off            = the source model (fp32 ≤ 1e-6 relative; fp16 tolerance below)
 *   2. replace with own K/V     = the source model
 *   3. concat, reference masked = the source model (bias −∞, and −1e4)
 *   4. another image's K/V      ≠ the source model (replace and concat)
 *   5. every derived model loads and runs (all of the above), keys/values have the stated shapes
 *
 * Relative error: max |a − b| / max |a| over the UNet output.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxModel, attr, f32, i64 } from '../../main/engine/onnx/builder.js';
import { float16ToFloat32, float32ToFloat16 } from '../../main/engine/fp16.js';
import { gaussian } from '../../main/engine/random.js';
import { surveyAttention } from '../../main/engine/onnx/surgery/find.js';
import { AttentionMemoryUnavailable, MODE, addAttentionMemory, type MemoryInterface, type MemoryLayer } from '../../main/engine/onnx/surgery/memory.js';
import {
  ATTENTION_UNET_CROSS_LAYERS, ATTENTION_UNET_FORMS, ATTENTION_UNET_SELF_LAYERS, buildAttentionUnet, type AttentionUnetForm,
} from '../fixtures/attention-unets.js';
import { FAMILY, buildUnet, resolveOptions } from '../fixtures/tiny-packs.js';

const EMOJI_UNET = new URL('../../models/packs/emoji-32/unet/model.onnx', import.meta.url).pathname;
const EMOJI_SELF = [
  'down_blocks.1.attentions.0', 'down_blocks.2.attentions.0', 'mid_block.attentions.0',
  'up_blocks.0.attentions.0', 'up_blocks.0.attentions.1', 'up_blocks.1.attentions.0', 'up_blocks.1.attentions.1',
].map((b) => `${b}.transformer_blocks.0.attn1`);

/**
 * fp32: the bound (measured: 0 for the unfused forms and MultiHeadAttention, 5.1e-7 where
 * the Attention node becomes MultiHeadAttention or an attention bias is added). fp16: measured 0 for
 * the unfused forms and 3.5e-4 for the fused ones — under one half-float step of the output, whose
 * keys and values the derived model rounds to float16 where the source's CPU run kept them in
 * float32 between kernels; bound 1e-3.
 */
const TOL = { float32: 1e-6, float16: 1e-3 } as const;
const CHANGED = 1e-3;

const sessionOptions: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, intraOpNumThreads: 1 };
type Feeds = Record<string, ort.Tensor>;
type Outputs = ort.InferenceSession.OnnxValueMapType;

function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0, s = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); s = Math.max(s, Math.abs(a[i])); }
  return d / s;
}

const asF32 = (t: ort.Tensor): Float32Array => (t.type === 'float16' ? float16ToFloat32(t.data as Uint16Array) : (t.data as Float32Array));

function floatTensor(dtype: 'float32' | 'float16', v: Float32Array, dims: number[]): ort.Tensor {
  return dtype === 'float16' ? new ort.Tensor('float16', float32ToFloat16(v), dims) : new ort.Tensor('float32', v, dims);
}

/** Feeds for the added inputs: per-layer modes, references (default: none, 0 tokens) and reference biases (default 0). */
function memoryFeeds(
  iface: MemoryInterface,
  modes: number | readonly number[],
  refs: (l: MemoryLayer) => { k: ort.Tensor; v: ort.Tensor; bias?: (m: number) => number } | undefined = () => undefined,
): Feeds {
  const L = iface.layers.length;
  const feeds: Feeds = { [iface.modeInput]: new ort.Tensor('float32', Float32Array.from({ length: L }, (_, i) => (typeof modes === 'number' ? modes : modes[i])), [L]) };
  for (const l of iface.layers) {
    const r = refs(l);
    const k = r?.k ?? floatTensor(l.dtype, new Float32Array(0), [1, 0, l.channels!]);
    const v = r?.v ?? floatTensor(l.dtype, new Float32Array(0), [1, 0, l.valueChannels!]);
    const M = k.dims[1];
    feeds[l.inputs.k] = k;
    feeds[l.inputs.v] = v;
    feeds[l.inputs.bias] = new ort.Tensor('float32', Float32Array.from({ length: M }, (_, m) => r?.bias?.(m) ?? 0), [M]);
  }
  return feeds;
}

/** Concatenate two [B, N, C] tensors along the tokens. */
function catTokens(a: ort.Tensor, b: ort.Tensor): ort.Tensor {
  const [B, Na, C] = a.dims, Nb = b.dims[1];
  const src = [a.data as Float32Array | Uint16Array, b.data as Float32Array | Uint16Array];
  const out = a.type === 'float16' ? new Uint16Array(B * (Na + Nb) * C) : new Float32Array(B * (Na + Nb) * C);
  for (let i = 0; i < B; i++) {
    out.set(src[0].subarray(i * Na * C, (i + 1) * Na * C), i * (Na + Nb) * C);
    out.set(src[1].subarray(i * Nb * C, (i + 1) * Nb * C), i * (Na + Nb) * C + Na * C);
  }
  return new ort.Tensor(a.type as 'float32', out as Float32Array, [B, Na + Nb, C]);
}

/** Row 0 of a [B, N, C] tensor, as [1, N, C]. */
function firstRow(t: ort.Tensor): ort.Tensor {
  const [, n, ch] = t.dims;
  return new ort.Tensor(t.type as 'float32', (t.data as Float32Array).slice(0, n * ch), [1, n, ch]);
}

/** A [1, N, C] tensor repeated to [rows, N, C]. */
function repeatRows(t: ort.Tensor, rows: number): ort.Tensor {
  const d = t.data as Float32Array;
  const out = new (d.constructor as Float32ArrayConstructor)(d.length * rows);
  for (let r = 0; r < rows; r++) out.set(d, r * d.length);
  return new ort.Tensor(t.type as 'float32', out, [rows, t.dims[1], t.dims[2]]);
}

interface Case {
  name: string;
  dtype: 'float32' | 'float16';
  source: () => Promise<OnnxModel>;
  /** The model the derived one is compared with, where the source itself does not run on CPU. */
  reference?: () => Promise<OnnxModel>;
  feeds: (seed: number) => Feeds;
  labels: string[];
  tokens: number[];
  crossLabels: string[];
}

const B = 2;

function emojiCase(): Case {
  return {
    name: 'emoji-32 (fp32, unfused diffusers export)', dtype: 'float32', source: () => OnnxModel.load(EMOJI_UNET),
    feeds: (seed) => ({
      sample: new ort.Tensor('float32', gaussian(B * 3 * 32 * 32, seed), [B, 3, 32, 32]),
      timestep: new ort.Tensor('float32', Float32Array.of(600, 250), [B]),
      encoder_hidden_states: new ort.Tensor('float32', gaussian(B * 8 * 128, 77), [B, 8, 128]),
    }),
    labels: EMOJI_SELF, tokens: [256, 64, 64, 64, 64, 256, 256], crossLabels: EMOJI_SELF.map((l) => l.replace(/attn1$/, 'attn2')),
  };
}

function fixtureCase(form: AttentionUnetForm, fp16: boolean): Case {
  const dtype = fp16 ? 'float16' : 'float32';
  const bytes = (f: AttentionUnetForm) => async () => OnnxModel.fromBytes(await buildAttentionUnet({ form: f, fp16 }).toBytes());
  return {
    name: `SD-shaped fixture, ${form}, ${dtype}`, dtype, source: bytes(form),
    // ONNX Runtime's CPU kernel has no packed QKV: compare with the same weights unpacked.
    reference: form === 'mha-packed' ? bytes('mha') : undefined,
    feeds: (seed) => ({
      sample: floatTensor(dtype, gaussian(B * 4 * 8 * 8, seed), [B, 4, 8, 8]),
      timestep: new ort.Tensor('int64', BigInt64Array.of(700n, 30n), [B]),
      encoder_hidden_states: floatTensor(dtype, gaussian(B * 77 * 768, 78), [B, 77, 768]),
    }),
    labels: ATTENTION_UNET_SELF_LAYERS, tokens: [64, 16, 64], crossLabels: ATTENTION_UNET_CROSS_LAYERS,
  };
}

const CASES: Case[] = [emojiCase(), ...ATTENTION_UNET_FORMS.flatMap((f) => [fixtureCase(f, false), fixtureCase(f, true)])];

describe.each(CASES)('attention memory: $name', (c) => {
  let derived: ort.InferenceSession, iface: MemoryInterface, original: Float32Array;
  let own: Outputs, other: Outputs;
  const run = async (extra: Feeds, seed = 1) => asF32((await derived.run({ ...c.feeds(seed), ...extra })).out_sample);
  const tol = TOL[c.dtype];

  beforeAll(async () => {
    const model = await c.source();
    iface = addAttentionMemory(model);
    derived = await ort.InferenceSession.create(await model.toBytes(), sessionOptions);
    const ref = await ort.InferenceSession.create(await (await (c.reference ?? c.source)()).toBytes(), sessionOptions);
    original = asF32((await ref.run(c.feeds(1))).out_sample);
    await ref.release();
    own = await derived.run({ ...c.feeds(1), ...memoryFeeds(iface, MODE.off) });
    other = await derived.run({ ...c.feeds(2), ...memoryFeeds(iface, MODE.off) });
  });
  afterAll(async () => { await derived?.release(); });

  it('finds every self-attention layer, labelled by its module, and leaves cross-attention alone', () => {
    expect(iface.layers.map((l) => l.label)).toEqual(c.labels);
    expect(iface.crossAttention).toEqual(c.crossLabels);
    expect(iface.unrecognised).toEqual([]);
    expect(iface.layers.every((l) => l.dtype === c.dtype)).toBe(true);
  });

  it('with every layer off equals the source model, and outputs each layer\'s keys and values', () => {
    expect(relErr(original, asF32(own.out_sample as ort.Tensor))).toBeLessThanOrEqual(tol);
    for (const [i, l] of iface.layers.entries()) {
      const k = own[l.outputs.k] as ort.Tensor, v = own[l.outputs.v] as ort.Tensor;
      expect(k.dims).toEqual([B, c.tokens[i], l.channels]);
      expect(v.dims).toEqual([B, c.tokens[i], l.valueChannels]);
      expect(k.type).toBe(c.dtype);
    }
  });

  it('replacing keys and values by its own (recorded in the same call) equals the source model', async () => {
    const y = await run(memoryFeeds(iface, MODE.replace, (l) => ({ k: own[l.outputs.k] as ort.Tensor, v: own[l.outputs.v] as ort.Tensor })));
    expect(relErr(original, y)).toBeLessThanOrEqual(tol);
  });

  it('concatenating a reference it masks out entirely (−∞ or −1e4) equals the source model', async () => {
    for (const masked of [-Infinity, -1e4]) {
      const y = await run(memoryFeeds(iface, MODE.concat, (l) => ({ k: other[l.outputs.k] as ort.Tensor, v: other[l.outputs.v] as ort.Tensor, bias: () => masked })));
      expect(relErr(original, y)).toBeLessThanOrEqual(tol);
    }
  });

  it('concatenating its own keys and values (each key twice, same weights) equals the source model', async () => {
    const y = await run(memoryFeeds(iface, MODE.concat, (l) => ({ k: own[l.outputs.k] as ort.Tensor, v: own[l.outputs.v] as ort.Tensor })));
    expect(relErr(original, y)).toBeLessThanOrEqual(tol);
  });

  it('the reference bias selects a region: [own ‖ other] with the other masked replaces like own alone', async () => {
    const y = await run(memoryFeeds(iface, MODE.replace, (l) => {
      const n = (own[l.outputs.k] as ort.Tensor).dims[1];
      return {
        k: catTokens(own[l.outputs.k] as ort.Tensor, other[l.outputs.k] as ort.Tensor),
        v: catTokens(own[l.outputs.v] as ort.Tensor, other[l.outputs.v] as ort.Tensor),
        bias: (m) => (m < n ? 0 : -Infinity),
      };
    }));
    expect(relErr(original, y)).toBeLessThanOrEqual(tol);
  });

  it('another image\'s keys and values change the output, per layer and in both modes', async () => {
    const refs = (l: MemoryLayer) => ({ k: other[l.outputs.k] as ort.Tensor, v: other[l.outputs.v] as ort.Tensor });
    const replaced = await run(memoryFeeds(iface, MODE.replace, refs));
    const concatenated = await run(memoryFeeds(iface, MODE.concat, refs));
    expect(relErr(original, replaced)).toBeGreaterThan(CHANGED);
    expect(relErr(original, concatenated)).toBeGreaterThan(CHANGED);
    expect(relErr(replaced, concatenated)).toBeGreaterThan(CHANGED);
    // One layer on, the rest off: still a change, and a different one.
    const last = iface.layers.length - 1;
    const single = await run(memoryFeeds(iface, iface.layers.map((_, i) => (i === last ? MODE.replace : MODE.off)), refs));
    expect(relErr(original, single)).toBeGreaterThan(CHANGED);
    expect(relErr(replaced, single)).toBeGreaterThan(CHANGED);
  });

  it('a reference of batch 1 is broadcast over the batch', async () => {
    const first = (l: MemoryLayer) => ({ k: firstRow(other[l.outputs.k] as ort.Tensor), v: firstRow(other[l.outputs.v] as ort.Tensor) });
    const a = await run(memoryFeeds(iface, MODE.concat, first));
    const b = await run(memoryFeeds(iface, MODE.concat, (l) => ({ k: repeatRows(first(l).k, B), v: repeatRows(first(l).v, B) })));
    expect(relErr(b, a)).toBe(0);
  });
});

describe('telling self- from cross-attention', () => {
  it('reads it from where keys and values come from, not from module names', async () => {
    // Swap attn1 ↔ attn2 in every node name: the labels follow the names, the kinds the graph.
    const model = OnnxModel.fromBytes(await buildAttentionUnet({ form: 'unfused' }).toBytes());
    for (const n of model.graph.node ?? []) n.name = (n.name ?? '').replace(/attn([12])/g, (_, d: string) => `attn${d === '1' ? 2 : 1}`);
    const survey = surveyAttention(model.graph, model.opset);
    expect(survey.sites.filter((s) => s.kind === 'self').map((s) => s.label)).toEqual(ATTENTION_UNET_CROSS_LAYERS);
    expect(survey.sites.filter((s) => s.kind === 'cross').map((s) => s.label)).toEqual(ATTENTION_UNET_SELF_LAYERS);
  });

  it('labels fused nodes without module names from their neighbours', async () => {
    const model = OnnxModel.fromBytes(await buildAttentionUnet({ form: 'attention' }).toBytes());
    const survey = surveyAttention(model.graph, model.opset);
    const fused = survey.sites.filter((s) => s.form === 'Attention');
    expect(fused.map((s) => s.node.name)).toEqual(['Attention_0', 'Attention_2', 'Attention_4']);
    expect(fused.map((s) => s.label)).toEqual(ATTENTION_UNET_SELF_LAYERS);
  });

  it('packed KV: self when the packed projection reads the queries\' input, cross otherwise; the rewrite unpacks it', async () => {
    const [C, h, D] = [8, 2, 12];
    const build = (crossPacked: boolean) => {
      const m = OnnxModel.create();
      m.proto.opsetImport!.push({ domain: 'com.microsoft', version: 1 });
      m.addInput('x', 'float32', ['batch', 'tokens', C]);
      m.addInput('context', 'float32', ['batch', 'length', D]);
      m.addOutput('y', 'float32', ['batch', 'tokens', C]);
      let seed = 10;
      const w = (rows: number, cols: number) => m.constant(f32(gaussian(rows * cols, seed++).map((v) => v / Math.sqrt(rows)), [rows, cols]), 'w');
      const packedKv = (input: string, din: number) => m.op('Reshape', [m.op('MatMul', [input, w(din, 2 * C)]), m.constant(i64([0, 0, h, 2, C / h], [5]))]);
      const mha = (inputs: string[]) => m.addNode('MultiHeadAttention', inputs, { domain: 'com.microsoft', attrs: { num_heads: attr.int(h) } })[0];
      const selfOut = mha([m.op('MatMul', ['x', w(C, C)]), packedKv('x', C)]);
      const crossQ = m.op('MatMul', [selfOut, w(C, C)]);
      // Unpacked, the cross-attention runs on CPU (ONNX Runtime's CPU kernel has no packed KV).
      const kv = crossPacked ? [packedKv('context', D)] : [m.op('MatMul', ['context', w(D, C)]), m.op('MatMul', ['context', w(D, C)])];
      m.opTo('y', 'Add', [mha([crossQ, ...kv]), selfOut]);
      return m;
    };
    const layouts = (m: OnnxModel) => surveyAttention(m.graph, m.opset).sites.map((s) => [s.kind, s.form === 'MultiHeadAttention' ? s.layout : s.form]);
    expect(layouts(build(true))).toEqual([['self', 'packed-kv'], ['cross', 'packed-kv']]);
    const m = build(false);
    expect(layouts(m)).toEqual([['self', 'packed-kv'], ['cross', 'separate']]);

    const iface = addAttentionMemory(m);
    expect(iface.layers.map((l) => [l.layout, l.channels])).toEqual([['packed-kv', C]]);
    const s = await ort.InferenceSession.create(await m.toBytes(), sessionOptions);
    const feeds = { x: new ort.Tensor('float32', gaussian(2 * 5 * C, 1), [2, 5, C]), context: new ort.Tensor('float32', gaussian(2 * 3 * D, 2), [2, 3, D]) };
    const off = await s.run({ ...feeds, ...memoryFeeds(iface, MODE.off) });
    const l = iface.layers[0];
    const replaced = await s.run({ ...feeds, ...memoryFeeds(iface, MODE.replace, () => ({ k: off[l.outputs.k] as ort.Tensor, v: off[l.outputs.v] as ort.Tensor })) });
    expect((off[l.outputs.k] as ort.Tensor).dims).toEqual([2, 5, C]);
    expect(relErr(asF32(off.y as ort.Tensor), asF32(replaced.y as ort.Tensor))).toBeLessThanOrEqual(1e-6);
  });

  it('a UNet without attention gets a clear refusal', async () => {
    const model = buildUnet(resolveOptions('sd1'), FAMILY.sd1);
    expect(() => addAttentionMemory(model)).toThrow(AttentionMemoryUnavailable);
    expect(() => addAttentionMemory(buildUnet(resolveOptions('sd1'), FAMILY.sd1))).toThrow(/attention memory is not available for this model: no attention block recognised/);
  });
});
