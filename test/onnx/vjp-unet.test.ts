/**
 * The VJP generator end to end on emoji-32's UNet (a diffusers export: 50 Conv, 98 MatMul, 14
 * Softmax, GroupNorm as InstanceNormalization, LayerNormalization, GELU through Erf, nearest
 * upsampling; 1706 nodes). The VJP model of out_sample with respect to sample runs in onnxruntime
 * on CPU; ⟨v, grad.sample⟩ for cotangent w is compared with central differences of
 * ⟨w, out_sample(sample)⟩ along random directions v (test/fixtures/gradcheck.ts).
 *
 * float32 throughout (the model's type). Step h = 1e-2 on a unit-variance sample: measured
 * relative errors ≤ the bound below, which leaves room for float32 rounding in the
 * differences (≈ 1e-5 here) and O(h²) truncation.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxModel } from '../../main/engine/onnx/builder.js';
import { addVjp } from '../../main/engine/onnx/vjp/vjp.js';
import { gradCheck, normals, sessionOptions } from '../fixtures/gradcheck.js';

const EMOJI_UNET = new URL('../../models/packs/emoji-32/unet/model.onnx', import.meta.url).pathname;
const TOL = 1e-3;

describe('VJP of emoji-32 UNet', () => {
  it('matches central differences for d⟨w, out_sample⟩/d sample along random directions', async () => {
    const model = await OnnxModel.load(EMOJI_UNET);
    const sample = normals(11, new Float32Array(3 * 32 * 32));
    const ctx = normals(12, new Float32Array(4 * 128));
    const results = await gradCheck(model, [{ name: 'sample', dims: [1, 3, 32, 32], data: sample }], ['sample'], 'out_sample', {
      h: 1e-2, directions: 3, seed: 3,
      extraFeeds: { timestep: new ort.Tensor('float32', Float32Array.from([400]), [1]), encoder_hidden_states: new ort.Tensor('float32', ctx, [1, 4, 128]) },
    });
    console.log('emoji-32 VJP vs central differences:', results.map((r) => `fd ${r.fd.toPrecision(8)} vjp ${r.vjp.toPrecision(8)} rel ${r.relErr.toExponential(2)}`).join('; '));
    for (const r of results) expect(r.relErr).toBeLessThan(TOL);
  });

  it('with respect to every input at once, batch 2: the output is the source model’s and every gradient has its input’s shape', async () => {
    const model = await OnnxModel.load(EMOJI_UNET);
    const ref = await ort.InferenceSession.create(EMOJI_UNET, sessionOptions);
    const iface = addVjp(model, { wrt: ['sample', 'timestep', 'encoder_hidden_states'], output: 'out_sample' });
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
