/**
 * `npm run bench:vjp [-- --runs 5] [--sizes 32,64] [--batches 1,2] [--threads 1]`: the VJP model of
 * emoji-32's UNet (docs/vjp.md) against one forward pass.
 *   1. generation: seconds to load the forward model, differentiate it (out_sample w.r.t. sample)
 *      and encode the result; nodes before and after.
 *   2. per size and batch: seconds to open each session, seconds per forward pass and per VJP
 *      (median of --runs after a warm-up),
 *      and peak memory — each measured in a child process of its own, as the peak resident set
 *      above the resident set once the session is created (activations and the kernels' scratch,
 *      not the weights or the runtime itself).
 * Prints a markdown table. Timings are benchmark figures, never test assertions.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { OnnxModel } from '../main/engine/onnx/builder.js';
import { vjpModel } from '../main/engine/onnx/vjp/index.js';
import { appRoot } from '../main/app-root.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' }, sizes: { type: 'string', default: '32,64' }, batches: { type: 'string', default: '1,2' },
    threads: { type: 'string', default: '1' }, child: { type: 'string' }, model: { type: 'string' }, size: { type: 'string' }, batch: { type: 'string' },
  },
});
const runs = Number(values.runs);
const threads = Number(values.threads);
const UNET = path.join(appRoot(), 'models', 'packs', 'emoji-32', 'unet', 'model.onnx');

function feeds(size: number, batch: number, withCotangent: boolean): Record<string, ort.Tensor> {
  const n = batch * 3 * size * size;
  const f: Record<string, ort.Tensor> = {
    sample: new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)), [batch, 3, size, size]),
    timestep: new ort.Tensor('float32', new Float32Array(batch).fill(500), [batch]),
    encoder_hidden_states: new ort.Tensor('float32', Float32Array.from({ length: batch * 8 * 128 }, (_, i) => Math.cos(i * 0.11)), [batch, 8, 128]),
  };
  if (withCotangent) f['grad.out_sample'] = new ort.Tensor('float32', new Float32Array(n).fill(1 / n), [batch, 3, size, size]);
  return f;
}

/** In a child: create the session, run it, print seconds per run and peak memory above the session's own. */
async function child(model: string, size: number, batch: number, vjp: boolean): Promise<void> {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3, intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const openSeconds = (performance.now() - t0) / 1000;
  const base = process.memoryUsage().rss;
  const f = feeds(size, batch, vjp);
  await session.run(f);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await session.run(f);
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ seconds: times[Math.floor(times.length / 2)], peakBytes: Math.max(0, peak - base), openSeconds }));
}

interface Measured { seconds: number; peakBytes: number; openSeconds: number }

function measure(model: string, size: number, batch: number, vjp: boolean): Measured {
  const args = [fileURLToPath(import.meta.url), '--child', vjp ? 'vjp' : 'forward', '--model', model, '--size', String(size), '--batch', String(batch), '--runs', String(runs), '--threads', String(threads)];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`measurement failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Measured;
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1);

async function main(): Promise<void> {
  if (values.child) { await child(values.model!, Number(values.size), Number(values.batch), values.child === 'vjp'); return; }
  const t0 = performance.now();
  const model = await OnnxModel.load(UNET);
  const forwardNodes = model.graph.node?.length ?? 0;
  const t1 = performance.now();
  const info = await vjpModel(model, { wrt: ['sample'], output: 'out_sample' });
  const t2 = performance.now();
  const bytes = await model.toBytes();
  const t3 = performance.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'driftline-bench-vjp-'));
  try {
    const vjpFile = path.join(dir, 'vjp.onnx');
    writeFileSync(vjpFile, bytes);
    console.log(`## VJP of emoji-32's UNet (out_sample w.r.t. sample), ${threads} intra-op thread(s), median of ${runs} runs\n`);
    console.log(`generation: load ${((t1 - t0) / 1000).toFixed(2)} s, differentiate ${((t2 - t1) / 1000).toFixed(2)} s, encode ${((t3 - t2) / 1000).toFixed(2)} s; `
      + `${forwardNodes} forward nodes, ${info.differentiatedNodes} differentiated, ${info.backwardNodes} backward nodes added; ${mib(bytes.byteLength)} MiB\n`);
    console.log('| size | batch | forward s | VJP s | VJP / forward | forward peak MiB | VJP peak MiB | peak ratio | session open s (forward, VJP) |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const size of values.sizes!.split(',').map(Number)) {
      for (const batch of values.batches!.split(',').map(Number)) {
        const fwd = measure(UNET, size, batch, false);
        const bwd = measure(vjpFile, size, batch, true);
        console.log(`| ${size}² | ${batch} | ${fwd.seconds.toFixed(4)} | ${bwd.seconds.toFixed(4)} | ${(bwd.seconds / fwd.seconds).toFixed(2)} | ${mib(fwd.peakBytes)} | ${mib(bwd.peakBytes)} | ${(bwd.peakBytes / Math.max(1, fwd.peakBytes)).toFixed(2)} | ${fwd.openSeconds.toFixed(2)}, ${bwd.openSeconds.toFixed(2)} |`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
