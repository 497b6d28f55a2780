import { describe, expect, it } from 'vitest';
import { contrastColour, HATCH_GAP, hexColour, maskPatternSizes, MaskRaster } from '../../renderer/src/canvas/mask-raster.js';
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
    const r = new MaskRaster({ colour: { r: 200, g: 10, b: 20 } });
    r.update([stroke('a', 'brush', [8, 8], 4, 1)], 16, 16);
    const o = (8 * 16 + 8) * 4;
    expect([...r.rgba.slice(o, o + 4)]).toEqual([200, 10, 20, 255]);
    expect(r.rgba[3]).toBe(0);
  });

  it('outlines the mask with dashes of its colour and a contrasting one, wherever it is drawn', () => {
    const r = new MaskRaster({ colour: hexColour('#ffe000') });
    const W = 40, H = 40;
    // A hard capsule well inside the canvas: its border pixels are the outline, its inside and the outside are not.
    r.update([stroke('a', 'brush', [14, 20, 26, 20], 16, 1)], W, H);
    const edgeAt = (x: number, y: number) => r.edge[(y * W + x) * 4 + 3];
    const inside: number[] = [], outline: [number, number][] = [];
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      if (r.mask[y * W + x] < 0.5) expect(edgeAt(x, y)).toBe(0);
      else if (edgeAt(x, y)) outline.push([x, y]);
      else inside.push(x);
    }
    expect(outline.length).toBeGreaterThan(60);
    expect(inside.length).toBeGreaterThan(200);
    // Every outline pixel touches the outside; the dashes use both colours (yellow and black).
    for (const [x, y] of outline) {
      const near = [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1], [1, -1], [-1, 1]].some(([dx, dy]) => r.mask[(y + dy) * W + x + dx] < 0.5);
      expect(near).toBe(true);
    }
    const colours = new Set(outline.map(([x, y]) => [...r.edge.slice((y * W + x) * 4, (y * W + x) * 4 + 3)].join(',')));
    expect(colours).toEqual(new Set(['255,224,0', '0,0,0']));
    expect(contrastColour(hexColour('#202080'))).toEqual({ r: 255, g: 255, b: 255 });
  });

  it('keeps the outline exact while a stroke grows (only the grown box is re-coloured)', () => {
    const r = new MaskRaster();
    const full = new MaskRaster();
    let a = stroke('a', 'brush', [10, 10], 8, 1);
    r.update([a], W, H);
    for (const [x, y] of [[20, 12], [30, 30], [12, 40]]) {
      a = { ...a, points: [...a.points, x, y] };
      r.update([a], W, H);
    }
    full.update([{ ...a, id: 'b' }], W, H);
    expect(r.edge).toEqual(full.edge);
    expect(r.rgba).toEqual(full.rgba);
  });

  it('hatches the tint in diagonal stripes, lighter between them; a new style re-colours it all', () => {
    const r = new MaskRaster({ colour: hexColour('#00ff00') });
    const s = [stroke('a', 'brush', [0, 24, 64, 24], 48, 1)];
    r.update(s, W, H);
    const alpha = (x: number, y: number) => r.rgba[(y * W + x) * 4 + 3];
    expect(alpha(20, 20)).toBe(255);
    expect(r.setStyle({ colour: hexColour('#00ff00'), hatch: true })).toBe(true);
    expect(r.setStyle({ colour: hexColour('#00ff00'), hatch: true })).toBe(false);
    const period = maskPatternSizes(W, H).hatch;
    const along = Array.from({ length: period }, (_, k) => alpha(20 + k, 20));
    expect(along.filter((a) => a === 255).length).toBe(period / 2);
    expect(along.filter((a) => a === Math.round(255 * HATCH_GAP)).length).toBe(period / 2);
    r.setStyle({ colour: hexColour('#0000ff'), hatch: true });
    expect([...r.rgba.slice((20 * W + 20) * 4, (20 * W + 20) * 4 + 3)]).toEqual([0, 0, 255]);
  });
});
