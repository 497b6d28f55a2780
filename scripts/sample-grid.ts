/**
 * `node out/scripts/sample-grid.js --pack DIR --jobs JOBS.json --out OUT.f32 [--steps N] [--cfg X] [--threads N]
 *   [--sampler NAME [--grid G]] [--time-shift W,C]`
 *
 * Samples a list of prompts through the engine's own generation pipeline — `openPack` +
 * `generate` with the pack's scheduler config (`planFor(info)`, i.e. the CLI's `--sampler pack`),
 * exactly what `driftline generate --model emoji-32 --prompt … --steps N --cfg X --seed S --batch B`
 * runs inside the engine host, minus the IPC and the PNG encoding — in one process, so the pack is
 * loaded once. Used by models/train/eval_t2i.py (`--engine`).
 *
 * `--sampler` runs a catalogue sampler on the pack's schedule (`--grid`: its level family) instead
 * of the pack's own plan; `--time-shift W,C` runs time-shifted DDIM (Li et al. 2024, window W and
 * cutoff C in training timesteps, `samplers/time-shift.ts`) on the pack's grid. Used by
 * models/train/eval_samplers.py (Fréchet distances of sampler settings on held-out images).
 *
 * JOBS.json: [{"prompt": "grinning face twitter", "seed": 1000, "batch": 2}, …]; the seed of batch
 * element b is seed + b (the engine's convention).
 * OUT.f32: raw little-endian float32, all jobs' images concatenated, each [batch, 3, H, W] in [−1, 1];
 * OUT.f32.json: {width, height, steps, cfg, jobs: [{prompt, seeds, offset}], providers, seconds}.
 */
import { parseArgs } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { openPack } from '../main/engine/packs/pack.js';
import { generate } from '../main/engine/pipelines/generate.js';
import { planFor } from '../main/engine/pipelines/plan.js';
import type { PlanFactory } from '../main/engine/pipelines/generate.js';
import { planForSampler, trainingTables, validateSchedulerConfig, type PlanGrid } from '../main/engine/scheduler-config/index.js';
import { sampleDdimTimeShift } from '../main/engine/samplers/time-shift.js';

interface Job {
  prompt: string;
  seed: number;
  batch?: number;
}

const { values } = parseArgs({
  options: {
    pack: { type: 'string' }, jobs: { type: 'string' }, out: { type: 'string' },
    steps: { type: 'string' }, cfg: { type: 'string' }, threads: { type: 'string' }, provider: { type: 'string' },
    sampler: { type: 'string' }, grid: { type: 'string' }, 'time-shift': { type: 'string' },
  },
  strict: true,
});
if (!values.pack || !values.jobs || !values.out) {
  console.error('usage: node out/scripts/sample-grid.js --pack DIR --jobs JOBS.json --out OUT.f32 [--steps 30] [--cfg 3] [--threads 1]');
  process.exit(2);
}
const steps = Number(values.steps ?? 30);
const cfg = Number(values.cfg ?? 3);
const jobs = JSON.parse(await readFile(values.jobs, 'utf8')) as Job[];
const pack = await openPack(values.pack, { threads: Number(values.threads ?? 1), provider: values.provider ?? 'cpu' });
const size = pack.info.defaultSize;
const grid = values.grid as PlanGrid | undefined;
let plan: PlanFactory = planFor(pack.info, values.sampler, grid);
let samplerLabel = values.sampler ?? 'pack';
if (values['time-shift']) {
  const [window, cutoff] = values['time-shift'].split(',').map(Number);
  const trainSigmas = trainingTables(validateSchedulerConfig(pack.info.schedulerConfig)).sigmas;
  const timeShift = { trainSigmas, window, cutoff };
  plan = (n: number) => planForSampler(pack.info.schedulerConfig, 'ddim', n, {
    grid, run: (model, x, sigmas, opts) => sampleDdimTimeShift(model, x, sigmas, { ...opts, timeShift }),
  });
  samplerLabel = `ddim_ts w${window} c${cutoff}`;
}
const t0 = performance.now();
const chunks: Float32Array[] = [];
const manifest: { prompt: string; seeds: number[]; offset: number }[] = [];
let offset = 0;
try {
  for (const [k, job] of jobs.entries()) {
    const res = await generate(pack, { prompt: job.prompt, width: size, height: size, steps, cfgScale: cfg, seed: job.seed, batch: job.batch ?? 1 }, plan);
    chunks.push(res.images.data);
    manifest.push({ prompt: job.prompt, seeds: res.seeds, offset });
    offset += res.images.shape[0];
    process.stderr.write(`\r${k + 1}/${jobs.length} jobs`);
  }
} finally {
  await pack.release();
}
process.stderr.write('\n');
const total = chunks.reduce((n, c) => n + c.length, 0);
const all = new Float32Array(total);
let at = 0;
for (const c of chunks) { all.set(c, at); at += c.length; }
await writeFile(values.out, new Uint8Array(all.buffer, all.byteOffset, all.byteLength));
const seconds = (performance.now() - t0) / 1000;
await writeFile(`${values.out}.json`, JSON.stringify({
  width: size, height: size, steps, cfg, sampler: samplerLabel, grid: grid ?? 'default', count: offset, jobs: manifest,
  providers: pack.providers.map((p) => `${p.component}: ${p.provider}`), seconds,
}, null, 1));
console.log(`${offset} images in ${seconds.toFixed(1)} s → ${values.out}`);
