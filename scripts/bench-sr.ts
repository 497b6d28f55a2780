/**
 * `npm run bench:sr [-- --pack emoji-sr-x4] [--steps 5,10] [--candidates 32] [--random 32]
 *   [--more 2,4] [--more-random 8] [--metric ssim] [--images 96] [--calibration N]`:
 * boundary-condition search (Ma et al. 2024) on an embedded SR pack, validated on held-out emoji
 * the search never saw (`test/fixtures/emoji-holdout-eval.png`, disjoint by base emoji from the
 * pack's calibration set). For each step count N:
 *   1. search: K candidates × the calibration set × N steps, with its cost and seconds;
 *   2. searched x̃_T against the mean of R random x_T (streams of another seed) at N steps:
 *      per-image paired gain, 95 % bootstrap CI over images, every metric;
 *   3. the paper's headline: searched x̃_T at N steps against random x_T at m·N steps.
 * Prints a markdown table. Timings are benchmark figures, never test assertions.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openPack } from '../main/engine/packs/pack.js';
import { planFor } from '../main/engine/pipelines/plan.js';
import { loadCalibration } from '../main/engine/sr/calibration.js';
import { scoreNoise, searchBoundary } from '../main/engine/sr/search.js';
import { compare, randomBaseline, type Comparison } from '../main/engine/sr/evaluate.js';
import { trainedTile } from '../main/engine/pipelines/upscale.js';
import type { MetricName } from '../main/engine/sr/metrics.js';
import { meanStd } from '../main/engine/sr/stats.js';
import { appRoot } from '../main/app-root.js';
import { heldOutPairs } from '../test/fixtures/sr-sets.js';

const { values } = parseArgs({
  options: {
    pack: { type: 'string', default: 'emoji-sr-x4' }, steps: { type: 'string', default: '5,10' }, candidates: { type: 'string', default: '32' },
    random: { type: 'string', default: '32' }, more: { type: 'string', default: '2,4' }, 'more-random': { type: 'string', default: '8' },
    metric: { type: 'string', default: 'ssim' }, images: { type: 'string', default: '96' }, calibration: { type: 'string' },
  },
});
const list = (s: string) => s.split(',').filter(Boolean).map(Number);
const metric = values.metric as MetricName;
const K = Number(values.candidates), R = Number(values.random), RM = Number(values['more-random']);

const dir = path.join(appRoot(), 'models', 'packs', values.pack!);
const pack = await openPack(dir);
const f = pack.info.upscaleFactor;
const cal = await loadCalibration(path.join(dir, 'calibration'), trainedTile(pack.info), f, values.calibration ? Number(values.calibration) : undefined);
const held = await heldOutPairs(f, Number(values.images));
const plan = planFor(pack.info);
const fmt = (m: MetricName, v: number, signed = false) => `${signed && v >= 0 ? '+' : ''}${m === 'psnr' ? v.toFixed(3) : v.toFixed(4)}`;
const row = (c: Comparison) => `${fmt(c.metric, c.a)} vs ${fmt(c.metric, c.b)}: ${fmt(c.metric, c.gain, true)} [${fmt(c.metric, c.lo, true)}, ${fmt(c.metric, c.hi, true)}]`;

console.log(`# ${values.pack}: ${f}× (${trainedTile(pack.info).width / f} → ${trainedTile(pack.info).width} px), pack sampler (DDIM, η = 0), search metric ${metric}`);
console.log(`calibration: ${cal.pairs.length} images of the pack's set; held-out evaluation: ${held.length} emoji never trained on and never calibrated on`);
console.log(`gain = searched − random, signed so positive favours the searched x_T (GMSD: lower is better); [95 % bootstrap CI over images]\n`);
console.log('| N | search cost (K × images × N = NFE) | search s | vs | PSNR (dB) | SSIM | GMSD |');
console.log('|---|---|---|---|---|---|---|');
for (const N of list(values.steps!)) {
  const t0 = performance.now();
  const s = await searchBoundary(pack, { pairs: cal.pairs, candidates: K, steps: N, metric, seed: 0 }, plan);
  const secs = (performance.now() - t0) / 1000;
  const searched = await scoreNoise(pack, held, plan, N, s.boundary.data);
  const base = await randomBaseline(pack, held, plan, N, R, 1);
  const cells = (cs: Comparison[]) => (['psnr', 'ssim', 'gmsd'] as MetricName[]).map((m) => row(cs.find((c) => c.metric === m)!)).join(' | ');
  console.log(`| ${N} | ${K} × ${cal.pairs.length} × ${N} = ${s.evaluations} | ${secs.toFixed(1)} | mean of ${R} random x_T, ${N} steps | ${cells(compare(searched, base.mean))} |`);
  for (const m of list(values.more!)) {
    const more = await randomBaseline(pack, held, plan, m * N, RM, 2);
    console.log(`| ${N} | | | mean of ${RM} random x_T, ${m * N} steps | ${cells(compare(searched, more.mean))} |`);
  }
  const spread = base.perNoise[metric];
  const { mean, std: sd } = meanStd(spread);
  console.log(`|  | | | (random x_T, ${metric} over held-out per noise: mean ${fmt(metric, mean)}, sd ${fmt(metric, sd)}, min ${fmt(metric, Math.min(...spread))}, max ${fmt(metric, Math.max(...spread))}) | | | |`);
}
await pack.release();
