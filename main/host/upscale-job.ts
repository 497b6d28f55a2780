/**
 * Upscaling and boundary-condition search as the engine host runs them: bytes decoded, the job
 * sized before any model runs, the searched x_T looked up (or stored) under the pack's digest,
 * sampler, steps and tile, and the result encoded with its settings.
 */
import { imageSize } from './image-size.js';
import { asBadRequest, bad, eta } from './job-util.js';
import path from 'node:path';
import type { z } from 'zod';
import { ApiError, type BcSearchRequest, type BoundaryRecord, type BoundaryUse, type UpscaleRequest, type UpscaleResult } from '../api/contract.js';
import type { LoadedPack, PackInfo } from '../engine/packs/types.js';
import type { Tensor } from '../engine/tensor.js';
import { samplerChoice } from './sampler-choice.js';
import { checkUpscalePack, tileShape, trainedTile, upscale, upscalePlan } from '../engine/pipelines/upscale.js';
import { isDeterministic, searchBoundary } from '../engine/sr/search.js';
import { loadCalibration } from '../engine/sr/calibration.js';
import { loadBoundary, packDigest, saveBoundary, type BoundaryKey } from '../engine/sr/store.js';
import { encodePng, loadImage } from '../engine/image/io.js';
import { formatParameters } from '../api/parameters.js';
import type { Preview } from '../engine/pipelines/preview.js';
import { MAX_EVALUATIONS_PER_STEP, type JobShape } from '../engine/pipelines/cost.js';
import type { AdmitOptions } from './limits.js';

type Upscale = z.output<typeof UpscaleRequest>;
type Search = z.output<typeof BcSearchRequest>;

export interface JobProgress {
  phase: 'sample' | 'search';
  step: number;
  total: number;
  etaMs?: number;
  preview?: Preview;
}

export interface SrJobOptions {
  signal: AbortSignal;
  onProgress: (p: JobProgress) => void;
  /** The user's data folder (tests use a temporary one). */
  dataRoot?: string;
  /** Size the job against the host's budgets before its models run (the service's `PackJob.admit`). */
  admit?: (shape: JobShape, how?: AdmitOptions) => unknown;
}

/** Calibration pairs per model call of a search. */
const SEARCH_BATCH = 16;

/** Image-evaluations one search may make (candidates × images × steps). */
export const MAX_SEARCH_EVALUATIONS = 2_000_000;


const defaultSteps = (info: PackInfo) => info.recommended?.steps ?? 10;


function checkPack(info: PackInfo): void {
  try {
    checkUpscalePack(info);
  } catch (e) {
    throw new ApiError('MODEL_CANNOT_UPSCALE', (e as Error).message);
  }
}

/** The key a searched x_T is stored under for this pack, sampler and step count. */
async function keyFor(info: PackInfo, sampler: string, steps: number, dataRoot?: string): Promise<BoundaryKey> {
  return { digest: await packDigest(info.dir, dataRoot), sampler, steps, tile: trainedTile(info) };
}

export async function runUpscaleJob(pack: LoadedPack, req: Upscale, opts: SrJobOptions): Promise<Omit<UpscaleResult, 'providers'>> {
  const t0 = performance.now();
  checkPack(pack.info);
  const { info } = pack;
  const sampler = samplerChoice(req.sampler);
  const steps = req.steps ?? defaultSteps(pack.info);
  const natural = await imageSize(req.image, 'image');
  // Sized before the image is decoded or any model runs.
  const tiles = await asBadRequest(() => upscalePlan(info, natural.width, natural.height, req.overlap));
  // One tile per call, unguided; the whole output is blended in float32 (sum, weights, result) beside the input.
  const tileCount = tiles.xs.length * tiles.ys.length;
  opts.admit?.({
    width: tiles.tileWidth, height: tiles.tileHeight, batch: 1, guided: false,
    evaluations: tileCount * steps * MAX_EVALUATIONS_PER_STEP, decodes: tileCount,
    extraBytes: 4 * 3 * (3 * tiles.width * tiles.height + natural.width * natural.height),
  }, { what: `upscaling ${natural.width}×${natural.height} to ${tiles.width}×${tiles.height} in ${tiles.tileWidth}×${tiles.tileHeight} tiles`, advice: 'upscale a smaller image, or raise the budget' });
  const plan = sampler.plan(pack.info);
  let boundary: BoundaryUse = { source: 'random' };
  let z: Tensor | undefined;
  if (req.bc === 'auto' && await isDeterministic(plan(steps))) {
    const found = await asBadRequest(async () => loadBoundary(await keyFor(info, sampler.key, steps, opts.dataRoot), tileShape(info), opts.dataRoot));
    if (found) {
      z = found.z;
      boundary = { source: 'searched', metric: found.record.metric, searchedOn: found.record.date, calibration: found.record.calibration.source };
    }
  }
  const image = await loadImage(Buffer.from(req.image), natural.width, natural.height);
  const tSample = performance.now();
  const res = await asBadRequest(() => upscale(pack, {
    image, steps, seed: req.seed, noiseLevel: req.noiseLevel, overlap: req.overlap, boundary: z, previewEvery: req.previewEvery,
  }, plan, {
    signal: opts.signal,
    onProgress: (p) => opts.onProgress({ phase: 'sample', step: p.step, total: p.total, etaMs: eta(tSample, p.step, p.total), preview: p.preview }),
  }));
  const { width, height } = tiles;
  const parameters = formatParameters({
    prompt: '', steps, sampler: sampler.label(info, steps), seed: req.seed, width, height, model: info.name,
    extra: {
      'Upscale': `${info.upscaleFactor}x from ${natural.width}x${natural.height}`,
      'Boundary condition': boundary.source === 'searched' ? `searched (${boundary.metric}, ${boundary.searchedOn})` : 'random',
      'Noise level': req.noiseLevel ?? info.defaultNoiseLevel,
      'Tiles': tileCount === 1 ? 'none' : `${tileCount} of ${tiles.tileWidth}x${tiles.tileHeight}, overlap ${tiles.overlap}`,
    },
  });
  return {
    jobId: req.jobId,
    image: { png: new Uint8Array(await encodePng(res.image, { parameters })), seed: req.seed, parameters },
    width, height, boundary, steps, sampler: sampler.key,
    tiles: { count: tileCount, size: [tiles.tileWidth, tiles.tileHeight], overlap: tiles.overlap },
    timings: { totalMs: performance.now() - t0, evaluations: res.evaluations },
  };
}

export async function runSearchJob(pack: LoadedPack, req: Search, opts: SrJobOptions): Promise<{ record: BoundaryRecord; path: string }> {
  const t0 = performance.now();
  checkPack(pack.info);
  const { info } = pack;
  const sampler = samplerChoice(req.sampler);
  const steps = req.steps ?? defaultSteps(pack.info);
  const plan = sampler.plan(pack.info);
  if (!(await isDeterministic(plan(steps)))) {
    throw bad(`sampler: ${sampler.label(info, steps)} is stochastic; a boundary condition fixes the start of a deterministic (ODE) sampler — choose one such as ddim or dpmpp_2m`);
  }
  const tile = trainedTile(info);
  const dir = req.calibration ?? path.join(info.dir, 'calibration');
  if (req.calibration && !path.isAbsolute(req.calibration)) throw bad('calibration: give an absolute folder path');
  const calibration = await asBadRequest(async () => {
    try {
      return await loadCalibration(dir, tile, info.upscaleFactor, req.limit, info.degradation);
    } catch (e) {
      if (!req.calibration && e instanceof RangeError) throw new RangeError(`${info.name} carries no calibration set; give a folder of high-resolution images (calibration)`);
      throw e;
    }
  });
  const cost = req.candidates * calibration.pairs.length * steps;
  if (cost > MAX_SEARCH_EVALUATIONS) throw bad(`a search of ${req.candidates} candidates × ${calibration.pairs.length} images × ${steps} steps = ${cost} evaluations is over the limit of ${MAX_SEARCH_EVALUATIONS}; use fewer candidates or images`);
  // Calls of up to SEARCH_BATCH calibration pairs sharing one candidate, unguided, each decoded.
  const calls = req.candidates * Math.ceil(calibration.pairs.length / SEARCH_BATCH);
  opts.admit?.({
    width: tile.width, height: tile.height, batch: Math.min(SEARCH_BATCH, calibration.pairs.length), guided: false,
    evaluations: calls * steps * MAX_EVALUATIONS_PER_STEP, decodes: calls,
  }, { what: `a boundary search on ${tile.width}×${tile.height} tiles`, advice: 'fewer calibration images (limit), or raise the budget' });
  const key = await keyFor(info, sampler.key, steps, opts.dataRoot);
  const tSearch = performance.now();
  const res = await asBadRequest(() => searchBoundary(pack, {
    pairs: calibration.pairs, candidates: req.candidates, steps, metric: req.metric, seed: req.seed, batch: SEARCH_BATCH,
  }, plan, {
    signal: opts.signal,
    onProgress: (p) => opts.onProgress({ phase: 'search', step: p.done, total: p.total, etaMs: eta(tSearch, p.done, p.total) }),
  }));
  // Nothing is written before the search has finished: a cancelled one leaves the previous result.
  opts.signal.throwIfAborted();
  return saveBoundary({
    version: 1,
    pack: { name: info.name, digest: key.digest },
    sampler: sampler.key, steps, tile, shape: res.boundary.shape.slice(), metric: req.metric, seed: req.seed,
    calibration: { source: req.calibration ? dir : `${info.name} calibration set`, digest: calibration.digest, count: calibration.pairs.length },
    candidates: res.candidates, best: res.best, evaluations: res.evaluations,
    seconds: (performance.now() - t0) / 1000, date: new Date().toISOString(),
  }, res.boundary, opts.dataRoot);
}

/**
 * The stored search for a pack, sampler and step count, or null — from the pack's metadata and
 * digest only, so looking does not load the model or wait for a running job.
 */
export async function findBoundary(info: PackInfo, sampler: string, steps: number | undefined, dataRoot?: string): Promise<BoundaryRecord | null> {
  checkPack(info);
  const s = samplerChoice(sampler);
  const found = await asBadRequest(async () => loadBoundary(await keyFor(info, s.key, steps ?? defaultSteps(info), dataRoot), tileShape(info), dataRoot));
  return found?.record ?? null;
}
