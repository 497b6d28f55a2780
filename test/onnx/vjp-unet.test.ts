/**
 * The VJP generator end to end on emoji-32's UNet (a diffusers export: 50 Conv, 98 MatMul, 14
 * Softmax, GroupNorm as InstanceNormalization, LayerNormalization, GELU through Erf, nearest
 * upsampling; 1706 nodes). The VJP model of out_sample with respect to sample runs in onnxruntime
 * on CPU; ⟨v, grad.sample⟩ for cotangent w is compared with central differences of
 * ⟨w, out_sample(sample)⟩ along random directions v (test/fixtures/gradcheck.ts).
 *
 * float32 throughout (the model's type), unit-variance sample. The step is where central differences
 * are most accurate in float32 here: measured relative error along two directions, emoji-32
 * (SD-shaped unfused fp32 below) — h = 3e-2: 1.4e-4, 1.5e-3 (1.7e-3, 4.1e-3); 1e-2: 3.9e-5, 1.6e-4
 * (1.8e-4, 5.6e-4); 3e-3: 8.8e-6, 3.2e-5 (8.6e-5, 2.8e-5); 1e-3: (1.9e-4, 1.9e-3). The error falls
 * as h² down to 3e-3 (truncation) and grows below it (float32 rounding of ⟨w, out⟩ / h), so what
 * remains at 3e-3 is the differences' own error, not the VJP's. Bound 5e-4 at h = 3e-3.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxModel } from '../../main/engine/onnx/builder.js';
import { addVjp } from '../../main/engine/onnx/vjp/vjp.js';
import { VjpUnsupported } from '../../main/engine/onnx/vjp/errors.js';
import { hasFloat16, widenToFloat32 } from '../../main/engine/onnx/vjp/precision.js';
import { unpackAttention } from '../../main/engine/onnx/vjp/unpack.js';
import { float16ToFloat32, float32ToFloat16 } from '../../main/engine/fp16.js';
import { buildAttentionUnet, type AttentionUnetForm } from '../fixtures/attention-unets.js';
import { gradCheck, normals, sessionOptions, vjpModelOf } from '../fixtures/gradcheck.js';

const EMOJI_UNET = new URL('../../models/packs/emoji-32/unet/model.onnx', import.meta.url).pathname;
const TOL = 5e-4;
const H = 3e-3;

describe('VJP of emoji-32 UNet', () => {
  it('matches central differences for d⟨w, out_sample⟩/d sample along random directions', async () => {
    const model = await OnnxModel.load(EMOJI_UNET);
    const sample = normals(11, new Float32Array(3 * 32 * 32));
    const ctx = normals(12, new Float32Array(4 * 128));
    const results = await gradCheck(model, [{ name: 'sample', dims: [1, 3, 32, 32], data: sample }], ['sample'], 'out_sample', {
      h: H, directions: 3, seed: 3,
      extraFeeds: { timestep: new ort.Tensor('float32', Float32Array.from([400]), [1]), encoder_hidden_states: new ort.Tensor('float32', ctx, [1, 4, 128]) },
    });
    console.log('emoji-32 VJP vs central differences:', results.map((r) => `fd ${r.fd.toPrecision(8)} vjp ${r.vjp.toPrecision(8)} rel ${r.relErr.toExponential(2)}`).join('; '));
    for (const r of results) expect(r.relErr).toBeLessThan(TOL);
  });

  it('of two decoder features at once (intermediate values, not graph outputs) matches central differences', async () => {
    const taps = ['/up_blocks.0/upsamplers.0/conv/Conv_output_0', '/up_blocks.1/upsamplers.0/conv/Conv_output_0'];
    const forward = await OnnxModel.load(EMOJI_UNET);
    for (const t of taps) forward.addOutput(t, 'float32', undefined);
    const { iface } = await vjpModelOf(forward, ['sample'], taps);
    expect(iface.outputs).toEqual(taps);
    expect(Object.keys(iface.cotangents)).toEqual(taps);
    const results = await gradCheck(forward, [{ name: 'sample', dims: [1, 3, 32, 32], data: normals(21, new Float32Array(3072)) }], ['sample'], taps, {
      h: H, directions: 2, seed: 9,
      extraFeeds: { timestep: new ort.Tensor('float32', Float32Array.from([250]), [1]), encoder_hidden_states: new ort.Tensor('float32', normals(22, new Float32Array(4 * 128)), [1, 4, 128]) },
    });
    console.log('emoji-32 feature VJP vs central differences:', results.map((r) => r.relErr.toExponential(2)).join(', '));
    for (const r of results) expect(r.relErr).toBeLessThan(TOL);
  });

  it('with respect to every input at once, batch 2: the output is the source model’s and every gradient has its input’s shape', async () => {
    const model = await OnnxModel.load(EMOJI_UNET);
    const ref = await ort.InferenceSession.create(EMOJI_UNET, sessionOptions);
    const iface = addVjp(model, { wrt: ['sample', 'timestep', 'encoder_hidden_states'], output: 'out_sample' });
    // The symbolic shapes decide every broadcast reduction statically: no axes are found at run time.
    expect((model.graph.node ?? []).filter((n) => n.opType === 'NonZero')).toHaveLength(0);
    const s = await ort.InferenceSession.create(await model.toBytes(), sessionOptions);
    const feeds = {
      sample: new ort.Tensor('float32', normals(1, new Float32Array(2 * 3 * 32 * 32)), [2, 3, 32, 32]),
      timestep: new ort.Tensor('float32', Float32Array.from([10, 700]), [2]),
      encoder_hidden_states: new ort.Tensor('float32', normals(2, new Float32Array(2 * 5 * 128)), [2, 5, 128]),
    };
    const want = (await ref.run(feeds)).out_sample.data as Float32Array;
    const out = await s.run({ ...feeds, [iface.cotangent]: new ort.Tensor('float32', normals(3, new Float32Array(want.length)), [2, 3, 32, 32]) });
    // Same computation; onnxruntime fuses the two graphs' nodes differently, so float32 rounding differs.
    const got = out.out_sample.data as Float32Array;
    let d = 0, m = 0;
    for (let i = 0; i < want.length; i++) { d = Math.max(d, Math.abs(got[i] - want[i])); m = Math.max(m, Math.abs(want[i])); }
    expect(d / m).toBeLessThan(1e-5);
    for (const [name, t] of Object.entries(feeds)) {
      const g = out[iface.gradients[name]];
      expect(g.dims).toEqual(t.dims);
      const data = g.data as Float32Array;
      expect(data.every(Number.isFinite)).toBe(true);
      expect(data.some((v) => v !== 0)).toBe(true);
    }
    await ref.release();
    await s.release();
  });
});

/**
 * SD-shaped UNets built by the project (test/fixtures/attention-unets.ts: resnet, Transformer2D with
 * self- and cross-attention, stride-2 Conv, DepthToSpace upsampling; sample [1, 4, 8, 8]) in the
 * unfused attention forms of torch exports and the fused forms of onnxruntime's optimizer
 * (com.microsoft MultiHeadAttention, Attention), fp32 and fp16. fp16 models are differentiated in
 * float32 (precision.ts): the check runs against the widened model, whose output must match the
 * float16 model's to half-float rounding (bound 1e-2 relative). Same bound as emoji-32.
 */
describe('VJP of SD-shaped UNets', () => {
  const feeds = (B: number) => ({
    timestep: new ort.Tensor('int64', BigInt64Array.from({ length: B }, (_, i) => BigInt(100 + 400 * i)), [B]),
    encoder_hidden_states: new ort.Tensor('float32', normals(5, new Float32Array(B * 77 * 768)), [B, 77, 768]),
  });
  const sample = normals(6, new Float32Array(4 * 8 * 8));
  for (const form of ['unfused', 'unfused-3d', 'mha', 'attention'] as AttentionUnetForm[]) {
    for (const fp16 of [false, true]) {
      it(`${form}, ${fp16 ? 'fp16 (differentiated in float32)' : 'fp32'}: matches central differences`, async () => {
        const model = buildAttentionUnet({ form, fp16 });
        expect(hasFloat16(model)).toBe(fp16);
        if (fp16) {
          const half = await ort.InferenceSession.create(await model.toBytes(), sessionOptions);
          const f = feeds(1);
          const want = float16ToFloat32((await half.run({
            sample: new ort.Tensor('float16', float32ToFloat16(sample), [1, 4, 8, 8]), timestep: f.timestep,
            encoder_hidden_states: new ort.Tensor('float16', float32ToFloat16(f.encoder_hidden_states.data as Float32Array), [1, 77, 768]),
          })).out_sample.data as Uint16Array);
          expect(await widenToFloat32(model)).toBeGreaterThan(0);
          expect(hasFloat16(model)).toBe(false);
          const wide = await ort.InferenceSession.create(await model.toBytes(), sessionOptions);
          const got = (await wide.run({ sample: new ort.Tensor('float32', sample, [1, 4, 8, 8]), ...f })).out_sample.data as Float32Array;
          let d = 0, m = 0;
          for (let i = 0; i < got.length; i++) { d = Math.max(d, Math.abs(got[i] - want[i])); m = Math.max(m, Math.abs(got[i])); }
          expect(d / m).toBeLessThan(1e-2);
          await half.release();
          await wide.release();
        }
        const results = await gradCheck(model, [{ name: 'sample', dims: [1, 4, 8, 8], data: sample }], ['sample'], 'out_sample', {
          h: H, directions: 2, seed: 5, extraFeeds: feeds(1),
        });
        console.log(`${form} ${fp16 ? 'fp16' : 'fp32'} VJP vs central differences:`, results.map((r) => r.relErr.toExponential(2)).join(', '));
        for (const r of results) expect(r.relErr).toBeLessThan(TOL);
      });
    }
  }

  it('packed QKV (which ONNX Runtime cannot run on CPU) is written out first: the same function as separate q, k, v, and its VJP matches central differences', async () => {
    const packed = buildAttentionUnet({ form: 'mha-packed' });
    expect(unpackAttention(packed)).toBe(3); // the three self-attention layers; cross-attention is separate already
    const f = feeds(1);
    const run = async (m: OnnxModel) => {
      const s = await ort.InferenceSession.create(await m.toBytes(), sessionOptions);
      const y = (await s.run({ sample: new ort.Tensor('float32', sample, [1, 4, 8, 8]), ...f })).out_sample.data as Float32Array;
      await s.release();
      return y;
    };
    // The fixture gives every form the same weights: written out, packed QKV computes what separate q, k, v do.
    const want = await run(buildAttentionUnet({ form: 'mha' })), got = await run(packed);
    let d = 0, m = 0;
    for (let i = 0; i < got.length; i++) { d = Math.max(d, Math.abs(got[i] - want[i])); m = Math.max(m, Math.abs(want[i])); }
    expect(d / m).toBeLessThan(1e-5);
    const results = await gradCheck(packed, [{ name: 'sample', dims: [1, 4, 8, 8], data: sample }], ['sample'], 'out_sample', { h: H, directions: 2, seed: 5, extraFeeds: f });
    for (const r of results) expect(r.relErr).toBeLessThan(TOL);
  });

  it('packed KV is written out the same way: the VJP for the query and the packed keys and values matches central differences', async () => {
    const m = OnnxModel.create({ opset: 17 });
    (m.proto.opsetImport ??= []).push({ domain: 'com.microsoft', version: 1 });
    m.addInput('q', 'float32', [1, 3, 4]);
    m.addInput('kv', 'float32', [1, 5, 2, 2, 2]);
    m.graph.node!.push({ opType: 'MultiHeadAttention', domain: 'com.microsoft', name: 'mha', input: ['q', 'kv'], output: ['y'], attribute: [{ name: 'num_heads', type: 2, i: 2 }] });
    m.addOutput('y', 'float32', [1, 3, 4]);
    expect(unpackAttention(m)).toBe(1);
    const results = await gradCheck(m, [
      { name: 'q', dims: [1, 3, 4], data: normals(8, new Float32Array(12)) },
      { name: 'kv', dims: [1, 5, 2, 2, 2], data: normals(9, new Float32Array(40)) },
    ], ['q', 'kv'], 'y', { h: 1e-2, directions: 2, seed: 7 });
    for (const r of results) expect(r.relErr).toBeLessThan(1e-3);
  });
});
