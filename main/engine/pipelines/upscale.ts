/**
 * Upscaling as its own pipeline, for both upscaler layouts the engine runs (pixel SR and the x4
 * upscaler's latent layout): the low-resolution image is cut into overlapping tiles of the model's
 * trained size (`sr/tiles.ts`), each tile is sampled by `generate` — the same stages, so a one-tile
 * image gives exactly what `generate` gives — and the tiles are blended back without seams.
 *
 * The starting noise is the boundary condition of the sampler's ODE (Ma et al. 2024, "Solving
 * Diffusion ODEs with Optimal Boundary Conditions for Better Image Super-Resolution", §3): either a
 * searched x_T (one tile's z, the same for every tile — the paper's x̃_T, "approximately
 * independent of the low-resolution image") or fresh noise, tile k drawing stream k of the seed.
 * An image smaller than the tile uses the top-left part of a searched z.
 */
import type { Tensor } from '../tensor.js';
import { numel } from '../tensor.js';
import { fillGaussian } from '../random.js';
import type { LoadedPack, PackInfo } from '../packs/types.js';
import type { Preview } from './preview.js';
import { checkSize, generate, isUpscaler, sizeLimits, type PlanFactory } from './generate.js';
import { crop, planTiles, TileBlender, type TilePlan } from '../sr/tiles.js';

export interface UpscaleRequest {
  /** The low-resolution image [1, 3, h, w] in [−1, 1]. */
  image: Tensor;
  steps: number;
  seed: number;
  noiseLevel?: number;
  /** Overlap of neighbouring tiles in output pixels (default a quarter of the tile). */
  overlap?: number;
  /** A searched boundary condition: z for one full tile, sampler-space shape [1, C, th, tw]. */
  boundary?: Tensor;
  previewEvery?: number;
}

export interface UpscaleProgress {
  step: number;
  total: number;
  preview?: Preview;
}

export interface UpscaleResult {
  /** [1, 3, f·h, f·w] in [−1, 1]. */
  image: Tensor;
  tiles: TilePlan;
  evaluations: number;
}

/** The tile an upscaler samples at: its trained output size, in output pixels. */
export function trainedTile(info: PackInfo): { width: number; height: number } {
  return { width: info.defaultSize, height: info.defaultSize };
}

/** The sampler-space shape [1, C, h, w] of an output region of w × h pixels. */
export function stateShape(info: PackInfo, width: number, height: number): number[] {
  return [1, info.latentChannels, height / info.vaeScale, width / info.vaeScale];
}

/** The sampler-space shape of one full tile: the shape a searched boundary condition has. */
export function tileShape(info: PackInfo): number[] {
  const tile = trainedTile(info);
  return stateShape(info, tile.width, tile.height);
}

/**
 * Stream k of a seed at a sampler-space shape: random tile k's starting noise, and candidate k of
 * a boundary search (so a search's candidates are the draws `bc: random` makes).
 */
export function noiseStream(shape: readonly number[], seed: number, k: number): Float32Array {
  return fillGaussian(new Float32Array(numel(shape)), seed, k);
}

/** Refuse a pack that does not upscale, naming what it is. */
export function checkUpscalePack(info: PackInfo): void {
  if (!isUpscaler(info)) throw new RangeError(`${info.name} is a ${info.family} model, not an upscaler: choose an upscaling model (pixel SR or an x4 upscaler)`);
}

/** The tiles an upscale of a low-resolution image w × h runs, after checking the output size. */
export function upscalePlan(info: PackInfo, width: number, height: number, overlap?: number): TilePlan {
  checkUpscalePack(info);
  const W = width * info.upscaleFactor, H = height * info.upscaleFactor;
  try {
    checkSize(info, W, H);
  } catch (e) {
    throw new RangeError(`image ${width}x${height} would upscale to ${W}x${H}, which ${info.name} cannot make: ${(e as Error).message}`);
  }
  const tile = trainedTile(info);
  const { multiple } = sizeLimits(info);
  return planTiles(W, H, tile, overlap ?? Math.max(multiple, Math.floor(tile.width / 4 / multiple) * multiple), multiple);
}

export async function upscale(pack: LoadedPack, req: UpscaleRequest, plan: PlanFactory, opts: { signal?: AbortSignal; onProgress?: (p: UpscaleProgress) => void } = {}): Promise<UpscaleResult> {
  const { info } = pack;
  const f = info.upscaleFactor;
  const [, , h, w] = req.image.shape;
  const tiles = upscalePlan(info, w, h, req.overlap);
  const shape = stateShape(info, tiles.tileWidth, tiles.tileHeight);
  const z = req.boundary ? boundaryFor(req.boundary, shape) : undefined;
  const blender = new TileBlender(tiles, 3);
  const count = tiles.xs.length * tiles.ys.length;
  let evaluations = 0, done = 0;
  for (let iy = 0; iy < tiles.ys.length; iy++) {
    for (let ix = 0; ix < tiles.xs.length; ix++) {
      const { start: x0, size: tw } = tiles.xs[ix], { start: y0, size: th } = tiles.ys[iy];
      const k = iy * tiles.xs.length + ix;
      const low = count === 1 ? req.image : crop(req.image, x0 / f, y0 / f, tw / f, th / f);
      const noise = z ?? noiseStream(shape, req.seed, k);
      const res = await generate(pack, {
        prompt: '', width: tw, height: th, steps: req.steps, cfgScale: 0, seed: req.seed,
        init: { image: low, strength: 1 }, noise, noiseLevel: req.noiseLevel, previewEvery: req.previewEvery,
      }, plan, {
        signal: opts.signal,
        onProgress: (p) => opts.onProgress?.({ step: done * p.total + p.step, total: count * p.total, preview: p.preview }),
      });
      evaluations += res.evaluations;
      done++;
      if (count === 1) return { image: res.images, tiles, evaluations };
      blender.add(ix, iy, res.images);
    }
  }
  return { image: blender.result(), tiles, evaluations };
}

/** A searched z for one tile, cut to a smaller tile's shape when the image is smaller than the tile. */
export function boundaryFor(boundary: Tensor, shape: readonly number[]): Float32Array {
  const [, C, th, tw] = shape;
  const [, bc, bh, bw] = boundary.shape;
  if (bc !== C || bh < th || bw < tw) {
    throw new RangeError(`the stored boundary condition has shape [${boundary.shape.join(', ')}], which does not fit this model's tile [${shape.join(', ')}]; search again for this pack`);
  }
  return bh === th && bw === tw ? boundary.data : crop(boundary, 0, 0, tw, th).data;
}
