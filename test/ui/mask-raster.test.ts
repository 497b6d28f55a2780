import { describe, expect, it } from 'vitest';
import { MaskRaster } from '../../renderer/src/canvas/mask-raster.js';
import { rasterizeStrokes } from '../../renderer/src/document/raster/mask.js';
import type { MaskStroke } from '../../renderer/src/document/types.js';

const W = 64, H = 48;
const stroke = (id: string, mode: MaskStroke['mode'], points: number[], size = 9, hardness = 0.6): MaskStroke => ({ id, mode, size, hardness, points });

/** The overlay must equal a from-scratch rasterisation after every kind of change. */
function expectExact(r: MaskRaster, strokes: MaskStroke[]) {
  const want = rasterizeStrokes(strokes, W, H);
  expect(r.mask).toEqual(want);
  for (let i = 0; i < W * H; i++) {
    if (r.rgba[i * 4 + 3] !== Math.round(want[i] * 255)) throw new Error(`alpha at ${i % W},${Math.floor(i / W)}: ${r.rgba[i * 4 + 3]} ≠ ${Math.round(want[i] * 255)}`);
  }
}

describe('incremental mask overlay raster', () => {
  it('matches the document rasteriser while strokes are drawn, erased, undone and cleared', () => {
    const r = new MaskRaster();
    expect(r.update([], W, H)).toEqual({ x: 0, y: 0, width: W, height: H });
    expect(r.update([], W, H)).toBeNull();

    // A brush stroke growing point by point: only its box is dirty.
    let a = stroke('a', 'brush', [10, 10]);
    let strokes = [a];
    r.update(strokes, W, H);
    expectExact(r, strokes);
    for (const [x, y] of [[14, 12], [20, 15], [28, 20]]) {
      a = { ...a, points: [...a.points, x, y] };
      strokes = [a];
      const dirty = r.update(strokes, W, H)!;
      expect(dirty.width).toBeLessThan(W);
      expectExact(r, strokes);
    }

    // An eraser stroke over it, also growing.
    let b = stroke('b', 'eraser', [18, 14], 6, 1);
    strokes = [a, b];
    r.update(strokes, W, H);
    expectExact(r, strokes);
    b = { ...b, points: [...b.points, 24, 18] };
    strokes = [a, b];
    r.update(strokes, W, H);
    expectExact(r, strokes);

    // A third stroke, then undo back to two, then one, then clear.
    const c = stroke('c', 'brush', [50, 40, 60, 30], 12, 0);
    r.update([a, b, c], W, H);
    expectExact(r, [a, b, c]);
    expect(r.update([a, b], W, H)).toEqual({ x: 0, y: 0, width: W, height: H });
    expectExact(r, [a, b]);
    r.update([a], W, H);
    expectExact(r, [a]);
    r.update([], W, H);
    expectExact(r, []);

    // Unchanged strokes cost nothing.
    r.update([a, b], W, H);
    expect(r.update([a, b], W, H)).toBeNull();
  });

  it('starts over when the canvas changes size', () => {
    const r = new MaskRaster();
    const s = [stroke('a', 'brush', [5, 5, 30, 30])];
    r.update(s, W, H);
    r.update(s, 32, 32);
    expect(r.mask).toEqual(rasterizeStrokes(s, 32, 32));
    expect(r.rgba.length).toBe(32 * 32 * 4);
  });

  it('colours covered pixels and leaves the rest transparent', () => {
    const r = new MaskRaster({ r: 200, g: 10, b: 20 });
    r.update([stroke('a', 'brush', [8, 8], 4, 1)], 16, 16);
    const o = (8 * 16 + 8) * 4;
    expect([...r.rgba.slice(o, o + 4)]).toEqual([200, 10, 20, 255]);
    expect(r.rgba[3]).toBe(0);
  });
});
