/**
 * Per-operator gradient checks of the VJP generator (main/engine/onnx/vjp): small graphs built with
 * OnnxModel, their VJP models run in onnxruntime on CPU, and ⟨v, VJP(w)⟩ compared with central
 * finite differences of ⟨w, f(x)⟩ along three random directions (test/fixtures/gradcheck.ts).
 *
 * Tolerances (relative error): float64 graphs, step 1e-5 — bound 1e-8 (measured 8e-12 … 3e-9:
 * truncation ~h², rounding ~1e-16/h). float32 graphs (operators whose CPU kernels have no float64
 * version: Conv, ConvTranspose, InstanceNormalization, GroupNormalization, Resize/AveragePool, Erf,
 * DepthToSpace),
 * step 1e-2 with O(1) inputs — bound 1e-3 (measured 5e-7 … 3.1e-4: rounding ~6e-8·|s|/h
 * relative to the directional derivative, truncation ~h²). The worst error per case is printed.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxModel, attr, i64, type Attr, type ElemType, type TensorData } from '../../main/engine/onnx/builder.js';
import { VjpUnsupported } from '../../main/engine/onnx/vjp/errors.js';
import { addVjp } from '../../main/engine/onnx/vjp/vjp.js';
import { gradCheck, normals, sessionOptions, type FloatData, type GradInput } from '../fixtures/gradcheck.js';

type F = 'float32' | 'float64';
const TOL: Record<F, number> = { float64: 1e-8, float32: 1e-3 };
const STEP: Record<F, number> = { float64: 1e-5, float32: 1e-2 };

/** A float tensor of the test's type. */
function tensor(type: F, data: readonly number[] | FloatData, dims: number[]): TensorData {
  return type === 'float64' ? { type, dims, data: Float64Array.from(data) } : { type, dims, data: Float32Array.from(data) };
}

interface Case {
  type: F;
  opset?: number;
  /** Inputs: name → dims (random normal data), or dims and a map applied to the data (to keep it in a domain). */
  inputs: Record<string, number[] | { dims: number[]; map: (v: number) => number }>;
  /** Shapes to declare instead of the fed ones (symbolic or unknown dims). */
  declare?: Record<string, (number | string | null)[] | undefined>;
  wrt?: string[];
  /** Build the graph from the input names; returns the output value name. */
  build: (m: OnnxModel, t: F) => string;
  tol?: number;
}

async function check(c: Case, seed = 1): Promise<number> {
  const m = OnnxModel.create({ opset: c.opset ?? 17, irVersion: (c.opset ?? 17) >= 21 ? 10 : 8 });
  const inputs: GradInput[] = [];
  let s = seed * 101;
  for (const [name, spec] of Object.entries(c.inputs)) {
    const dims = Array.isArray(spec) ? spec : spec.dims;
    const n = dims.reduce((a, b) => a * b, 1);
    const raw = normals(s++, c.type === 'float64' ? new Float64Array(n) : new Float32Array(n));
    if (!Array.isArray(spec)) for (let i = 0; i < n; i++) raw[i] = spec.map(raw[i]);
    m.addInput(name, c.type as ElemType, c.declare && name in c.declare ? c.declare[name] : dims);
    inputs.push({ name, dims, data: raw });
  }
  const y = c.build(m, c.type);
  m.addNode('Identity', [y], { outputs: ['y'] });
  m.addOutput('y', c.type as ElemType, undefined);
  const results = await gradCheck(m, inputs, c.wrt ?? Object.keys(c.inputs), 'y', { h: STEP[c.type], seed });
  const worst = Math.max(...results.map((r) => r.relErr));
  for (const r of results) expect(Math.abs(r.vjp)).toBeGreaterThan(0);
  expect(worst).toBeLessThan(c.tol ?? TOL[c.type]);
  return worst;
}

const ints = (m: OnnxModel, v: number[]) => m.constant(i64(v, [v.length]));
const k = (m: OnnxModel, t: F, v: number[], dims: number[] = []) => m.constant(tensor(t, v, dims));
const positive = (dims: number[]) => ({ dims, map: (v: number) => 1.5 + Math.abs(v) });
const op = (m: OnnxModel, type: string, ins: string[], attrs?: Record<string, Attr>) => m.op(type, ins, attrs);

const CASES: Record<string, Case> = {
  'Add with broadcast both ways': { type: 'float64', inputs: { a: [2, 3, 4], b: [3, 1] }, build: (m) => op(m, 'Add', ['a', 'b']) },
  'Add with symbolic dims that decide nothing (axes found at run time)': {
    type: 'float64', inputs: { a: [1, 3], b: [4, 3], c: [2, 4, 3] }, declare: { a: ['n', 3], b: ['m', 3], c: undefined },
    build: (m) => op(m, 'Mul', [op(m, 'Add', ['a', 'b']), 'c']),
  },
  'Mul with one symbolic batch on both sides (no reduction needed)': {
    type: 'float64', inputs: { a: [2, 3, 4], b: [2, 1, 4] }, declare: { a: ['batch', 'seq', 4], b: ['batch', 1, 4] },
    build: (m) => op(m, 'Mul', ['a', 'b']),
  },
  'Sub with a lower-rank operand': { type: 'float64', inputs: { a: [2, 3], b: [3] }, build: (m) => op(m, 'Sub', ['a', 'b']) },
  'Mul broadcast [4,1,3]·[2,3]': { type: 'float64', inputs: { a: [4, 1, 3], b: [2, 3] }, build: (m) => op(m, 'Mul', ['a', 'b']) },
  'Div': { type: 'float64', inputs: { a: [2, 3], b: positive([2, 1]) }, build: (m) => op(m, 'Div', ['a', 'b']) },
  'Pow with constant exponents, Sqrt, Exp': {
    type: 'float64', inputs: { x: [3, 4] },
    build: (m, t) => op(m, 'Exp', [op(m, 'Mul', [op(m, 'Sqrt', [op(m, 'Add', [op(m, 'Pow', ['x', k(m, t, [2])]), k(m, t, [1])])]), op(m, 'Pow', [op(m, 'Sigmoid', ['x']), k(m, t, [3])])])]),
  },
  'Pow with an input exponent': { type: 'float64', inputs: { a: positive([5]), b: [5] }, build: (m) => op(m, 'Pow', ['a', 'b']) },
  'Sigmoid, Tanh, Sin, Cos, Neg, Identity, Relu, Log': {
    type: 'float64', inputs: { x: [4, 5] },
    build: (m) => {
      const parts = ['Sigmoid', 'Tanh', 'Sin', 'Cos', 'Neg', 'Identity', 'Relu'].map((o) => op(m, o, ['x']));
      return op(m, 'Add', [op(m, 'Sum', parts), op(m, 'Log', [op(m, 'Add', [op(m, 'Mul', ['x', 'x']), op(m, 'Exp', ['x'])])])]);
    },
  },
  'Erf (GELU as exported)': {
    type: 'float32', inputs: { x: [4, 6] },
    build: (m, t) => op(m, 'Mul', [op(m, 'Mul', ['x', op(m, 'Add', [op(m, 'Erf', [op(m, 'Div', ['x', k(m, t, [Math.SQRT2])])]), k(m, t, [1])])]), k(m, t, [0.5])]),
  },
  'Softmax on the last and a middle axis': {
    type: 'float64', inputs: { x: [2, 3, 5] },
    build: (m) => op(m, 'Add', [op(m, 'Softmax', ['x']), op(m, 'Softmax', ['x'], { axis: attr.int(1) })]),
  },
  'MatMul batched with broadcast batch axes': { type: 'float64', inputs: { a: [2, 1, 3, 4], b: [3, 4, 5] }, build: (m) => op(m, 'MatMul', ['a', 'b']) },
  'MatMul with a vector on either side': {
    type: 'float64', inputs: { v: [4], a: [2, 3, 4], w: [4] },
    build: (m) => op(m, 'Add', [op(m, 'MatMul', ['v', op(m, 'Transpose', ['a'], { perm: attr.ints([0, 2, 1]) })]), op(m, 'MatMul', ['a', 'w'])]),
  },
  'Gemm, plain and transposed, bias broadcast': {
    type: 'float64', inputs: { a: [3, 4], b: [4, 5], c: [5], at: [4, 3], bt: [5, 4] },
    build: (m) => op(m, 'Add', [
      op(m, 'Gemm', ['a', 'b', 'c'], { alpha: attr.float(0.5), beta: attr.float(2) }),
      op(m, 'Gemm', ['at', 'bt'], { transA: attr.int(1), transB: attr.int(1) }),
    ]),
  },
  'Conv: stride 2, pads, odd input, with weight and bias': {
    type: 'float32', inputs: { x: [2, 3, 7, 7], w: [4, 3, 3, 3], b: [4] },
    build: (m) => op(m, 'Conv', ['x', 'w', 'b'], { strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]), kernel_shape: attr.ints([3, 3]) }),
  },
  'Conv: dilation 2, asymmetric pads, weight': {
    type: 'float32', inputs: { x: [1, 2, 8, 6], w: [3, 2, 3, 2] },
    build: (m) => op(m, 'Conv', ['x', 'w'], { dilations: attr.ints([2, 1]), pads: attr.ints([0, 1, 2, 0]), strides: attr.ints([1, 2]) }),
  },
  'Conv: groups (input gradient)': {
    type: 'float32', inputs: { x: [2, 4, 6, 6], w: [6, 2, 3, 3] }, wrt: ['x'],
    build: (m) => op(m, 'Conv', ['x', 'w'], { group: attr.int(2), pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([2, 2]) }),
  },
  'Conv: stride 1, groups 3, dilation 2 (input adjoint as a Conv with the flipped kernel)': {
    type: 'float32', inputs: { x: [2, 6, 7, 6], w: [9, 2, 3, 3] }, wrt: ['x'],
    build: (m) => op(m, 'Conv', ['x', 'w'], { group: attr.int(3), dilations: attr.ints([2, 1]), pads: attr.ints([2, 1, 1, 0]) }),
  },
  'Conv: 1×1 and padding beyond the kernel (ConvTranspose fallback)': {
    type: 'float32', inputs: { x: [1, 3, 5, 5], w1: [4, 3, 1, 1], w3: [2, 4, 3, 3] },
    build: (m) => op(m, 'Conv', [op(m, 'Conv', ['x', 'w1']), 'w3'], { pads: attr.ints([3, 0, 1, 1]) }),
  },
  'Reshape, Transpose, Unsqueeze, Squeeze, Flatten': {
    type: 'float64', inputs: { x: [2, 3, 4] },
    build: (m) => {
      const t = op(m, 'Transpose', ['x'], { perm: attr.ints([2, 0, 1]) });
      const r = op(m, 'Reshape', [t, ints(m, [4, -1])]);
      const u = op(m, 'Unsqueeze', [r, ints(m, [0, 2])]);
      const s = op(m, 'Squeeze', [u, ints(m, [0])]);
      return op(m, 'Mul', [op(m, 'Flatten', [s], { axis: attr.int(1) }), op(m, 'Flatten', [s], { axis: attr.int(1) })]);
    },
  },
  'Concat and Split (one piece unused)': {
    type: 'float64', inputs: { a: [2, 3], b: [2, 2] },
    build: (m) => {
      const c = op(m, 'Concat', ['a', 'b', 'a'], { axis: attr.int(-1) });
      const [p, , r] = m.addNode('Split', [c, ints(m, [2, 4, 2])], { outputs: 3, attrs: { axis: attr.int(1) } });
      return op(m, 'Mul', [p, op(m, 'Sin', [r])]);
    },
  },
  'Slice with negative bounds and steps': {
    type: 'float64', inputs: { x: [4, 7] },
    build: (m) => op(m, 'Slice', ['x', ints(m, [1, -1]), ints(m, [100, 0]), ints(m, [0, 1]), ints(m, [1, -2])]),
  },
  'Slice with unit steps (Pad): negative and out-of-range bounds, implicit axes, int32 bounds, an empty slice': {
    type: 'float64', inputs: { x: [4, 7] },
    build: (m) => {
      const i32c = (v: number[]) => m.constant({ type: 'int32', dims: [v.length], data: Int32Array.from(v) });
      const a = op(m, 'Slice', ['x', i32c([-3, 2]), i32c([100, -1])]);
      const empty = op(m, 'Slice', ['x', ints(m, [5]), ints(m, [2]), ints(m, [1])]);
      const b = op(m, 'Slice', ['x', ints(m, [-3]), ints(m, [2 ** 53]), ints(m, [-1]), ints(m, [1])]);
      return op(m, 'Mul', [a, op(m, 'Slice', [op(m, 'Concat', [empty, b, b], { axis: attr.int(1) }), ints(m, [1, 0]), ints(m, [4, 4]), ints(m, [0, 1])])]);
    },
  },
  'Slice with run-time bounds from Shape (GEGLU chunk)': {
    type: 'float64', inputs: { x: [2, 3, 8] },
    build: (m) => {
      const last = op(m, 'Gather', [op(m, 'Shape', ['x']), m.constant(i64([2], []))], { axis: attr.int(0) });
      const half = op(m, 'Div', [last, m.constant(i64([2], []))]);
      const h1 = op(m, 'Unsqueeze', [half, ints(m, [0])]);
      const a = op(m, 'Slice', ['x', ints(m, [0]), h1, ints(m, [-1])]);
      const b = op(m, 'Slice', ['x', h1, op(m, 'Mul', [h1, ints(m, [2])]), ints(m, [-1])]);
      return op(m, 'Mul', [a, op(m, 'Tanh', [b])]);
    },
  },
  'Gather with repeated and negative indices': {
    type: 'float64', inputs: { x: [3, 5] },
    build: (m) => op(m, 'Gather', ['x', m.constant(i64([0, 4, 0, -1], [2, 2]))], { axis: attr.int(1) }),
  },
  'Expand and Where': {
    type: 'float64', inputs: { a: [3, 1], b: [4] },
    build: (m) => {
      const e = op(m, 'Expand', ['a', ints(m, [2, 3, 4])]);
      const cond = m.constant({ type: 'bool', dims: [3, 4], data: Uint8Array.from({ length: 12 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0) });
      return op(m, 'Where', [cond, e, 'b']);
    },
  },
  'Cast between float types': {
    type: 'float32', inputs: { x: [3, 4] },
    build: (m) => op(m, 'Cast', [op(m, 'Exp', [op(m, 'Cast', ['x'], { to: attr.int(11) })])], { to: attr.int(1) }),
  },
  'ReduceMean (axes attribute) and ReduceSum (axes input), kept and dropped': {
    type: 'float64', inputs: { x: [2, 3, 4] },
    build: (m) => {
      const mean = op(m, 'ReduceMean', ['x'], { axes: attr.ints([2]), keepdims: attr.int(0) });
      const sum = op(m, 'ReduceSum', ['x', ints(m, [-1, 0])], { keepdims: attr.int(1) });
      const all = op(m, 'ReduceMean', ['x'], { keepdims: attr.int(0) });
      return op(m, 'Add', [op(m, 'Mul', [mean, op(m, 'Squeeze', [sum, ints(m, [0, 2])])]), all]);
    },
  },
  'InstanceNormalization with scale and bias': {
    type: 'float32', inputs: { x: [2, 3, 4, 5], s: [3], b: [3] },
    build: (m) => op(m, 'InstanceNormalization', ['x', 's', 'b'], { epsilon: attr.float(1e-5) }),
  },
  'GroupNorm as Reshape → InstanceNormalization → Reshape → Mul → Add': {
    type: 'float32', inputs: { x: [2, 6, 3, 3], gamma: [6, 1, 1], beta: [6, 1, 1] },
    build: (m, t) => {
      const r = op(m, 'Reshape', ['x', ints(m, [0, 2, -1])]);
      const n = op(m, 'InstanceNormalization', [r, k(m, t, [1, 1], [2]), k(m, t, [0, 0], [2])], { epsilon: attr.float(1e-5) });
      const back = op(m, 'Reshape', [n, op(m, 'Shape', ['x'])]);
      return op(m, 'Add', [op(m, 'Mul', [back, 'gamma']), 'beta']);
    },
  },
  'GroupNormalization, opset 18 (per-group scale and bias)': {
    type: 'float32', opset: 18, inputs: { x: [2, 6, 3, 2], s: [3], b: [3] },
    build: (m) => op(m, 'GroupNormalization', ['x', 's', 'b'], { num_groups: attr.int(3), epsilon: attr.float(1e-5) }),
  },
  'GroupNormalization, opset 21 (per-channel scale and bias)': {
    type: 'float32', opset: 21, inputs: { x: [2, 6, 3, 2], s: [6], b: [6] },
    build: (m) => op(m, 'GroupNormalization', ['x', 's', 'b'], { num_groups: attr.int(2), epsilon: attr.float(1e-5) }),
  },
  'GroupNorm spelt out (ReduceMean, Sub, Pow, Sqrt, Div)': {
    type: 'float64', inputs: { x: [2, 4, 3, 3] },
    build: (m, t) => {
      const r = op(m, 'Reshape', ['x', ints(m, [2, 2, -1])]);
      const mu = op(m, 'ReduceMean', [r], { axes: attr.ints([-1]) });
      const d = op(m, 'Sub', [r, mu]);
      const v = op(m, 'ReduceMean', [op(m, 'Pow', [d, k(m, t, [2])])], { axes: attr.ints([-1]) });
      const nrm = op(m, 'Div', [d, op(m, 'Sqrt', [op(m, 'Add', [v, k(m, t, [1e-5])])])]);
      return op(m, 'Reshape', [nrm, op(m, 'Shape', ['x'])]);
    },
  },
  'LayerNormalization over the last axis and the last two': {
    type: 'float64', inputs: { x: [2, 3, 4], s: [4], b: [4], s2: [3, 4] },
    build: (m) => op(m, 'Add', [
      op(m, 'LayerNormalization', ['x', 's', 'b'], { epsilon: attr.float(1e-5) }),
      op(m, 'LayerNormalization', ['x', 's2'], { axis: attr.int(-2), epsilon: attr.float(1e-5) }),
    ]),
  },
  'Resize nearest ×2 (asymmetric, floor)': {
    type: 'float32', inputs: { x: [1, 2, 3, 4] },
    build: (m, t) => op(m, 'Resize', ['x', '', k(m, t === 'float32' ? 'float32' : t, [1, 1, 2, 2], [4])], {
      mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor'),
    }),
  },
  'Resize nearest ×2 (half_pixel, round_prefer_floor)': {
    type: 'float32', inputs: { x: [1, 2, 3, 3] },
    build: (m, t) => op(m, 'Resize', ['x', '', k(m, t, [1, 1, 2, 2], [4])], { mode: attr.string('nearest') }),
  },
  'Resize nearest to run-time sizes that are not multiples (scatter through indices)': {
    type: 'float32', inputs: { x: [1, 2, 3, 5], skip: [1, 1, 7, 11] }, wrt: ['x'],
    build: (m) => {
      const sizes = op(m, 'Concat', [op(m, 'Slice', [op(m, 'Shape', ['x']), ints(m, [0]), ints(m, [2])]), op(m, 'Slice', [op(m, 'Shape', ['skip']), ints(m, [2]), ints(m, [4])])], { axis: attr.int(0) });
      return op(m, 'Resize', ['x', '', '', sizes], { mode: attr.string('nearest') });
    },
  },
  'Resize nearest ×3 under half_pixel (scatter through indices)': {
    type: 'float32', inputs: { x: [1, 1, 4, 3] },
    build: (m, t) => op(m, 'Resize', ['x', '', k(m, t, [1, 1, 3, 3], [4])], { mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('half_pixel') }),
  },
  'DepthToSpace (CRD and DCR) and SpaceToDepth': {
    type: 'float32', inputs: { x: [2, 8, 3, 2] },
    build: (m) => {
      const crd = op(m, 'DepthToSpace', ['x'], { blocksize: attr.int(2), mode: attr.string('CRD') });
      const dcr = op(m, 'DepthToSpace', ['x'], { blocksize: attr.int(2), mode: attr.string('DCR') });
      const back = op(m, 'SpaceToDepth', [op(m, 'Mul', [crd, dcr])], { blocksize: attr.int(2) });
      return op(m, 'Mul', [back, 'x']);
    },
  },
  'Shape-only subgraph (Shape, Gather, Concat, ConstantOfShape, Range, Cast of ints)': {
    type: 'float64', inputs: { x: [2, 3, 4] },
    build: (m, t) => {
      const shape = op(m, 'Shape', ['x']);
      const n = op(m, 'Gather', [shape, ints(m, [0])], { axis: attr.int(0) });
      const target = op(m, 'Concat', [n, ints(m, [-1])], { axis: attr.int(0) });
      const flat = op(m, 'Reshape', ['x', target]);
      const len = op(m, 'Gather', [op(m, 'Shape', [flat]), m.constant(i64([1], []))], { axis: attr.int(0) });
      const ramp = op(m, 'Cast', [op(m, 'Range', [m.constant(i64([0], [])), len, m.constant(i64([1], []))])], { to: attr.int(11) });
      const ones = op(m, 'ConstantOfShape', [op(m, 'Shape', [flat])], { value: attr.tensor(tensor(t, [1], [1])) });
      return op(m, 'Mul', [op(m, 'Mul', [flat, flat]), op(m, 'Add', [ramp, ones])]);
    },
  },
  'a value read by several nodes (adjoints summed)': {
    type: 'float64', inputs: { x: [3, 3] },
    build: (m) => op(m, 'Add', [op(m, 'Mul', ['x', 'x']), op(m, 'MatMul', ['x', op(m, 'Sin', ['x'])])]),
  },
};

describe('VJP rules against central differences', () => {
  const worst = new Map<string, number>();
  for (const [name, c] of Object.entries(CASES)) {
    it(name, async () => { worst.set(`${name} (${c.type})`, await check(c)); });
  }
  afterAll(() => console.log([...worst].map(([n, e]) => `${e.toExponential(1)}  ${n}`).join('\n')));
});

describe('VJP generator', () => {
  it('names the first operator without a rule and its node', () => {
    const m = OnnxModel.create({ opset: 17 });
    m.addInput('x', 'float32', [2, 3]);
    const y = m.op('Exp', ['x']);
    m.addNode('HardSwish', [y], { outputs: ['h'], name: 'act/HardSwish' });
    m.addNode('Softplus', ['h'], { outputs: ['y'], name: 'act/Softplus' });
    m.addOutput('y', 'float32', undefined);
    let err: unknown;
    try { addVjp(m, { wrt: ['x'], output: 'y' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(VjpUnsupported);
    expect((err as VjpUnsupported).opType).toBe('HardSwish');
    expect((err as Error).message).toContain("operator HardSwish (node 'act/HardSwish')");
  });

  it('gives zeros for an input the output does not depend on', async () => {
    const m = OnnxModel.create({ opset: 17 });
    m.addInput('x', 'float32', [2, 2]);
    m.addInput('unused', 'float32', [3]);
    m.addNode('Exp', ['x'], { outputs: ['y'] });
    m.addOutput('y', 'float32', undefined);
    const iface = addVjp(m, { wrt: ['x', 'unused'], output: 'y' });
    const s = await ort.InferenceSession.create(await m.toBytes(), sessionOptions);
    const out = await s.run({
      x: new ort.Tensor('float32', Float32Array.from([0, 1, 2, 3]), [2, 2]), unused: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [3]),
      [iface.cotangent]: new ort.Tensor('float32', Float32Array.from([1, 1, 1, 1]), [2, 2]),
    });
    expect(Array.from(out[iface.gradients.unused].data as Float32Array)).toEqual([0, 0, 0]);
    expect(Array.from(out[iface.gradients.x].data as Float32Array)).toEqual(Array.from(out.y.data as Float32Array));
  });

  it('refuses a Resize it cannot differentiate, saying why', () => {
    const m = OnnxModel.create({ opset: 17 });
    m.addInput('x', 'float32', [1, 1, 2, 2]);
    m.addNode('Resize', ['x', '', m.constant(tensor('float32', [1, 1, 2, 2], [4]))], { outputs: ['y'], name: 'up', attrs: { mode: attr.string('linear') } });
    m.addOutput('y', 'float32', undefined);
    expect(() => addVjp(m, { wrt: ['x'], output: 'y' })).toThrow(/Resize \(node 'up'\) in mode 'linear'/);
  });

  it('reduces broadcast axes statically where symbolic dims decide them, at run time where they do not', () => {
    const graphOf = (a: (number | string)[], b: (number | string)[]) => {
      const m = OnnxModel.create({ opset: 17 });
      m.addInput('a', 'float32', a);
      m.addInput('b', 'float32', b);
      m.addNode('Add', ['a', 'b'], { outputs: ['y'] });
      m.addOutput('y', 'float32', undefined);
      addVjp(m, { wrt: ['a', 'b'], output: 'y' });
      return (m.graph.node ?? []).map((n) => n.opType);
    };
    expect(graphOf(['batch', 'seq', 8], ['batch', 'seq', 8])).toEqual(['Add', 'Identity', 'Identity']);
    expect(graphOf(['batch', 'seq', 8], [8]).filter((o) => o === 'ReduceSum')).toHaveLength(1);
    expect(graphOf(['batch', 'seq', 8], [8])).not.toContain('NonZero');
    expect(graphOf(['n', 8], ['m', 8])).toContain('NonZero');
  });

  it('differentiates a value computed inside the graph, declared with its inferred shape', async () => {
    const m = OnnxModel.create({ opset: 17 });
    m.addInput('x', 'float32', ['batch', 3]);
    m.addNode('Exp', ['x'], { outputs: ['h'] });
    m.addNode('Sin', ['h'], { outputs: ['y'] });
    m.addOutput('y', 'float32', undefined);
    const iface = addVjp(m, { wrt: ['x'], output: ['h'] });
    expect(m.outputs().map((o) => [o.name, o.shape])).toEqual([['h', ['batch', 3]], ['grad.x', ['batch', 3]]]);
    expect((m.graph.node ?? []).map((n) => n.opType)).not.toContain('Sin');
    const s = await ort.InferenceSession.create(await m.toBytes(), sessionOptions);
    const x = Float32Array.from([0, 0.5, -1, 2, 1, -0.25]);
    const w = Float32Array.from([1, -2, 3, 0.5, 1, 4]);
    const out = await s.run({ x: new ort.Tensor('float32', x, [2, 3]), [iface.cotangents.h]: new ort.Tensor('float32', w, [2, 3]) });
    const g = out['grad.x'].data as Float32Array;
    x.forEach((v, i) => expect(g[i]).toBeCloseTo(Math.exp(v) * w[i], 5));
  });

  it('keeps only what the differentiated value needs, weights listed as inputs (IR < 4) included', async () => {
    const m = OnnxModel.create({ opset: 17 });
    m.addInput('x', 'float32', [2]);
    m.addInput('w', 'float32', [2]);
    m.addInitializer('w', tensor('float32', [3, 4], [2]));
    m.addNode('Exp', ['x'], { outputs: ['y'] });
    m.addNode('Mul', ['x', 'w'], { outputs: ['z'] });
    m.addOutput('y', 'float32', undefined);
    m.addOutput('z', 'float32', undefined);
    const iface = addVjp(m, { wrt: ['x'], output: 'y' });
    expect(m.initializerNames()).not.toContain('w');
    expect(m.inputs().map((i) => i.name)).toEqual(['x', iface.cotangent]);
    expect(m.outputs().map((o) => o.name)).toEqual(['y', 'grad.x']);
    const s = await ort.InferenceSession.create(await m.toBytes(), sessionOptions);
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([0, 1]), [2]), [iface.cotangent]: new ort.Tensor('float32', Float32Array.from([1, 2]), [2]) });
    expect(Array.from(out['grad.x'].data as Float32Array).map((v) => +v.toFixed(5))).toEqual([1, +(2 * Math.E).toFixed(5)]);
  });

  it('refuses a model older than opset 13', () => {
    const m = OnnxModel.create({ opset: 12 });
    m.addInput('x', 'float32', [2]);
    m.addNode('Exp', ['x'], { outputs: ['y'] });
    m.addOutput('y', 'float32', undefined);
    expect(() => addVjp(m, { wrt: ['x'], output: 'y' })).toThrow(/opset 13/);
  });
});
