/**
 * `driftline upscale` and `driftline bc-search`: super-resolution from the command line (one image
 * or a folder of them, as A1111's Extras tab batches), and the search for a boundary condition
 * (Ma et al. 2024) that later upscales with the same pack, sampler and step count start from.
 */
import { parseArgs } from 'node:util';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BC_METRICS, BC_MODES, type BcMode, type BcMetric, type BoundaryRecord } from '../api/contract.js';
import type { EngineClient } from '../host/client.js';
import { meanStd } from '../engine/sr/stats.js';
import { listImageFiles } from '../engine/image/files.js';
import { num, UsageError, withJob, writeAtomic } from './args.js';

export const UPSCALE_USAGE = `  driftline upscale --model NAME|PATH --image IN [--steps N] [--sampler NAME|pack] [--bc auto|random]
                    [--seed S] [--noise-level L] [--overlap PX] --out OUT
     IN may be a folder: then OUT is a folder and each image is written there as <name>.png.
     --bc auto starts from the searched boundary condition for this model, sampler and steps when
     one is stored (driftline bc-search), else from fresh noise; --bc random always uses --seed.
  driftline bc-search --model NAME|PATH [--calibration DIR] [--candidates K] [--steps N]
                      [--metric ssim|psnr|gmsd] [--sampler NAME|pack] [--seed S] [--limit N]
     DIR: high-resolution images (their low-resolution inputs are made by the model's own
     degradation); default: the model's own calibration set.`;

export async function upscale(client: EngineClient, argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return void console.log(`usage:\n${UPSCALE_USAGE}`);
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, image: { type: 'string' }, steps: { type: 'string' }, sampler: { type: 'string' }, bc: { type: 'string' },
      seed: { type: 'string' }, 'noise-level': { type: 'string' }, overlap: { type: 'string' }, out: { type: 'string' },
    },
    strict: true,
  });
  for (const flag of ['model', 'image', 'out'] as const) if (!values[flag]) throw new UsageError(`--${flag} is required`);
  const bc = (values.bc ?? 'auto') as BcMode;
  if (!BC_MODES.includes(bc)) throw new UsageError(`--bc must be one of ${BC_MODES.join(', ')}, got "${values.bc}"`);
  const input = path.resolve(values.image!);
  const folder = (await stat(input).catch(() => undefined))?.isDirectory() ?? false;
  let jobs: { src: string; out: string }[];
  if (folder) {
    const names = await listImageFiles(input);
    if (!names.length) throw new UsageError(`${values.image} holds no images (PNG, JPEG, WebP …)`);
    await mkdir(values.out!, { recursive: true });
    jobs = names.map((n) => ({ src: path.join(input, n), out: path.join(values.out!, n.replace(/\.[^.]+$/, '.png')) }));
  } else {
    if (!values.out!.toLowerCase().endsWith('.png')) throw new UsageError('--out must name a .png file (or give a folder as --image)');
    jobs = [{ src: input, out: values.out! }];
  }
  const common = {
    model: values.model!, sampler: values.sampler ?? 'pack', bc, steps: num(values.steps, 'steps'), seed: num(values.seed, 'seed', 0),
    noiseLevel: num(values['noise-level'], 'noise-level'), overlap: num(values.overlap, 'overlap'),
    keep: false, // the CLI writes its own --out files; the studio's gallery is not its to fill
  };
  let said = false;
  for (const [i, job] of jobs.entries()) {
    const jobId = `cli-upscale-${process.pid}-${Date.now()}-${i}`;
    if (jobs.length > 1) console.error(`${i + 1}/${jobs.length} ${path.basename(job.src)}`);
    const image = await readFile(job.src);
    const res = await withJob(client, jobId, async () => client.call('upscale', { jobId, image, ...common }));
    await writeAtomic(job.out, res.image.png);
    if (!said) {
      const b = res.boundary;
      console.error(b.source === 'searched'
        ? `boundary condition: searched (${b.metric}, ${b.searchedOn}, ${b.calibration})`
        : `boundary condition: random noise from seed ${common.seed}${bc === 'auto' ? ' (no search stored for this model, sampler and steps; run driftline bc-search)' : ''}`);
      said = true;
    }
    const tiles = res.tiles.count > 1 ? `, ${res.tiles.count} tiles of ${res.tiles.size.join('x')} (overlap ${res.tiles.overlap})` : '';
    console.error(`${res.width}x${res.height}${tiles}, ${res.timings.evaluations} model evaluations, ${(res.timings.totalMs / 1000).toFixed(1)} s`);
    console.log(path.resolve(job.out));
  }
}

export async function bcSearch(client: EngineClient, argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return void console.log(`usage:\n${UPSCALE_USAGE}`);
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, calibration: { type: 'string' }, candidates: { type: 'string' }, steps: { type: 'string' },
      metric: { type: 'string' }, sampler: { type: 'string' }, seed: { type: 'string' }, limit: { type: 'string' },
    },
    strict: true,
  });
  if (!values.model) throw new UsageError('--model is required');
  const metric = (values.metric ?? 'ssim') as BcMetric;
  if (!BC_METRICS.includes(metric)) throw new UsageError(`--metric must be one of ${BC_METRICS.join(', ')}, got "${values.metric}"`);
  const jobId = `cli-bc-${process.pid}-${Date.now()}`;
  const res = await withJob(client, jobId, async () => client.call('bcSearch', {
    jobId, model: values.model!, calibration: values.calibration ? path.resolve(values.calibration) : undefined,
    candidates: num(values.candidates, 'candidates', 32), steps: num(values.steps, 'steps'), metric,
    sampler: values.sampler ?? 'pack', seed: num(values.seed, 'seed', 0), limit: num(values.limit, 'limit'),
  }));
  console.error(describeSearch(res.record));
  console.log(res.path);
}

/** A search's outcome in a few lines: the chosen candidate against the spread of random noise. */
export function describeSearch(r: BoundaryRecord): string {
  const scores = r.candidates.map((c) => c.scores[r.metric]);
  const { mean, std: sd } = meanStd(scores); // a search has at least 2 candidates
  const best = r.candidates[r.best].scores;
  const fmt = (m: BcMetric, v: number) => (m === 'psnr' ? `${v.toFixed(3)} dB` : v.toFixed(5));
  return [
    `${r.pack.name}, ${r.sampler} ${r.steps} steps, ${r.tile.width}x${r.tile.height} tile: ${r.candidates.length} candidates on ${r.calibration.count} images (${r.calibration.source}), ${r.evaluations} image-evaluations, ${r.seconds.toFixed(1)} s`,
    `${r.metric}: best candidate ${r.best} ${fmt(r.metric, best[r.metric])}; random noise ${fmt(r.metric, mean)} ± ${fmt(r.metric, sd)} (mean ± sd over candidates)`,
    `all metrics of the chosen one: ${BC_METRICS.map((m) => `${m} ${fmt(m, best[m])}`).join(', ')}`,
  ].join('\n');
}
