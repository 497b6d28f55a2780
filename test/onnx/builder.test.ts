import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxModel, attr, f16, f32, i64 } from '../../main/engine/onnx/builder.js';
import { float16ToFloat32, float32ToFloat16, fromHalf, toHalf } from '../../main/engine/fp16.js';
import { gaussian } from '../../main/engine/random.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'driftline-onnx-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const opts: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, intraOpNumThreads: 1 };
const session = async (m: OnnxModel) => ort.InferenceSession.create(await m.toBytes(), opts);

/** y = x·W + b for x [B, K], W [K, N], b [N], computed by hand in float64. */
function matmulAdd(x: Float32Array, W: Float32Array, b: Float32Array, B: number, K: number, N: number): Float64Array {
  const y = new Float64Array(B * N);
  for (let i = 0; i < B; i++) for (let j = 0; j < N; j++) {
    let s = b[j];
    for (let k = 0; k < K; k++) s += x[i * K + k] * W[k * N + j];
    y[i * N + j] = s;
  }
  return y;
}

function linearModel(K: number, N: number, W: Float32Array, b: Float32Array): OnnxModel {
  const m = OnnxModel.create();
  m.addInput('x', 'float32', ['batch', K]);
  m.addOutput('y', 'float32', ['batch', N]);
  const xw = m.op('MatMul', ['x', m.addInitializer('W', f32(W, [K, N]))]);
  m.opTo('y', 'Add', [xw, m.addInitializer('b', f32(b, [N]))]);
  return m;
}

describe('half floats', () => {
  it('round to nearest even and back exactly', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(65520)).toBe(0x7c00); // rounds up to ∞
    expect(toHalf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toHalf(2 ** -25)).toBe(0); // tie → even (0)
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true);
    for (let h = 0; h < 0x7c00; h += 7) expect(toHalf(fromHalf(h))).toBe(h);
    expect(Array.from(float16ToFloat32(float32ToFloat16(Float32Array.from([0.5, -0.25, 1000]))))).toEqual([0.5, -0.25, 1000]);
  });
});

describe('OnnxModel builder', () => {
  it('builds a MatMul + Add graph that onnxruntime evaluates as computed by hand', async () => {
    const [B, K, N] = [3, 5, 4];
    const W = gaussian(K * N, 1), b = gaussian(N, 2), x = gaussian(B * K, 3);
    const s = await session(linearModel(K, N, W, b));
    expect(s.inputNames).toEqual(['x']);
    expect(s.outputNames).toEqual(['y']);
    const { y } = await s.run({ x: new ort.Tensor('float32', x, [B, K]) });
    expect(y.dims).toEqual([B, N]);
    const ref = matmulAdd(x, W, b, B, K, N);
    (y.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(ref[i], 5));
  });

  it('declares symbolic dims that onnxruntime reports and honours at two sizes', async () => {
    const m = OnnxModel.create();
    m.addInput('img', 'float32', ['batch', 2, 'height', 'width']);
    m.addOutput('out', 'float32', ['batch', 3, 'height', 'width']);
    const w = m.addInitializer('conv.w', f32(gaussian(3 * 2 * 9, 4), [3, 2, 3, 3]));
    m.opTo('out', 'Conv', ['img', w], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) });
    const s = await session(m);
    const meta = s.inputMetadata[0];
    expect(meta.isTensor && meta.shape).toEqual(['batch', 2, 'height', 'width']);
    const outMeta = s.outputMetadata[0];
    expect(outMeta.isTensor && outMeta.shape).toEqual(['batch', 3, 'height', 'width']);
    for (const [B, H, W] of [[1, 4, 6], [3, 8, 5]]) {
      const r = await s.run({ img: new ort.Tensor('float32', gaussian(B * 2 * H * W, 5), [B, 2, H, W]) });
      expect(r.out.dims).toEqual([B, 3, H, W]);
      expect(Array.from(r.out.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
  });

  it('takes and returns float16 through Uint16Array bit patterns', async () => {
    const m = OnnxModel.create();
    m.addInput('x', 'float16', ['n']);
    m.addOutput('y', 'float16', ['n']);
    m.opTo('y', 'Mul', ['x', m.addInitializer('two', f16(float32ToFloat16(Float32Array.from([2])), [1]))]);
    const s = await session(m);
    const meta = s.inputMetadata[0];
    expect(meta.isTensor && meta.type).toBe('float16');
    const r = await s.run({ x: new ort.Tensor('float16', float32ToFloat16(Float32Array.from([1.5, -3, 0.125])), [3]) });
    expect(r.y.type).toBe('float16');
    expect(Array.from(float16ToFloat32(r.y.data as Uint16Array))).toEqual([3, -6, 0.25]);
  });

  it('writes int64 constants, scalar inputs and every attribute kind', async () => {
    const m = OnnxModel.create();
    m.addInput('t', 'int64', []);
    m.addInput('x', 'float32', [2, 3]);
    m.addOutput('y', 'float32', [2, 3]);
    m.addOutput('shape', 'int64', [2]);
    const tf = m.op('Cast', ['t'], { to: attr.int(1) });
    const scaled = m.op('Mul', ['x', tf]);
    const clipped = m.op('Clip', [scaled, m.constant(f32([-5], [])), m.constant(f32([5], []))]);
    const lr = m.op('LeakyRelu', [clipped], { alpha: attr.float(0.5) });
    const c = m.op('Constant', [], { value: attr.tensor(f32([1, 2, 3], [3])) });
    m.opTo('y', 'Add', [lr, c]);
    m.opTo('shape', 'Shape', ['x']);
    const s = await session(m);
    const r = await s.run({ t: new ort.Tensor('int64', BigInt64Array.from([2n]), []), x: new ort.Tensor('float32', Float32Array.from([1, -1, 3, -4, 0, 0.5]), [2, 3]) });
    expect(Array.from(r.y.data as Float32Array)).toEqual([3, 1, 8, -1.5, 2, 4]);
    expect(Array.from(r.shape.data as BigInt64Array)).toEqual([2n, 3n]);
  });

  it('rejects a duplicate input and data that does not match its dims', () => {
    const m = OnnxModel.create();
    m.addInput('x', 'float32', [1]);
    expect(() => m.addInput('x', 'float32', [1])).toThrow(/already exists/);
    expect(() => f32([1, 2, 3], [2, 2])).toThrow(/4/);
  });

  it('writes weights to an external data file that onnxruntime resolves next to the model', async () => {
    const [K, N] = [64, 32];
    const W = gaussian(K * N, 6), b = gaussian(N, 7), x = gaussian(2 * K, 8);
    const file = join(dir, 'ext', 'model.onnx');
    await linearModel(K, N, W, b).save(file, { externalData: { location: 'weights.pb', sizeThreshold: 0 } });
    const modelBytes = (await stat(file)).size;
    expect(modelBytes).toBeLessThan(1024); // the weights are not inline
    expect((await stat(join(dir, 'ext', 'weights.pb'))).size).toBeGreaterThanOrEqual((K * N + N) * 4);

    const s = await ort.InferenceSession.create(file, opts);
    const { y } = await s.run({ x: new ort.Tensor('float32', x, [2, K]) });
    const ref = matmulAdd(x, W, b, 2, K, N);
    (y.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(ref[i], 4));

    // Reading it back resolves the external tensors lazily.
    const back = await OnnxModel.load(file);
    expect(back.initializerInfo('W')).toEqual({ type: 'float32', dims: [K, N], external: true });
    const w = await back.initializer('W');
    expect(w.type).toBe('float32');
    expect(Array.from(w.data as Float32Array)).toEqual(Array.from(W));
  });

  it('keeps small tensors inline under a size threshold', async () => {
    const file = join(dir, 'thresh', 'model.onnx');
    await linearModel(64, 32, gaussian(64 * 32, 1), gaussian(32, 2)).save(file, { externalData: { location: 'model.onnx_data', sizeThreshold: 1024 } });
    const back = await OnnxModel.load(file);
    expect(back.initializerInfo('W').external).toBe(true);
    expect(back.initializerInfo('b').external).toBe(false);
  });

  it('refuses external locations outside the model folder', async () => {
    const m = linearModel(2, 2, gaussian(4, 1), gaussian(2, 2));
    await expect(m.save(join(dir, 'bad', 'model.onnx'), { externalData: { location: '../escape.bin' } })).rejects.toThrow(/inside/);
  });

  it('reads a model, adds an input and an output, and writes it back (external data round trip)', async () => {
    const [K, N] = [16, 8];
    const W = gaussian(K * N, 11), b = gaussian(N, 12), x = gaussian(K, 13);
    const src = join(dir, 'rt', 'model.onnx');
    await linearModel(K, N, W, b).save(src, { externalData: { location: 'weights.pb', sizeThreshold: 0 } });

    // Surgery: a new input `shift` added to y, and the pre-bias product exposed as a new output.
    const m = await OnnxModel.load(src);
    expect(m.initializerInfo('W').external).toBe(true);
    expect(m.inputs()).toEqual([{ name: 'x', type: 'float32', shape: ['batch', K] }]);
    expect(m.outputs()).toEqual([{ name: 'y', type: 'float32', shape: ['batch', N] }]);
    const add = m.graph.node!.find((n) => n.opType === 'Add')!;
    const matmulOut = m.graph.node!.find((n) => n.opType === 'MatMul')!.output![0];
    add.output = ['y_pre'];
    m.opTo('y', 'Add', ['y_pre', 'shift']);
    m.addInput('shift', 'float32', [N]);
    m.addOutput('xw', 'float32', ['batch', N]);
    m.opTo('xw', 'Identity', [matmulOut]);
    const bb = await m.initializer('b');
    m.setInitializer('b', f32(Float32Array.from(bb.data as Float32Array, (v) => v * 2), [N]));

    // Write it over the file it came from, external data file included.
    await m.save(src, { externalData: { location: 'weights.pb', sizeThreshold: 0 } });
    const again = await OnnxModel.load(src);
    expect(again.inputs().map((i) => i.name)).toEqual(['x', 'shift']);
    expect(again.outputs().map((o) => o.name)).toEqual(['y', 'xw']);
    expect(Array.from((await again.initializer('W')).data as Float32Array)).toEqual(Array.from(W));

    const shift = gaussian(N, 14);
    const s = await ort.InferenceSession.create(src, opts);
    const r = await s.run({ x: new ort.Tensor('float32', x, [1, K]), shift: new ort.Tensor('float32', shift, [N]) });
    const xw = matmulAdd(x, W, new Float32Array(N), 1, K, N);
    (r.xw.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(xw[i], 4));
    (r.y.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(xw[i] + 2 * b[i] + shift[i], 4));

    // And inline: the same model saved without external data runs from bytes alone.
    const inline = join(dir, 'rt-inline', 'model.onnx');
    await again.save(inline);
    const s2 = await ort.InferenceSession.create(await readFile(inline), opts);
    const r2 = await s2.run({ x: new ort.Tensor('float32', x, [1, K]), shift: new ort.Tensor('float32', shift, [N]) });
    expect(Array.from(r2.y.data as Float32Array)).toEqual(Array.from(r.y.data as Float32Array));
  });

  it('reads tensors stored in typed fields (float_data, int64_data) as older exporters write them', async () => {
    const m = OnnxModel.create();
    m.addInput('x', 'float32', [2]);
    m.addOutput('y', 'float32', [2]);
    m.opTo('y', 'Mul', ['x', 'k']);
    m.graph.initializer!.push({ name: 'k', dims: [2], dataType: 1, floatData: [3, -1] });
    m.graph.initializer!.push({ name: 'ids', dims: [2], dataType: 7, int64Data: [5, 6] });
    const file = join(dir, 'typed', 'model.onnx');
    await m.save(file);
    const back = await OnnxModel.load(file);
    expect(Array.from((await back.initializer('k')).data as Float32Array)).toEqual([3, -1]);
    expect(Array.from((await back.initializer('ids')).data as BigInt64Array)).toEqual([5n, 6n]);
    back.removeInitializer('ids');
    const s = await ort.InferenceSession.create(await back.toBytes(), opts);
    const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2]), [2]) });
    expect(Array.from(r.y.data as Float32Array)).toEqual([3, -2]);
  });

  it('writes and reads int64 initializers', async () => {
    const m = OnnxModel.create();
    m.addInput('x', 'float32', [2, 3]);
    m.addOutput('y', 'float32', [3, 2]);
    m.opTo('y', 'Reshape', ['x', m.addInitializer('shape', i64([3, 2], [2]))]);
    const back = OnnxModel.fromBytes(await m.toBytes());
    expect(back.initializerInfo('shape')).toEqual({ type: 'int64', dims: [2], external: false });
    expect(Array.from((await back.initializer('shape')).data as BigInt64Array)).toEqual([3n, 2n]);
  });
});
