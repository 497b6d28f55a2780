/**
 * onnxruntime's fused contrib operators written out in standard operators (main/engine/onnx/vjp/
 * decompose.ts). Each operator's node is built alone with random inputs (the optional ones
 * included) and the decomposed graph's outputs are compared with
 *  - onnxruntime's own CPU kernel, for the operators that have one (Gelu, BiasGelu, FastGelu,
 *    QuickGelu, SkipLayerNormalization);
 *  - for the CUDA-only ones (BiasAdd, BiasSplitGelu, GroupNorm, SkipGroupNorm, NhwcConv), a
 *    reference computed here in float64 straight from onnxruntime/docs/ContribOperators.md;
 * as max |got − want| / max |want| ≤ 1e-5. The decomposed graph's VJP is then checked against
 * central differences (test/fixtures/gradcheck.ts: float32, step 1e-2 (3e-6 for inputs of scale 1e-3), bound
 * 1e-3 as the float32 unit graphs of vjp-ops.test.ts). The worst error per case is printed.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxModel, attr, type Attr } from '../../main/engine/onnx/builder.js';
import { decomposeContribOps } from '../../main/engine/onnx/vjp/decompose.js';
import { VjpUnsupported } from '../../main/engine/onnx/vjp/errors.js';
import { vjpModel } from '../../main/engine/onnx/vjp/index.js';
import { addVjp } from '../../main/engine/onnx/vjp/vjp.js';
import { float16ToFloat32, float32ToFloat16 } from '../../main/engine/fp16.js';
import { gradCheck, normals, sessionOptions, type GradInput } from '../fixtures/gradcheck.js';

type Arrays = Record<string, Float64Array>;

interface Case {
  op: string;
  attrs?: Record<string, Attr>;
  /** Inputs in the operator's order: name, dims and a scale (1 unless given), '' for an omitted optional one. */
  inputs: ([string, number[]] | [string, number[], number] | '')[];
  /** Shapes declared instead of the fed ones (undefined: rank unknown to the graph). */
  declare?: Record<string, number[] | undefined>;
  /** Outputs in the operator's order, '' for an unused optional one. */
  outputs: string[];
  /** Inputs to differentiate (all unless given) and the FD step (1e-2 unless given). */
  wrt?: string[];
  h?: number;
  opset?: number;
  /** The spec's function, for operators without a CPU kernel; else the kernel is the reference. */
  reference?: (x: Arrays) => Float64Array[];
}

/** erf to ~1e-12: its Maclaurin series for |z| < 3, else the continued fraction of erfc (Abramowitz & Stegun 7.1.5, 7.1.14). */
function erf(z: number): number {
  const a = Math.abs(z);
  if (a < 3) {
    let term = z, sum = z;
    for (let n = 1; n < 80; n++) { term *= -z * z / n; sum += term / (2 * n + 1); }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + (k / 2) / f;
  return Math.sign(z) * (1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * f));
}
const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** BiasSplitGelu on `rows` rows of width d: left half · Gelu(right half), after the bias. */
function biasSplitGeluRef(x: Float64Array, bias: Float64Array, rows: number, d: number): Float64Array {
  const half = d / 2;
  return Float64Array.from({ length: rows * half }, (_, i) => {
    const row = Math.floor(i / half), k = i % half;
    return (x[row * d + k] + bias[k]) * gelu(x[row * d + half + k] + bias[half + k]);
  });
}

/** GroupNorm of the spec on NHWC (or NCHW) data [N, H, W, C], optional SiLU. */
function groupNormRef(x: Float64Array, dims: number[], gamma: Float64Array, beta: Float64Array, groups: number, eps: number, swish: boolean, channelsLast: boolean): Float64Array {
  const [n, d1, d2, d3] = dims;
  const [c, hw] = channelsLast ? [d3, d1 * d2] : [d1, d2 * d3];
  const at = (b: number, ch: number, p: number) => (channelsLast ? (b * hw + p) * c + ch : (b * c + ch) * hw + p);
  const y = new Float64Array(x.length);
  const per = c / groups;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      let sum = 0, sq = 0;
      for (let ch = g * per; ch < (g + 1) * per; ch++) for (let p = 0; p < hw; p++) sum += x[at(b, ch, p)];
      const mean = sum / (per * hw);
      for (let ch = g * per; ch < (g + 1) * per; ch++) for (let p = 0; p < hw; p++) sq += (x[at(b, ch, p)] - mean) ** 2;
      const rstd = 1 / Math.sqrt(sq / (per * hw) + eps);
      for (let ch = g * per; ch < (g + 1) * per; ch++) {
        for (let p = 0; p < hw; p++) {
          const v = gamma[ch] * (x[at(b, ch, p)] - mean) * rstd + beta[ch];
          y[at(b, ch, p)] = swish ? v * sigmoid(v) : v;
        }
      }
    }
  }
  return y;
}

/** s = x + skip + bias with skip [N,H,W,C], [N,1,1,C] or [N,C] (channels last). */
function skipSum(x: Float64Array, dims: number[], skip: Float64Array, bias: Float64Array | undefined): Float64Array {
  const [, h, w, c] = dims;
  const full = skip.length === x.length;
  return x.map((v, i) => {
    const ch = i % c;
    const b = Math.floor(i / (h * w * c));
    return v + (full ? skip[i] : skip[b * c + ch]) + (bias ? bias[ch] : 0);
  });
}

/** NhwcConv: X [N,H,W,C], W [M,kH,kW,C], B [M], symmetric pads p, stride s. */
function nhwcConvRef(x: Float64Array, xd: number[], w: Float64Array, wd: number[], bias: Float64Array, p: number, s: number): Float64Array {
  const [n, h, wi, c] = xd;
  const [m, kh, kw] = wd;
  const oh = Math.floor((h + 2 * p - kh) / s) + 1, ow = Math.floor((wi + 2 * p - kw) / s) + 1;
  const y = new Float64Array(n * oh * ow * m);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let o = 0; o < m; o++) {
    let acc = bias[o];
    for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) {
      const r = i * s - p + u, q = j * s - p + v;
      if (r < 0 || r >= h || q < 0 || q >= wi) continue;
      for (let k = 0; k < c; k++) acc += x[((b * h + r) * wi + q) * c + k] * w[((o * kh + u) * kw + v) * c + k];
    }
    y[((b * oh + i) * ow + j) * m + o] = acc;
  }
  return y;
}

const CASES: Record<string, Case> = {
  'Gelu': { op: 'Gelu', inputs: [['x', [2, 3, 16]]], outputs: ['y'] },
  'BiasGelu': { op: 'BiasGelu', inputs: [['a', [2, 3, 16]], ['b', [16]]], outputs: ['y'] },
  'FastGelu with bias': { op: 'FastGelu', inputs: [['x', [2, 3, 16]], ['bias', [16]]], outputs: ['y'] },
  'FastGelu without bias': { op: 'FastGelu', inputs: [['x', [3, 16]]], outputs: ['y'] },
  'QuickGelu, alpha 1.702 (default)': { op: 'QuickGelu', inputs: [['x', [2, 3, 16]]], outputs: ['y'] },
  'QuickGelu, alpha 1.3': { op: 'QuickGelu', attrs: { alpha: attr.float(1.3) }, inputs: [['x', [2, 3, 16]]], outputs: ['y'] },
  'SkipLayerNormalization with beta, bias and the skip-sum output (opset 17: LayerNormalization)': {
    op: 'SkipLayerNormalization', attrs: { epsilon: attr.float(1e-5) },
    inputs: [['input', [2, 3, 16]], ['skip', [2, 3, 16]], ['gamma', [16]], ['beta', [16]], ['bias', [16]]], outputs: ['y', '', '', 'sum'],
  },
  'SkipLayerNormalization with all four outputs, skip [1, S, H] (opset 14: spelt out)': {
    op: 'SkipLayerNormalization', attrs: { epsilon: attr.float(1e-5) }, opset: 14,
    inputs: [['input', [2, 3, 16]], ['skip', [1, 3, 16]], ['gamma', [16]], ['beta', [16]], ['bias', [16]]], outputs: ['y', 'mean', 'inv_std_var', 'sum'],
  },
  'SkipLayerNormalization with inv_std_var and the skip-sum output, skip [S, H] (opset 18: spelt out, axes as inputs)': {
    op: 'SkipLayerNormalization', attrs: { epsilon: attr.float(1e-5) }, opset: 18,
    inputs: [['input', [2, 3, 16]], ['skip', [3, 16]], ['gamma', [16]], '', ['bias', [16]]], outputs: ['y', '', 'inv_std_var', 'sum'],
    h: 3e-3, // inv_std_var's curvature: at 1e-2 the differences' truncation reaches 1e-3
  },
  'SkipLayerNormalization with bias and the skip-sum output (opset 14: spelt out)': {
    op: 'SkipLayerNormalization', attrs: { epsilon: attr.float(1e-5) }, opset: 14,
    inputs: [['input', [2, 3, 16]], ['skip', [2, 3, 16]], ['gamma', [16]], '', ['bias', [16]]], outputs: ['y', '', '', 'sum'],
  },
  'SkipLayerNormalization, default epsilon, inputs of scale 1e-3 (the epsilon shows)': {
    op: 'SkipLayerNormalization', inputs: [['input', [2, 3, 16], 1e-3], ['skip', [2, 3, 16], 1e-3], ['gamma', [16]], ['beta', [16]]], outputs: ['y'],
    wrt: ['input', 'skip'], h: 3e-6, // the error falls as h² (1e-5: up to 6.8e-5, 3e-5: 6.3e-4): truncation at this scale
  },
  'BiasAdd': {
    op: 'BiasAdd', inputs: [['x', [2, 6, 8]], ['bias', [8]], ['skip', [2, 6, 8]]], outputs: ['y'],
    reference: ({ x, bias, skip }) => [x.map((v, i) => v + bias[i % 8] + skip[i])],
  },
  'BiasSplitGelu': {
    op: 'BiasSplitGelu', inputs: [['x', [2, 6, 16]], ['bias', [16]]], outputs: ['y'],
    reference: ({ x, bias }) => [biasSplitGeluRef(x, bias, 2 * 6, 16)],
  },
  'BiasSplitGelu (opset 18: Split says its number of outputs)': {
    op: 'BiasSplitGelu', opset: 18, inputs: [['x', [2, 6, 16]], ['bias', [16]]], outputs: ['y'],
    reference: ({ x, bias }) => [biasSplitGeluRef(x, bias, 2 * 6, 16)],
  },
  'GroupNorm, NHWC, SiLU': {
    op: 'GroupNorm', attrs: { groups: attr.int(4), activation: attr.int(1), epsilon: attr.float(1e-5) },
    inputs: [['x', [2, 3, 4, 8]], ['gamma', [8]], ['beta', [8]]], outputs: ['y'],
    reference: ({ x, gamma, beta }) => [groupNormRef(x, [2, 3, 4, 8], gamma, beta, 4, 1e-5, true, true)],
  },
  'GroupNorm, NCHW, no activation, epsilon 1e-6': {
    op: 'GroupNorm', attrs: { groups: attr.int(2), activation: attr.int(0), channels_last: attr.int(0), epsilon: attr.float(1e-6) },
    inputs: [['x', [2, 8, 3, 4]], ['gamma', [8]], ['beta', [8]]], outputs: ['y'],
    reference: ({ x, gamma, beta }) => [groupNormRef(x, [2, 8, 3, 4], gamma, beta, 2, 1e-6, false, false)],
  },
  'SkipGroupNorm, NHWC, SiLU, full skip, bias, output S': {
    op: 'SkipGroupNorm', attrs: { groups: attr.int(4), activation: attr.int(1), epsilon: attr.float(1e-5) },
    inputs: [['x', [2, 3, 4, 8]], ['gamma', [8]], ['beta', [8]], ['skip', [2, 3, 4, 8]], ['bias', [8]]], outputs: ['y', 's'],
    reference: ({ x, gamma, beta, skip, bias }) => {
      const s = skipSum(x, [2, 3, 4, 8], skip, bias);
      return [groupNormRef(s, [2, 3, 4, 8], gamma, beta, 4, 1e-5, true, true), s];
    },
  },
  'SkipGroupNorm, NHWC, skip [N, C], no bias': {
    op: 'SkipGroupNorm', attrs: { groups: attr.int(2), activation: attr.int(0) },
    inputs: [['x', [2, 3, 4, 8]], ['gamma', [8]], ['beta', [8]], ['skip', [2, 8]]], outputs: ['y'],
    reference: ({ x, gamma, beta, skip }) => [groupNormRef(skipSum(x, [2, 3, 4, 8], skip, undefined), [2, 3, 4, 8], gamma, beta, 2, 1e-5, false, true)],
  },
  'SkipGroupNorm, NHWC, skip [N, 1, 1, C] of undeclared rank, bias, output S': {
    op: 'SkipGroupNorm', attrs: { groups: attr.int(4), activation: attr.int(1) }, declare: { skip: undefined },
    inputs: [['x', [2, 3, 4, 8]], ['gamma', [8]], ['beta', [8]], ['skip', [2, 1, 1, 8]], ['bias', [8]]], outputs: ['y', 's'],
    reference: ({ x, gamma, beta, skip, bias }) => {
      const s = skipSum(x, [2, 3, 4, 8], skip, bias);
      return [groupNormRef(s, [2, 3, 4, 8], gamma, beta, 4, 1e-5, true, true), s];
    },
  },
  'SkipGroupNorm, NHWC, skip [N, C] of undeclared rank': {
    op: 'SkipGroupNorm', attrs: { groups: attr.int(4), activation: attr.int(0) }, declare: { skip: undefined },
    inputs: [['x', [2, 3, 4, 8]], ['gamma', [8]], ['beta', [8]], ['skip', [2, 8]]], outputs: ['y'],
    reference: ({ x, gamma, beta, skip }) => [groupNormRef(skipSum(x, [2, 3, 4, 8], skip, undefined), [2, 3, 4, 8], gamma, beta, 4, 1e-5, false, true)],
  },
  'NhwcConv, stride 2, pads 1, bias': {
    op: 'NhwcConv', attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([2, 2]) },
    inputs: [['x', [2, 5, 6, 3]], ['w', [4, 3, 3, 3]], ['b', [4]]], outputs: ['y'],
    reference: ({ x, w, b }) => [nhwcConvRef(x, [2, 5, 6, 3], w, [4, 3, 3, 3], b, 1, 2)],
  },
};

interface Built { model: OnnxModel; inputs: GradInput[]; outputs: string[] }

function build(c: Case, seed: number): Built {
  const m = OnnxModel.create({ opset: c.opset ?? 17 });
  (m.proto.opsetImport ??= []).push({ domain: 'com.microsoft', version: 1 });
  const inputs: GradInput[] = [];
  c.inputs.forEach((spec, k) => {
    if (!spec) return;
    const [name, dims, scale = 1] = spec;
    const data = normals(seed * 97 + k, new Float32Array(dims.reduce((a, b) => a * b, 1)));
    for (let i = 0; i < data.length; i++) data[i] *= scale;
    m.addInput(name, 'float32', c.declare && name in c.declare ? c.declare[name] : dims);
    inputs.push({ name, dims, data });
  });
  m.addNode(c.op, c.inputs.map((s) => (s ? s[0] : '')), { outputs: c.outputs, attrs: c.attrs, domain: 'com.microsoft', name: c.op });
  const outputs = c.outputs.filter((o) => o);
  for (const o of outputs) m.addOutput(o, 'float32', undefined);
  return { model: m, inputs, outputs };
}

async function run(model: OnnxModel, inputs: readonly GradInput[], outputs: readonly string[]): Promise<Float32Array[]> {
  const s = await ort.InferenceSession.create(await model.toBytes(), sessionOptions);
  const r = await s.run(Object.fromEntries(inputs.map((x) => [x.name, new ort.Tensor('float32', x.data, x.dims)])));
  await s.release();
  return outputs.map((o) => r[o].data as Float32Array);
}

function relDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let d = 0, m = 0;
  for (let i = 0; i < got.length; i++) { d = Math.max(d, Math.abs(got[i] - want[i])); m = Math.max(m, Math.abs(want[i])); }
  expect(m).toBeGreaterThan(0);
  return d / m;
}

describe('contrib operators written out in standard operators', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: the same function as ${c.reference ? 'the spec' : 'onnxruntime\'s CPU kernel'}, and its VJP matches central differences`, async () => {
      const { model, inputs, outputs } = build(c, 3);
      const want = c.reference
        ? c.reference(Object.fromEntries(inputs.map((x) => [x.name, Float64Array.from(x.data)])))
        : await run(model, inputs, outputs);
      expect(decomposeContribOps(model)).toBe(1);
      expect(model.graph.node!.filter((n) => n.domain === 'com.microsoft')).toEqual([]);
      const got = await run(model, inputs, outputs);
      const diffs = got.map((g, i) => relDiff(g, want[i]));
      const wrt = c.wrt ?? inputs.map((x) => x.name);
      const grads = await gradCheck(model, inputs, wrt, outputs, { h: c.h ?? 1e-2, directions: 2, seed: 5 });
      const worst = Math.max(...grads.map((r) => r.relErr));
      console.log(`${name}: output ${diffs.map((d) => d.toExponential(1)).join(', ')}; VJP ${worst.toExponential(1)}`);
      for (const d of diffs) expect(d).toBeLessThan(1e-5);
      for (const r of grads) expect(Math.abs(r.vjp)).toBeGreaterThan(0);
      expect(worst).toBeLessThan(1e-3);
    });
  }

  it('SkipLayerNormalization\'s default epsilon is the kernel\'s: 1e-5 in its place would differ', async () => {
    const c = CASES['SkipLayerNormalization, default epsilon, inputs of scale 1e-3 (the epsilon shows)'];
    const { model, inputs, outputs } = build(c, 4);
    const want = await run(model, inputs, outputs);
    model.graph.node![0].attribute = [{ name: 'epsilon', type: 1, f: 1e-5 }];
    decomposeContribOps(model);
    expect(relDiff((await run(model, inputs, outputs))[0], want[0])).toBeGreaterThan(1e-3);
  });

  it('vjpModel writes them out first (float16 models after widening): a chain the generator refused before gives the decomposed chain\'s gradient', async () => {
    // NhwcConv → GroupNorm (NHWC, SiLU) → [N, HW, C] → BiasSplitGelu → SkipLayerNormalization, as the optimizer fuses a UNet block.
    // Weights rounded to float16 in both types, so that the float16 chain widened is the float32 one.
    const chain = (type: 'float32' | 'float16' = 'float32') => {
      const m = OnnxModel.create({ opset: 17 });
      (m.proto.opsetImport ??= []).push({ domain: 'com.microsoft', version: 1 });
      m.addInput('x', type, [1, 4, 4, 3]);
      const k = (dims: number[], seed: number) => {
        const half = float32ToFloat16(normals(seed, new Float32Array(dims.reduce((a, b) => a * b, 1))));
        return m.constant(type === 'float16' ? { type, dims, data: half } : { type, dims, data: float16ToFloat32(half) });
      };
      const ms = (op: string, ins: string[], attrs?: Record<string, Attr>) => m.addNode(op, ins, { domain: 'com.microsoft', attrs })[0];
      const conv = ms('NhwcConv', ['x', k([8, 3, 3, 3], 1), k([8], 2)], { pads: attr.ints([1, 1, 1, 1]) });
      const gn = ms('GroupNorm', [conv, k([8], 3), k([8], 4)], { groups: attr.int(2), activation: attr.int(1) });
      const tokens = m.op('Reshape', [gn, m.constant({ type: 'int64', dims: [3], data: BigInt64Array.from([0n, -1n, 8n]) })]);
      const ff = ms('BiasSplitGelu', [tokens, k([8], 5)]);
      m.addNode('SkipLayerNormalization', [ff, k([1, 16, 4], 6), k([4], 7), k([4], 8)], { outputs: ['y'], domain: 'com.microsoft', attrs: { epsilon: attr.float(1e-5) } });
      m.addOutput('y', type, [1, 16, 4]);
      return m;
    };
    expect(() => addVjp(chain(), { wrt: ['x'], output: 'y' })).toThrow(VjpUnsupported);
    const x = { name: 'x', dims: [1, 4, 4, 3], data: normals(9, new Float32Array(48)) };
    const grad = async (m: OnnxModel) => {
      const s = await ort.InferenceSession.create(await m.toBytes(), sessionOptions);
      const r = await s.run({ x: new ort.Tensor('float32', x.data, x.dims), 'grad.y': new ort.Tensor('float32', normals(10, new Float32Array(64)), [1, 16, 4]) });
      await s.release();
      return r['grad.x'].data as Float32Array;
    };
    const viaVjpModel = chain();
    await vjpModel(viaVjpModel, { wrt: ['x'], output: 'y' });
    const decomposed = chain();
    expect(decomposeContribOps(decomposed)).toBe(4);
    const results = await gradCheck(decomposed, [x], ['x'], 'y', { h: 3e-3, directions: 2, seed: 6 });
    console.log('contrib chain VJP vs central differences:', results.map((r) => r.relErr.toExponential(1)).join(', '));
    // Four nonlinear layers: at h = 1e-2 the differences' truncation reaches 1.4e-3, so the UNet tests' step and bound.
    for (const r of results) expect(r.relErr).toBeLessThan(5e-4);
    const half = chain('float16');
    expect((await vjpModel(half, { wrt: ['x'], output: 'y' })).widened).toBe(true);
    addVjp(decomposed, { wrt: ['x'], output: 'y' });
    const want = await grad(decomposed);
    expect(relDiff(await grad(viaVjpModel), want)).toBeLessThan(1e-6);
    expect(relDiff(await grad(half), want)).toBeLessThan(1e-6);
  });

  it('leaves other operators and other domains alone', () => {
    const m = OnnxModel.create({ opset: 17 });
    m.addInput('x', 'float32', [2, 4]);
    m.addNode('Gelu', ['x'], { outputs: ['g'], domain: 'custom.domain' });
    m.addNode('Relu', ['g'], { outputs: ['y'] });
    const before = JSON.stringify(m.graph.node);
    expect(decomposeContribOps(m)).toBe(0);
    expect(JSON.stringify(m.graph.node)).toBe(before);
  });
});
