/**
 * `npm run bench:cancel [-- --size N] [--steps N] [--after K]`: how long a cancel takes to stop a
 * generation in the engine host (the product's path: a child process, cancelled over its channel).
 * It generates with the embedded `emoji-32` at N×N (larger sizes make each step longer), cancels
 * when step K has been reported, and prints the mean step time and the cancel latency. The host
 * checks for a cancel between model calls; one UNet call cannot be interrupted (onnxruntime-node
 * 1.30's `RunOptions.terminate` is not read by the Node binding, and `session.run` holds the host's
 * JS thread, so the cancel message is only read once the call returns): the latency is up to one
 * model call. Data goes to a temporary folder, never the user's. Numbers, not test assertions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { EngineClient } from '../main/host/client.js';

const { values } = parseArgs({ options: { size: { type: 'string' }, steps: { type: 'string' }, after: { type: 'string' } } });
const size = Number(values.size ?? 96);
const steps = Number(values.steps ?? 50);
const after = Number(values.after ?? 3);

const home = await mkdtemp(path.join(tmpdir(), 'driftline-bench-cancel-'));
const engine = new EngineClient({ env: { DRIFTLINE_HOME: home } });
try {
  const stepAt: number[] = [];
  let cancelledAt = 0;
  let cancelledAfterStep = 0;
  const jobId = `bench-cancel-${Date.now()}`;
  engine.on('onProgress', (p) => {
    if (p.jobId !== jobId) return;
    stepAt[p.step] = performance.now();
    if (p.step >= after && !cancelledAt) {
      cancelledAt = performance.now();
      cancelledAfterStep = p.step;
      void engine.call('cancel', { jobId });
    }
  });
  let outcome = 'completed';
  try {
    await engine.call('generate', { jobId, model: 'emoji-32', prompt: 'grinning face', steps, cfgScale: 3, seed: 1, width: size, height: size, keep: false });
  } catch (e) {
    outcome = e instanceof Error ? e.message : String(e);
  }
  const stoppedAt = performance.now();
  const times = stepAt.filter((t): t is number => t !== undefined);
  const perStep = times.length > 1 ? (times[times.length - 1] - times[0]) / (times.length - 1) : NaN;
  console.log(`emoji-32 ${size}x${size}, ${steps} steps: ${perStep.toFixed(0)} ms per step; cancelled after step ${cancelledAfterStep}, stopped ${(stoppedAt - cancelledAt).toFixed(0)} ms later (${outcome})`);
} finally {
  await engine.close();
  await rm(home, { recursive: true, force: true });
}
