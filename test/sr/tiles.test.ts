/**
 * Tiles for upscaling: every pixel covered, neighbours overlapping by at least the requested band,
 * starts aligned to what the UNet needs, and blend weights that sum to one — so a constant or a
 * smooth image split into tiles and blended back is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { axisWeights, crop, planTiles, TileBlender, tileSpans } from '../../main/engine/sr/tiles.js';

describe('tileSpans', () => {
  it('is one tile when the image fits, and covers longer axes with aligned, overlapping tiles ending at the edge', () => {
    expect(tileSpans(48, 64, 16, 4)).toEqual([{ start: 0, size: 48 }]);
    for (const [length, tile, overlap, align] of [[128, 64, 16, 4], [200, 64, 16, 8], [1000, 128, 32, 4], [65 * 4, 64, 0, 4], [100, 64, 1, 4]]) {
      const spans = tileSpans(length, tile, overlap, align);
      expect(spans[0].start).toBe(0);
      expect(spans.at(-1)!.start + tile).toBe(length);
      for (const [i, s] of spans.entries()) {
        expect(s.size).toBe(tile);
        if (i < spans.length - 1) expect(s.start % align).toBe(0);
        if (i > 0) {
          const shared = spans[i - 1].start + tile - s.start;
          expect(shared).toBeGreaterThanOrEqual(0);
          expect(shared).toBeLessThan(tile);
          if (overlap > 0) expect(shared).toBeGreaterThanOrEqual(overlap - align + 1);
        }
      }
    }
  });

  it('refuses an overlap as large as the tile', () => {
    expect(() => tileSpans(200, 64, 64, 4)).toThrow(/overlap 64 must be smaller than the tile/);
  });
});

describe('blend weights', () => {
  it('sum to one over every pixel of an axis', () => {
    for (const [length, tile, overlap] of [[128, 64, 16], [300, 64, 24], [64, 64, 16], [100, 64, 2]]) {
      const spans = tileSpans(length, tile, overlap, 2);
      const sum = new Float64Array(length);
      spans.forEach((s, i) => axisWeights(spans, i).forEach((w, k) => { sum[s.start + k] += w; }));
      for (const v of sum) expect(v).toBeCloseTo(1, 6);
    }
  });

  it('blend tiles cut from an image back into the same image', () => {
    const W = 200, H = 136;
    const plan = planTiles(W, H, { width: 64, height: 64 }, 16, 4);
    expect(plan.xs.length).toBeGreaterThan(1);
    expect(plan.ys.length).toBeGreaterThan(1);
    const data = new Float32Array(3 * W * H).map((_, j) => Math.sin(j * 0.37) + (j % W) / W);
    const img = { data, shape: [1, 3, H, W] };
    const blender = new TileBlender(plan, 3);
    for (let iy = 0; iy < plan.ys.length; iy++) for (let ix = 0; ix < plan.xs.length; ix++) {
      blender.add(ix, iy, crop(img, plan.xs[ix].start, plan.ys[iy].start, plan.tileWidth, plan.tileHeight));
    }
    const out = blender.result();
    let maxErr = 0;
    out.data.forEach((v, j) => { maxErr = Math.max(maxErr, Math.abs(v - data[j])); });
    expect(maxErr).toBeLessThan(1e-5);
  });

  it('crop refuses a region outside the image', () => {
    expect(() => crop({ data: new Float32Array(3 * 16), shape: [1, 3, 4, 4] }, 2, 2, 4, 4)).toThrow(/leaves the 4x4 image/);
  });
});
