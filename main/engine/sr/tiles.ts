/**
 * Overlapping tiles for images larger than a model's trained size, blended without seams: each
 * tile's pixels are weighted by a ramp that falls linearly to zero across the band it shares with a
 * neighbour, and the neighbour's ramp rises across the same band, so the weights of every pixel sum
 * to one (the linear-ramp blending of tiled diffusion upscalers, e.g. MultiDiffusion's averaging,
 * Bar-Tal et al. 2023, eq. 5, with position-dependent weights). Pure arithmetic over sizes.
 */
import type { Tensor } from '../tensor.js';

export interface TileSpan {
  /** First output pixel of the tile along the axis, and its length. */
  start: number;
  size: number;
}

export interface TilePlan {
  width: number;
  height: number;
  /** Tile size actually used (at most the requested tile, at most the image). */
  tileWidth: number;
  tileHeight: number;
  overlap: number;
  xs: TileSpan[];
  ys: TileSpan[];
}

/**
 * Tile starts along one axis of `length` pixels: one tile when it fits, else the fewest tiles of
 * `tile` pixels whose neighbours share at least `overlap` pixels, spread evenly and snapped down to
 * multiples of `align` (the last tile ends exactly at the edge).
 */
export function tileSpans(length: number, tile: number, overlap: number, align: number): TileSpan[] {
  if (length <= tile) return [{ start: 0, size: length }];
  if (overlap >= tile) throw new RangeError(`tile overlap ${overlap} must be smaller than the tile (${tile})`);
  const n = Math.ceil((length - overlap) / (tile - overlap));
  const spans: TileSpan[] = [];
  for (let i = 0; i < n; i++) {
    const ideal = (i * (length - tile)) / (n - 1);
    // Snapping down may widen a gap by up to align − 1 pixels: never past the previous tile's end.
    const snapped = i === 0 ? 0 : Math.min(Math.floor(ideal / align) * align, spans[i - 1].start + tile);
    const start = i === n - 1 ? length - tile : snapped;
    spans.push({ start, size: tile });
  }
  return spans;
}

export function planTiles(width: number, height: number, tile: { width: number; height: number }, overlap: number, align: number): TilePlan {
  if (width % align || height % align || tile.width % align || tile.height % align) {
    throw new RangeError(`image ${width}x${height} and tile ${tile.width}x${tile.height} must be multiples of ${align}`);
  }
  const tw = Math.min(tile.width, width), th = Math.min(tile.height, height);
  // At most half a tile: then no pixel lies in more than two tiles along an axis.
  const o = Math.min(overlap, Math.floor(Math.min(tw, th) / 2));
  return { width, height, tileWidth: tw, tileHeight: th, overlap: o, xs: tileSpans(width, tw, o, align), ys: tileSpans(height, th, o, align) };
}

/**
 * Blend weights of tile `i` along an axis: 1 inside, a linear ramp over the band shared with each
 * neighbour ((k + ½)/band rising, its mirror falling), so adjacent tiles' weights sum to one there.
 */
export function axisWeights(spans: TileSpan[], i: number): Float32Array {
  const { start, size } = spans[i];
  const w = new Float32Array(size).fill(1);
  const prev = spans[i - 1], next = spans[i + 1];
  if (prev) {
    const band = prev.start + prev.size - start;
    for (let k = 0; k < band; k++) w[k] = Math.min(w[k], (k + 0.5) / band);
  }
  if (next) {
    const band = start + size - next.start;
    for (let k = 0; k < band; k++) w[size - band + k] = Math.min(w[size - band + k], 1 - (k + 0.5) / band);
  }
  return w;
}

/** Cut the region of a [1, C, H, W] tensor at (x, y) of size w × h. */
export function crop(t: Tensor, x: number, y: number, w: number, h: number): Tensor {
  const [, C, H, W] = t.shape;
  if (x < 0 || y < 0 || x + w > W || y + h > H) throw new RangeError(`crop ${w}x${h} at (${x}, ${y}) leaves the ${W}x${H} image`);
  const out = new Float32Array(C * w * h);
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < h; r++) out.set(t.data.subarray(c * H * W + (y + r) * W + x, c * H * W + (y + r) * W + x + w), (c * h + r) * w);
  }
  return { data: out, shape: [1, C, h, w] };
}

/** Accumulates weighted tiles [1, C, th, tw] into a [1, C, H, W] image; `result()` divides by the weights. */
export class TileBlender {
  private readonly sum: Float32Array;
  private readonly weight: Float32Array;
  constructor(private readonly plan: TilePlan, private readonly channels: number) {
    this.sum = new Float32Array(channels * plan.width * plan.height);
    this.weight = new Float32Array(plan.width * plan.height);
  }

  add(ix: number, iy: number, tile: Tensor): void {
    const { xs, ys, width: W } = this.plan;
    const { start: x0, size: tw } = xs[ix], { start: y0, size: th } = ys[iy];
    const wx = axisWeights(xs, ix), wy = axisWeights(ys, iy);
    const n = this.plan.width * this.plan.height;
    for (let r = 0; r < th; r++) {
      for (let k = 0; k < tw; k++) {
        const w = wx[k] * wy[r], o = (y0 + r) * W + x0 + k;
        this.weight[o] += w;
        for (let c = 0; c < this.channels; c++) this.sum[c * n + o] += w * tile.data[(c * th + r) * tw + k];
      }
    }
  }

  result(): Tensor {
    const n = this.plan.width * this.plan.height;
    const data = this.sum.map((v, j) => v / this.weight[j % n]);
    return { data, shape: [1, this.channels, this.plan.height, this.plan.width] };
  }
}
