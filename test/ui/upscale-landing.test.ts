import { describe, expect, it } from 'vitest';
import { createDocument, createImageLayer, type CanvasDocument } from '../../renderer/src/document/index.js';
import { DocumentStore } from '../../renderer/src/store/document-store.js';
import { feasiblePlacement, landUpscale, MAX_CANVAS_SIDE, scaleDocument } from '../../renderer/src/store/actions/upscale.js';

/** A 32 × 32 document: a base image, a sticker scaled 1.5× at (10, 6), and one of everything that has geometry. */
function scene(): CanvasDocument {
  const doc = createDocument(32, 32);
  doc.layers.push(createImageLayer({ id: 'base', pixelId: 'px-base', width: 32, height: 32, name: 'base' }));
  doc.layers.push({ ...createImageLayer({ id: 'sticker', pixelId: 'px-sticker', width: 8, height: 6, at: { x: 10, y: 6 }, name: 'sticker' }), scaleX: 1.5, scaleY: 1.5, opacity: 0.5 });
  doc.mask.strokes.push({ id: 's1', mode: 'brush', size: 4, hardness: 1, points: [1, 2, 3, 4] });
  doc.selection = { shape: { kind: 'rect', x: 2, y: 3, width: 5, height: 6 }, dx: 1, dy: -2, scaleX: 1.25, scaleY: 1 };
  doc.dragPairs.push({ id: 'd1', handle: { x: 4, y: 5 }, target: { x: 8, y: 9 } });
  doc.reference = { kind: 'rect', x: 1, y: 1, width: 7, height: 3 };
  return doc;
}

/** Where a layer is drawn on the canvas. */
const drawn = (l: { x: number; y: number; width: number; height: number; scaleX: number; scaleY: number }) => ({ x: l.x, y: l.y, width: l.width * l.scaleX, height: l.height * l.scaleY });

describe('landing an upscaled layer', () => {
  it('grow: the document doubles, the new layer sits above its source at the source\'s own scale, and one undo restores everything', () => {
    const store = new DocumentStore({ document: scene() });
    const start = store.doc;
    store.update(landUpscale({ sourceId: 'base', pixelId: 'px-up', width: 64, height: 64, placement: 'grow', layerId: 'up' }), { name: 'upscale layer' });
    const doc = store.doc;
    expect(doc.canvas).toEqual({ width: 64, height: 64 });
    expect(doc.layers.map((l) => l.id)).toEqual(['base', 'up', 'sticker']);
    const up = doc.layers[1];
    expect(up).toMatchObject({ pixelId: 'px-up', width: 64, height: 64, x: 0, y: 0, scaleX: 1, scaleY: 1, name: 'base ×2', visible: true });
    // Nothing moved relative to the picture: every piece of geometry doubled.
    expect(drawn(doc.layers[0])).toEqual({ x: 0, y: 0, width: 64, height: 64 });
    expect(drawn(doc.layers[2])).toEqual({ x: 20, y: 12, width: 24, height: 18 });
    expect(doc.mask.strokes[0]).toMatchObject({ size: 8, points: [2, 4, 6, 8] });
    expect(doc.selection).toEqual({ shape: { kind: 'rect', x: 4, y: 6, width: 10, height: 12 }, dx: 2, dy: -4, scaleX: 1.25, scaleY: 1 });
    expect(doc.dragPairs[0]).toMatchObject({ handle: { x: 8, y: 10 }, target: { x: 16, y: 18 } });
    expect(doc.reference).toEqual({ kind: 'rect', x: 2, y: 2, width: 14, height: 6 });

    expect(store.history.undoName).toBe('upscale layer');
    store.undo();
    expect(store.doc).toEqual(start);
    expect(store.history.canUndo).toBe(false);
  });

  it('grow from a scaled, offset layer: the new layer covers exactly the area its source covers', () => {
    const store = new DocumentStore({ document: scene() });
    store.update(landUpscale({ sourceId: 'sticker', pixelId: 'px-up', width: 16, height: 12, placement: 'grow', layerId: 'up' }));
    const [, source, up] = store.doc.layers;
    expect(up.id).toBe('up');
    expect(drawn(up)).toEqual(drawn(source));
    expect(drawn(up)).toEqual({ x: 20, y: 12, width: 24, height: 18 });
    expect(up).toMatchObject({ scaleX: 1.5, scaleY: 1.5, opacity: 0.5, name: 'sticker ×2' });
  });

  it('keep: the canvas stays, the new layer is drawn at 1/f over its source', () => {
    const store = new DocumentStore({ document: scene() });
    const before = store.doc;
    store.update(landUpscale({ sourceId: 'sticker', pixelId: 'px-up', width: 32, height: 24, placement: 'keep', layerId: 'up' }));
    const doc = store.doc;
    expect(doc.canvas).toEqual({ width: 32, height: 32 });
    expect(doc.layers.map((l) => l.id)).toEqual(['base', 'sticker', 'up']);
    expect(drawn(doc.layers[2])).toEqual(drawn(before.layers[1]));
    expect(doc.layers[2]).toMatchObject({ width: 32, height: 24, scaleX: 1.5 / 4, scaleY: 1.5 / 4, name: 'sticker ×4' });
    expect(doc.mask).toBe(before.mask);
    expect(doc.selection).toBe(before.selection);
  });

  it('does nothing when the source layer is gone', () => {
    const store = new DocumentStore({ document: scene() });
    const before = store.doc;
    store.update(landUpscale({ sourceId: 'nope', pixelId: 'px-up', width: 64, height: 64, placement: 'grow' }));
    expect(store.doc).toBe(before);
    expect(store.history.canUndo).toBe(false);
  });

  it('grow falls back to keep only when the grown canvas would pass the largest side', () => {
    const doc = scene();
    const layer = doc.layers[0];
    expect(feasiblePlacement(doc, layer, 64, 64, 'grow')).toEqual({ placement: 'grow', fellBack: false });
    expect(feasiblePlacement(doc, layer, 64, 64, 'keep')).toEqual({ placement: 'keep', fellBack: false });
    doc.canvas = { width: MAX_CANVAS_SIDE / 2, height: 100 };
    expect(feasiblePlacement(doc, layer, 64, 64, 'grow').placement).toBe('grow');
    doc.canvas = { width: MAX_CANVAS_SIDE / 2 + 1, height: 100 };
    expect(feasiblePlacement(doc, layer, 64, 64, 'grow')).toEqual({ placement: 'keep', fellBack: true });
  });

  it('scales lasso points and unequal factors per axis', () => {
    const doc = scene();
    doc.selection = { shape: { kind: 'lasso', points: [0, 0, 4, 0, 4, 2], closed: true }, dx: 3, dy: 1, scaleX: 1, scaleY: 1 };
    scaleDocument(doc, 2, 4);
    expect(doc.canvas).toEqual({ width: 64, height: 128 });
    expect(doc.selection.shape).toEqual({ kind: 'lasso', points: [0, 0, 8, 0, 8, 8], closed: true });
    expect(doc.selection).toMatchObject({ dx: 6, dy: 4 });
    expect(doc.mask.strokes[0].size).toBeCloseTo(4 * Math.sqrt(8));
  });
});
