/**
 * Held-out validation of a boundary condition (Ma et al. 2024, §4: searched x̃_T against random
 * x_T at the same number of steps): every image is upscaled from the searched z and from R random
 * z (streams of a seed the search did not use), and the per-image paired difference
 * d_i = score(searched) − mean_r score(random_r) is summarised with a bootstrap confidence interval
 * over images (`stats.ts`), signed so that a positive difference always means "searched is better".
 */
import type { LoadedPack } from '../packs/types.js';
import type { PlanFactory } from '../pipelines/generate.js';
import { stateShape } from '../pipelines/upscale.js';
import { METRIC_NAMES, metricByName, type MetricName } from './metrics.js';
import { candidateNoise, scoreNoise, type CalibrationPair, type PerImage } from './search.js';
import { bootstrapMeanCI, meanStd } from './stats.js';

export interface RandomBaseline {
  /** Per image, the mean over the R random z. */
  mean: PerImage;
  /** Per random z, its mean over images (the spread of random noise). */
  perNoise: Record<MetricName, Float64Array>;
}

export type { PerImage };

/** R random z (streams 0…R−1 of `seed`), scored on every pair. */
export async function randomBaseline(pack: LoadedPack, pairs: CalibrationPair[], plan: PlanFactory, steps: number, R: number, seed: number, opts: { signal?: AbortSignal } = {}): Promise<RandomBaseline> {
  const [, , H, W] = pairs[0].high.shape;
  const shape = stateShape(pack.info, W, H);
  const mean = Object.fromEntries(METRIC_NAMES.map((m) => [m, new Float64Array(pairs.length)])) as PerImage;
  const perNoise = Object.fromEntries(METRIC_NAMES.map((m) => [m, new Float64Array(R)])) as Record<MetricName, Float64Array>;
  for (let r = 0; r < R; r++) {
    const s = await scoreNoise(pack, pairs, plan, steps, candidateNoise(shape, seed, r), { signal: opts.signal });
    for (const m of METRIC_NAMES) {
      let sum = 0;
      s[m].forEach((v, i) => { mean[m][i] += v / R; sum += v; });
      perNoise[m][r] = sum / pairs.length;
    }
  }
  return { mean, perNoise };
}

export interface Comparison {
  metric: MetricName;
  a: number;
  b: number;
  /** Mean of the per-image difference, signed so positive favours `a`, with its bootstrap CI. */
  gain: number;
  lo: number;
  hi: number;
}

/** Paired comparison of two per-image score sets, every metric. */
export function compare(a: PerImage, b: PerImage, opts: { seed?: number } = {}): Comparison[] {
  return METRIC_NAMES.map((m) => {
    const sign = metricByName(m).higherIsBetter ? 1 : -1;
    const d = a[m].map((v, i) => sign * (v - b[m][i]));
    const ci = bootstrapMeanCI(d, { seed: opts.seed ?? 0 });
    return { metric: m, a: meanStd(a[m]).mean, b: meanStd(b[m]).mean, gain: ci.mean, lo: ci.lo, hi: ci.hi };
  });
}
