import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attr, OnnxModel, DATA_TYPE, type Dim } from '../../main/engine/onnx/builder.js';
import {
  createSessionWithFallback,
  defaultProviderOrder,
  resolveProviderOrder,
  sessionOptions,
  supportedBackends,
} from '../../main/engine/runtime/providers.js';
import { adaptShape, allocationFailure, ModelSession } from '../../main/engine/runtime/session.js';
import { fromHalf, toHalf } from '../../main/engine/fp16.js';

let dir: string;

/** A model that casts each input to float32 and returns it (and returns the float16 input as is). */
async function castModel(file: string, opts: { sample: 'float32' | 'float16'; timestep: 'float32' | 'float16' | 'int64'; tShape: Dim[]; ids: 'int32' | 'int64' }) {
  const m = OnnxModel.create();
  m.addInput('sample', opts.sample, ['batch', 2]);
  m.addInput('timestep', opts.timestep, opts.tShape);
  m.addInput('input_ids', opts.ids, ['batch', 3]);
  m.opTo('sample_f32', 'Cast', ['sample'], { to: attr.int(DATA_TYPE.float32) });
  m.opTo('timestep_f32', 'Cast', ['timestep'], { to: attr.int(DATA_TYPE.float32) });
  m.opTo('ids_f32', 'Cast', ['input_ids'], { to: attr.int(DATA_TYPE.float32) });
  m.opTo('sample_same', 'Identity', ['sample']);
  m.addOutput('sample_f32', 'float32', ['batch', 2]);
  m.addOutput('timestep_f32', 'float32', opts.tShape);
  m.addOutput('ids_f32', 'float32', ['batch', 3]);
  m.addOutput('sample_same', opts.sample, ['batch', 2]);
  await m.save(file);
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftline-rt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('execution-provider order', () => {
  it('per platform, fastest first, CPU last', () => {
    expect(defaultProviderOrder('linux')).toEqual(['tensorrt', 'cuda', 'webgpu', 'cpu']);
    expect(defaultProviderOrder('win32')).toEqual(['dml', 'webgpu', 'cpu']);
    expect(defaultProviderOrder('darwin')).toEqual(['coreml', 'webgpu', 'cpu']);
    expect(defaultProviderOrder('freebsd')).toEqual(['cpu']);
  });

  it('an override (option over DRIFTLINE_EP) replaces the order; CPU stays as the last resort', () => {
    expect(resolveProviderOrder({ env: { DRIFTLINE_EP: 'cpu' }, platform: 'linux' })).toEqual({ order: ['cpu'], source: 'DRIFTLINE_EP' });
    expect(resolveProviderOrder({ env: { DRIFTLINE_EP: 'cuda' }, platform: 'linux' }).order).toEqual(['cuda', 'cpu']);
    expect(resolveProviderOrder({ provider: 'DmlExecutionProvider', env: { DRIFTLINE_EP: 'cpu' } })).toEqual({ order: ['dml', 'cpu'], source: 'option' });
    expect(resolveProviderOrder({ provider: 'directml,webgpu' }).order).toEqual(['dml', 'webgpu', 'cpu']);
    expect(resolveProviderOrder({ env: { DRIFTLINE_EP: 'auto' }, platform: 'darwin' })).toEqual({ order: ['coreml', 'webgpu', 'cpu'], source: 'default' });
    expect(resolveProviderOrder({ env: {}, platform: 'win32' }).order).toEqual(['dml', 'webgpu', 'cpu']);
    expect(() => resolveProviderOrder({ env: { DRIFTLINE_EP: 'cdua' } })).toThrow(/unknown execution provider "cdua".*DRIFTLINE_EP.*tensorrt, cuda, dml, coreml, webgpu, cpu/);
  });

  it('session options: optimisation "all", threads when asked, no spinning and no memory pattern on CPU only', () => {
    const cpu = sessionOptions('cpu', { threads: 2 });
    expect(cpu.graphOptimizationLevel).toBe('all');
    expect(cpu.intraOpNumThreads).toBe(2);
    expect(cpu.executionProviders).toEqual(['cpu']);
    expect(cpu.extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
    expect(cpu.enableMemPattern).toBe(false);
    const cuda = sessionOptions('cuda');
    expect(cuda.extra).toBeUndefined();
    expect(cuda.enableMemPattern).toBeUndefined();
    expect(cuda.intraOpNumThreads).toBeUndefined();
  });

  it('falls back past providers that are missing or fail, recording why', async () => {
    const tried: string[] = [];
    const created = await createSessionWithFallback('m.onnx', ['tensorrt', 'dml', 'cuda', 'cpu'], {}, {
      backends: () => [
        { name: 'cpu', bundled: true },
        { name: 'cuda', bundled: false },
        { name: 'tensorrt', bundled: false },
      ],
      libraryInstalled: () => true,
      create: async (_m, o) => {
        const p = String(o.executionProviders?.[0]);
        tried.push(p);
        if (p !== 'cpu') throw new Error(`Failed to load libonnxruntime_providers_${p}.so\nmore detail`);
        return { fake: true } as never;
      },
    });
    expect(tried).toEqual(['tensorrt', 'cuda', 'cpu']); // dml not compiled in: never tried
    expect(created.provider).toBe('cpu');
    expect(created.skipped.map((s) => s.provider)).toEqual(['tensorrt', 'dml', 'cuda']);
    expect(created.skipped[0].reason).toMatch(/^failed to create: Failed to load libonnxruntime_providers_tensorrt\.so \(install the CUDA 12 binaries/);
    expect(created.skipped[1].reason).toBe('not in this build of onnxruntime-node (it has cpu, cuda, tensorrt)');
    await expect(
      createSessionWithFallback('m.onnx', ['cuda'], {}, { backends: () => [{ name: 'cuda', bundled: false }], libraryInstalled: () => true, create: async () => Promise.reject(new Error('no GPU')) }),
    ).rejects.toThrow(/no execution provider could load the model \(cuda: failed to create: no GPU/);
  });

  it('skips an optional GPU provider whose libraries are not installed, without trying it', async () => {
    const tried: string[] = [];
    const created = await createSessionWithFallback('m.onnx', ['cuda', 'cpu'], {}, {
      backends: () => [{ name: 'cpu', bundled: true }, { name: 'cuda', bundled: false }],
      libraryInstalled: (p) => p !== 'cuda',
      create: async (_m, o) => (tried.push(String(o.executionProviders?.[0])), { fake: true } as never),
    });
    expect(tried).toEqual(['cpu']);
    expect(created.skipped).toEqual([{ provider: 'cuda', reason: expect.stringMatching(/^its binaries are not installed \(install the CUDA 12 binaries: ONNXRUNTIME_NODE_INSTALL=cuda12/) }]);
  });

  it('on this machine: the report says which provider ran and why each faster one was skipped', async () => {
    const file = await castModel(join(dir, 'report.onnx'), { sample: 'float32', timestep: 'float32', tShape: ['batch'], ids: 'int32' });
    const s = await ModelSession.create(file, { label: 'probe', env: {} });
    const platformOrder = defaultProviderOrder();
    const built = supportedBackends().map((b) => b.name);
    expect(built).toContain('cpu');
    // Every provider before the one used is accounted for, with a reason of one of the two kinds.
    const before = platformOrder.slice(0, platformOrder.indexOf(s.provider as (typeof platformOrder)[number]));
    expect(s.skipped.map((k) => k.provider)).toEqual(before);
    for (const k of s.skipped) {
      expect(k.reason).toMatch(built.includes(k.provider) ? /^(failed to create: |its binaries are not installed)/ : /^not in this build of onnxruntime-node/);
    }
    // Our build machines have no GPU: CPU it is, and CUDA/TensorRT (Linux) are reported with their reason.
    if (process.env.DRIFTLINE_EXPECT_GPU === undefined) {
      expect(s.provider).toBe('cpu');
      if (process.platform === 'linux') expect(s.skipped.map((k) => k.provider)).toEqual(['tensorrt', 'cuda', 'webgpu']);
    }
    console.info(`[provider report] ${s.provider}; skipped: ${s.skipped.map((k) => `${k.provider} (${k.reason})`).join('; ') || 'none'}`);
    await s.release();
  });

  it('DRIFTLINE_EP=cpu goes straight to the CPU', async () => {
    const file = await castModel(join(dir, 'cpu.onnx'), { sample: 'float32', timestep: 'float32', tShape: ['batch'], ids: 'int32' });
    const s = await ModelSession.create(file, { env: { DRIFTLINE_EP: 'cpu' }, threads: 1 });
    expect(s.provider).toBe('cpu');
    expect(s.skipped).toEqual([]);
    await s.release();
  });
});

describe('ModelSession dtype and shape conversion', () => {
  const cases = [
    { sample: 'float32', timestep: 'float32', tShape: ['batch'], ids: 'int32' },
    { sample: 'float16', timestep: 'float16', tShape: ['batch'], ids: 'int64' },
    { sample: 'float32', timestep: 'int64', tShape: [], ids: 'int64' },
    { sample: 'float16', timestep: 'int64', tShape: ['batch'], ids: 'int32' },
    { sample: 'float32', timestep: 'float32', tShape: [1], ids: 'int32' },
    { sample: 'float32', timestep: 'float16', tShape: [], ids: 'int32' },
  ] as const;

  for (const c of cases) {
    it(`sample ${c.sample}, timestep ${c.timestep} [${c.tShape.join(', ')}], input_ids ${c.ids}`, async () => {
      const file = await castModel(join(dir, `${c.sample}-${c.timestep}-${c.tShape.length}${c.tShape[0] ?? ''}-${c.ids}.onnx`), {
        ...c,
        tShape: [...c.tShape],
      });
      const s = await ModelSession.create(file, { provider: 'cpu' });
      expect(s.input('timestep')).toEqual({ name: 'timestep', type: c.timestep, shape: c.tShape });
      const sample = new Float32Array([0.1, -2.5, 1 / 3, 65519]);
      // The caller hands a scalar time; the session shapes it as the model declares.
      const t = c.tShape.length === 1 && c.tShape[0] === 'batch' ? { data: new Float32Array([999, 999]), shape: [2] } : { data: new Float32Array([999]), shape: [] };
      const out = await s.run({
        sample: { data: sample, shape: [2, 2] },
        timestep: t,
        input_ids: { data: new Float32Array([49406, 320, 49407, 49406, 49407, 0]), shape: [2, 3] },
      });
      // float16 inputs are rounded to half (0.1 → 0.0999755859375, 65519 → 65504) and read back exactly.
      const want = c.sample === 'float16' ? Array.from(sample, (x) => fromHalf(toHalf(x))) : Array.from(sample);
      expect(Array.from(out.sample_f32.data)).toEqual(want);
      expect(out.sample_same.data).toBeInstanceOf(Float32Array); // float16 outputs come back as float32
      expect(Array.from(out.sample_same.data)).toEqual(want);
      expect(out.sample_f32.shape).toEqual([2, 2]);
      expect(Array.from(out.timestep_f32.data).every((v) => v === 999)).toBe(true);
      expect(out.timestep_f32.shape).toEqual(c.tShape.length === 0 ? [] : c.tShape[0] === 'batch' ? [2] : [1]);
      expect(Array.from(out.ids_f32.data)).toEqual([49406, 320, 49407, 49406, 49407, 0]);
      await s.release();
    });
  }

  it('a scalar goes to a [batch] input as [1], and one value to a fixed [n] input is repeated', () => {
    expect(adaptShape({ name: 't', type: 'float32', shape: ['batch'] }, { data: [5], shape: [] }, 'unet')).toEqual({ shape: [1], repeat: 1 });
    expect(adaptShape({ name: 't', type: 'float32', shape: [2] }, { data: [5], shape: [] }, 'unet')).toEqual({ shape: [2], repeat: 2 });
    expect(adaptShape({ name: 't', type: 'float32', shape: [2] }, { data: [5], shape: [1] }, 'unet')).toEqual({ shape: [2], repeat: 2 });
    expect(adaptShape({ name: 't', type: 'int64', shape: [] }, { data: [5], shape: [1] }, 'unet')).toEqual({ shape: [], repeat: 1 });
  });

  it('int64 timesteps are rounded to the nearest integer', async () => {
    const file = await castModel(join(dir, 'round.onnx'), { sample: 'float32', timestep: 'int64', tShape: ['batch'], ids: 'int64' });
    const s = await ModelSession.create(file, { provider: 'cpu' });
    const out = await s.run({
      sample: { data: new Float32Array(2), shape: [1, 2] },
      timestep: { data: new Float32Array([998.6]), shape: [1] },
      input_ids: { data: new Float32Array(3), shape: [1, 3] },
    });
    expect(Array.from(out.timestep_f32.data)).toEqual([999]);
    await s.release();
  });

  it('clear errors for wrong names, missing inputs and wrong shapes', async () => {
    const file = await castModel(join(dir, 'errors.onnx'), { sample: 'float16', timestep: 'float32', tShape: ['batch'], ids: 'int32' });
    const s = await ModelSession.create(file, { provider: 'cpu', label: 'unet' });
    const ok = {
      sample: { data: new Float32Array(2), shape: [1, 2] },
      timestep: { data: new Float32Array([1]), shape: [1] },
      input_ids: { data: new Float32Array(3), shape: [1, 3] },
    };
    await expect(s.run({ ...ok, timesteps: ok.timestep })).rejects.toThrow('unet has no input "timesteps" (its inputs: sample, timestep, input_ids)');
    const { input_ids: _, ...noIds } = ok;
    await expect(s.run(noIds)).rejects.toThrow('unet needs input "input_ids" [batch, 3] (int32); its inputs: sample, timestep, input_ids');
    await expect(s.run({ ...ok, sample: { data: new Float32Array(3), shape: [1, 3] } })).rejects.toThrow(
      'unet input "sample" expects shape [batch, 2] (float16), got [1, 3]',
    );
    await expect(s.run({ ...ok, sample: { data: new Float32Array(3), shape: [1, 2] } })).rejects.toThrow('unet input "sample": shape [1, 2] needs 2 values, got 3');
    await expect(s.run(ok, ['nope'])).rejects.toThrow('unet has no output "nope" (its outputs: sample_f32, timestep_f32, ids_f32, sample_same)');
    await s.release();
    await expect(s.run(ok)).rejects.toThrow('unet: the session was released');
  });
});

describe('ONNX Runtime allocation failures', () => {
  // Captured from emoji-32 at 192² under a 2.9 GB address-space limit (ulimit -v).
  const raw = "Non-zero status code returned while running Softmax node. Name:'/down_blocks.1/attentions.0/transformer_blocks.0/attn1/Softmax' Status Message: /onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:360 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*) Failed to allocate memory for requested buffer of size 1358954496";

  it('become OUT_OF_MEMORY in words, the raw text kept for logs only', () => {
    const e = allocationFailure('unet', 'cpu', 'sample [2, 3, 192, 192]', raw)!;
    expect(e.code).toBe('OUT_OF_MEMORY');
    expect(e.message).toBe('unet ran out of memory with sample [2, 3, 192, 192]: it asked for a further 1.3 GiB buffer, which this machine could not give; use a smaller size or batch, or close other programs');
    expect(e.message).not.toMatch(/bfc_arena|onnxruntime/);
    expect(e.requestedBytes).toBe(1358954496);
    expect(e.detail).toBe(raw);
    expect(allocationFailure('unet', 'cuda', 's', 'CUDA failure 2: out of memory')!.message).toMatch(/asked for more memory, which the cuda device could not give/);
    expect(allocationFailure('unet', 'cpu', 's', 'Got invalid dimensions for input: sample')).toBeUndefined();
  });
});
