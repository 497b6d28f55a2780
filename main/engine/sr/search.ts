/**
 * Boundary-condition search for diffusion super-resolution (Ma et al. 2024, "Solving Diffusion
 * ODEs with Optimal Boundary Conditions for Better Image Super-Resolution", ICLR, §3.2–3.3, eq. 9):
 * with a deterministic ODE sampler h_θ the output is a function of the starting noise x_T, and
 *
 *     x̃_T = argmin over candidates x_T^(k) of  Σ_i  d( h_θ(x_T^(k), y_i), x_i )
 *
 * over a calibration set of (low-res y_i, high-res x_i) pairs — approximately independent of y,
 * so it is found once and reused for every image. d is a full-reference metric (the paper uses
 * LPIPS; here PSNR, SSIM or GMSD, all reported). Candidate k is stream k of the seed at the
 * tile's sampler-space shape, so a search is reproducible and its candidates are the same random
 * draws `--bc random` would make: their scores are the random-noise baseline.
 */
import type { Tensor, Vec } from '../tensor.js';
import { seededNoise } from '../random.js';
import type { LoadedPack } from '../packs/types.js';
import { generate, type PipelinePlan, type PlanFactory } from '../pipelines/generate.js';
import { checkUpscalePack, noiseStream, stateShape } from '../pipelines/upscale.js';
import { better, METRIC_NAMES, metricByName, scoreAll, type MetricName } from './metrics.js';
import { meanStd } from './stats.js';

export interface CalibrationPair {
  name: string;
  /** [1, 3, h, w] in [−1, 1]: the pack's own degradation of `high`. */
  low: Tensor;
  /** [1, 3, f·h, f·w] in [−1, 1]. */
  high: Tensor;
}

export interface SearchRequest {
  pairs: CalibrationPair[];
  candidates: number;
  steps: number;
  metric: MetricName;
  seed: number;
  noiseLevel?: number;
  /** Images per network call (a batch of calibration pairs shares one candidate). */
  batch?: number;
}

export interface CandidateScores {
  index: number;
  /** Mean over the calibration set, per metric. */
  scores: Record<MetricName, number>;
}

export interface SearchResult {
  candidates: CandidateScores[];
  /** Index of the best candidate under the search metric. */
  best: number;
  /** The best x_T's z, sampler-space shape [1, C, h, w]. */
  boundary: Tensor;
  evaluations: number;
}

export interface SearchProgress {
  /** Image-candidate samplings done and in all. */
  done: number;
  total: number;
  candidate: number;
  /** Candidates scored so far (for a live chart). */
  scored: CandidateScores[];
}

/** z of candidate k for a tile of the given sampler-space shape: stream k of the seed. */
export const candidateNoise = noiseStream;

/** Stack [1, …] tensors into [n, …]. */
export function stackRows(ts: Tensor[]): Tensor {
  const per = ts[0].data.length;
  const data = new Float32Array(per * ts.length);
  ts.forEach((t, i) => data.set(t.data, i * per));
  return { data, shape: [ts.length, ...ts[0].shape.slice(1)] };
}

export type PerImage = Record<MetricName, Float64Array>;

/**
 * Every metric's score of every pair upscaled from one z, batched `batch` pairs per network call
 * (the z shared by the batch); `onBatch` hears the pairs done. Also counts image-evaluations.
 */
export async function scoreNoise(pack: LoadedPack, pairs: CalibrationPair[], plan: PlanFactory, steps: number, noise: Float32Array,
  opts: { seed?: number; batch?: number; noiseLevel?: number; signal?: AbortSignal; onBatch?: (done: number) => void; counter?: { evaluations: number } } = {}): Promise<PerImage> {
  const { width, height } = checkPairs(pairs, pack.info.upscaleFactor);
  const out = Object.fromEntries(METRIC_NAMES.map((m) => [m, new Float64Array(pairs.length)])) as PerImage;
  const batch = Math.max(1, opts.batch ?? 16);
  for (let i = 0; i < pairs.length; i += batch) {
    opts.signal?.throwIfAborted();
    const part = pairs.slice(i, i + batch);
    const res = await generate(pack, {
      prompt: '', width, height, steps, cfgScale: 0, seed: opts.seed ?? 0, batch: part.length,
      init: { image: stackRows(part.map((p) => p.low)), strength: 1 }, noise, noiseLevel: opts.noiseLevel,
    }, plan, { signal: opts.signal });
    if (opts.counter) opts.counter.evaluations += res.evaluations * part.length;
    const s = scoreAll(res.images, stackRows(part.map((p) => p.high)));
    for (const m of METRIC_NAMES) out[m].set(s[m], i);
    opts.onBatch?.(i + part.length);
  }
  return out;
}

/** Check a calibration set: at least one pair, all of one size, low = high / factor. */
export function checkPairs(pairs: CalibrationPair[], factor: number): { width: number; height: number } {
  if (!pairs.length) throw new RangeError('the calibration set is empty: give at least one image');
  const [, , H, W] = pairs[0].high.shape;
  for (const p of pairs) {
    const [, , h, w] = p.high.shape;
    if (h !== H || w !== W) throw new RangeError(`calibration image ${p.name} is ${w}x${h}; all must be ${W}x${H}`);
    if (p.low.shape[2] * factor !== h || p.low.shape[3] * factor !== w) throw new RangeError(`calibration image ${p.name}: its low-resolution version is not 1/${factor} of it`);
  }
  return { width: W, height: H };
}

export async function searchBoundary(pack: LoadedPack, req: SearchRequest, plan: PlanFactory, opts: { signal?: AbortSignal; onProgress?: (p: SearchProgress) => void } = {}): Promise<SearchResult> {
  checkUpscalePack(pack.info);
  const metric = metricByName(req.metric);
  if (!Number.isInteger(req.candidates) || req.candidates < 2) throw new RangeError(`candidates must be an integer ≥ 2, got ${req.candidates}`);
  const { width, height } = checkPairs(req.pairs, pack.info.upscaleFactor);
  const shape = stateShape(pack.info, width, height);
  const total = req.candidates * req.pairs.length;
  const scored: CandidateScores[] = [];
  const counter = { evaluations: 0 };
  for (let k = 0; k < req.candidates; k++) {
    const per = await scoreNoise(pack, req.pairs, plan, req.steps, candidateNoise(shape, req.seed, k), {
      seed: req.seed, batch: req.batch, noiseLevel: req.noiseLevel, signal: opts.signal, counter,
      onBatch: (done) => opts.onProgress?.({ done: k * req.pairs.length + done, total, candidate: k, scored }),
    });
    scored.push({ index: k, scores: Object.fromEntries(METRIC_NAMES.map((m) => [m, meanStd(per[m]).mean])) as Record<MetricName, number> });
    opts.onProgress?.({ done: (k + 1) * req.pairs.length, total, candidate: k, scored });
  }
  let best = 0;
  for (const c of scored) if (better(metric, c.scores[req.metric], scored[best].scores[req.metric])) best = c.index;
  return { candidates: scored, best, boundary: { data: candidateNoise(shape, req.seed, best), shape }, evaluations: counter.evaluations };
}

/**
 * Whether a plan is an ODE sampler — the same start gives the same end. Checked by running it on a
 * toy denoiser with two different noise sources (stochastic samplers draw from `noise`), so it holds
 * for any scheduler config, not a list of class names.
 */
export async function isDeterministic(plan: PipelinePlan): Promise<boolean> {
  const x = new Float32Array(16).map((_, i) => Math.sin(i + 1) * plan.sigmas[0]);
  const toy = async (v: Vec): Promise<Vec> => Float32Array.from(v, (u) => 0.3 * u);
  const a = await plan.run(toy, x.slice(), { noise: seededNoise(1) });
  const b = await plan.run(toy, x.slice(), { noise: seededNoise(2) });
  return a.every((v, i) => v === b[i]);
}
