import { describe, expect, it } from 'vitest';
import { cropCanvasRect, extendedCanvasRect, fitImagePlacement, MAX_CANVAS_SIDE, resizedCanvasRect } from '../../renderer/src/document/canvas-size.js';
import { createDocument, createImageLayer } from '../../renderer/src/document/index.js';
import { resizeCanvas } from '../../renderer/src/store/actions/canvas.js';
import { DocumentStore } from '../../renderer/src/store/document-store.js';

describe('canvas size geometry', () => {
  it('a resize holds the old canvas at the anchor', () => {
    const c = { width: 100, height: 60 };
    expect(resizedCanvasRect(c, 140, 80)).toEqual({ x: -20, y: -10, width: 140, height: 80 });
    expect(resizedCanvasRect(c, 140, 80, { x: 0, y: 0 })).toEqual({ x: 0, y: 0, width: 140, height: 80 });
    expect(resizedCanvasRect(c, 140, 80, { x: 1, y: 1 })).toEqual({ x: -40, y: -20, width: 140, height: 80 });
    // Smaller crops about the anchor; sides are whole pixels within the limits.
    expect(resizedCanvasRect(c, 50, 30, { x: 1, y: 0.5 })).toEqual({ x: 50, y: 15, width: 50, height: 30 });
    expect(resizedCanvasRect(c, 0.2, 1e9, { x: 0, y: 0 })).toEqual({ x: 0, y: 0, width: 1, height: MAX_CANVAS_SIDE });
    expect(resizedCanvasRect(c, Number.NaN, 10)).toBeNull();
  });

  it('extending moves one edge (or all) and keeps the others', () => {
    const c = { width: 32, height: 32 };
    expect(extendedCanvasRect(c, 'right', 16)).toEqual({ x: 0, y: 0, width: 48, height: 32 });
    expect(extendedCanvasRect(c, 'left', 16)).toEqual({ x: -16, y: 0, width: 48, height: 32 });
    expect(extendedCanvasRect(c, 'top', 8)).toEqual({ x: 0, y: -8, width: 32, height: 40 });
    expect(extendedCanvasRect(c, 'bottom', -8)).toEqual({ x: 0, y: 0, width: 32, height: 24 });
    expect(extendedCanvasRect(c, 'all', 4)).toEqual({ x: -4, y: -4, width: 40, height: 40 });
    expect(extendedCanvasRect(c, 'left', -32)).toBeNull();
    expect(extendedCanvasRect(c, 'all', MAX_CANVAS_SIDE)).toBeNull();
  });

  it('a crop takes the outer whole pixels of its rectangle', () => {
    expect(cropCanvasRect({ x: 2.5, y: -1.2, width: 10, height: 4.4 })).toEqual({ x: 2, y: -2, width: 11, height: 6 });
    expect(cropCanvasRect({ x: 3, y: 3, width: 0, height: 5 })).toBeNull();
  });

  it('an image larger than the canvas is fitted inside it, centred, proportions kept', () => {
    const canvas = { width: 64, height: 48 };
    const wide = fitImagePlacement({ width: 256, height: 128 }, canvas, { x: 0, y: 0 });
    expect(wide.scale).toBe(0.25);
    expect(wide).toEqual({ x: 0, y: 8, scale: 0.25 });
    const tall = fitImagePlacement({ width: 60, height: 96 }, canvas);
    expect(tall.scale).toBe(0.5);
    expect(tall.x + (60 * tall.scale) / 2).toBe(32);
    expect(tall.y).toBe(0);
    // One that fits keeps its size and goes where it was dropped.
    expect(fitImagePlacement({ width: 20, height: 10 }, canvas, { x: 10, y: 40 })).toEqual({ x: 0, y: 35, scale: 1 });
    expect(fitImagePlacement({ width: 64, height: 48 }, canvas)).toEqual({ x: 0, y: 0, scale: 1 });
  });
});

describe('resizeCanvas', () => {
  const setup = () => {
    const doc = createDocument(32, 32);
    doc.layers.push(createImageLayer({ pixelId: 'px', width: 32, height: 32, id: 'base' }));
    doc.mask.strokes.push({ id: 's', mode: 'brush', size: 4, hardness: 1, points: [10, 10, 20, 12] });
    doc.selection = { shape: { kind: 'rect', x: 4, y: 4, width: 8, height: 8 }, dx: 0, dy: 0, scaleX: 1, scaleY: 1 };
    doc.dragPairs.push({ id: 'd', handle: { x: 1, y: 2 }, target: { x: 3, y: 4 } });
    doc.reference = { kind: 'rect', x: 0, y: 0, width: 5, height: 5 };
    doc.frame = { x: 0, y: 0, width: 32, height: 32 };
    return new DocumentStore({ document: doc });
  };

  it('extending the left edge moves everything right, in ONE undo step', () => {
    const store = setup();
    const before = store.doc;
    store.update(resizeCanvas(extendedCanvasRect(store.doc.canvas, 'left', 16)!), { name: 'extend canvas' });
    const d = store.doc;
    expect(d.canvas).toEqual({ width: 48, height: 32 });
    expect([d.layers[0].x, d.layers[0].y]).toEqual([16, 0]);
    expect(d.mask.strokes[0].points).toEqual([26, 10, 36, 12]);
    expect(d.selection?.shape).toMatchObject({ x: 20, y: 4 });
    expect(d.dragPairs[0]).toMatchObject({ handle: { x: 17, y: 2 }, target: { x: 19, y: 4 } });
    expect(d.reference).toMatchObject({ x: 16, y: 0 });
    expect(d.frame).toEqual({ x: 16, y: 0, width: 32, height: 32 });
    expect(store.history.stacks.undo.map((e) => e.name)).toEqual(['extend canvas']);
    store.undo();
    expect(store.doc).toEqual(before);
    store.redo();
    expect(store.doc.canvas).toEqual({ width: 48, height: 32 });
  });

  it('a crop keeps what falls outside (layers and strokes) and keeps the frame in touch', () => {
    const store = setup();
    store.update((doc) => {
      doc.frame = { x: 24, y: 24, width: 8, height: 8 };
    });
    store.update(resizeCanvas({ x: 0, y: 0, width: 16, height: 16 }));
    expect(store.doc.canvas).toEqual({ width: 16, height: 16 });
    expect(store.doc.layers[0]).toMatchObject({ x: 0, y: 0, width: 32, height: 32 });
    expect(store.doc.mask.strokes).toHaveLength(1);
    // The frame was wholly outside the cropped canvas: it is moved back to overlap it by a pixel.
    expect(store.doc.frame).toEqual({ x: 15, y: 15, width: 8, height: 8 });
  });
});
