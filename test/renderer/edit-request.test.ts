import { describe, expect, it } from 'vitest';
import { createDocument, createImageLayer, editRequestFromDocument, maskStats, type CanvasDocument } from '../../renderer/src/document/index.js';

function docWith(change: (d: CanvasDocument) => void): CanvasDocument {
  const d = createDocument(64, 48);
  d.layers.push(createImageLayer({ id: 'base', pixelId: 'px-base', width: 64, height: 48 }));
  change(d);
  return d;
}

const ones = (mask: Float32Array, w: number) => {
  const out: [number, number][] = [];
  mask.forEach((v, i) => v > 0 && out.push([i % w, Math.floor(i / w)]));
  return out;
};

describe('editRequestFromDocument', () => {
  it('an empty canvas asks for nothing', () => {
    const req = editRequestFromDocument(docWith(() => {}));
    expect(req.kind).toBe('none');
    expect(req.sourceMask).toHaveLength(64 * 48);
    expect(maskStats(req.sourceMask).count).toBe(0);
    expect(req.referenceRegion).toBeNull();
    expect(req.target).toBeNull();
    expect(req.paste).toBeNull();
  });

  it('a moved rectangle selection gives the source mask, the offset and the target mask pixel for pixel', () => {
    const req = editRequestFromDocument(
      docWith((d) => {
        d.selection = { shape: { kind: 'rect', x: 10, y: 5, width: 10, height: 10 }, dx: 20, dy: 3, scaleX: 1, scaleY: 1 };
      }),
    );
    expect(req.kind).toBe('move');
    expect(maskStats(req.sourceMask).count).toBe(100);
    expect(req.referenceRegion).toEqual({ x: 10, y: 5, width: 10, height: 10 });
    expect(req.target?.offset).toEqual({ x: 20, y: 3 });
    expect(req.target?.scale).toEqual({ x: 1, y: 1 });
    expect(req.target?.box).toEqual({ x: 30, y: 8, width: 10, height: 10 });
    const px = ones(req.target!.mask, 64);
    expect(px).toHaveLength(100);
    expect(px[0]).toEqual([30, 8]);
    expect(px[99]).toEqual([39, 17]);
  });

  it('a resized selection scales about the top-left corner of its box', () => {
    const req = editRequestFromDocument(
      docWith((d) => {
        d.selection = { shape: { kind: 'rect', x: 4, y: 4, width: 10, height: 10 }, dx: 0, dy: 0, scaleX: 2, scaleY: 1.5 };
      }),
    );
    expect(req.target?.box).toEqual({ x: 4, y: 4, width: 20, height: 15 });
    expect(maskStats(req.target!.mask).count).toBe(300);
  });

  it('the source mask is the selection plus brush strokes minus eraser strokes', () => {
    const req = editRequestFromDocument(
      docWith((d) => {
        d.selection = { shape: { kind: 'rect', x: 0, y: 0, width: 8, height: 8 }, dx: 0, dy: 0, scaleX: 1, scaleY: 1 };
        d.mask.strokes.push({ id: 'a', mode: 'brush', size: 4, hardness: 1, points: [40.5, 20.5] });
        d.mask.strokes.push({ id: 'b', mode: 'eraser', size: 2, hardness: 1, points: [0.5, 0.5, 7.5, 0.5] });
      }),
    );
    expect(req.kind).toBe('inpaint');
    // Brush dot of radius 2 centred on a pixel centre: centres at distance ≤ 2 → 13 pixels.
    // Eraser of radius 1 along row 0 (x 0..7) removes row 0 and row 1 (distance exactly 1) → 16 of 64.
    expect(maskStats(req.sourceMask).count).toBe(64 - 16 + 13);
    expect(req.sourceMask[0]).toBe(0);
    expect(req.sourceMask[2 * 64]).toBe(1);
    expect(req.referenceRegion).toEqual({ x: 0, y: 2, width: 43, height: 21 });
  });

  it('a lasso selection is filled as a closed polygon', () => {
    const req = editRequestFromDocument(
      docWith((d) => {
        d.selection = { shape: { kind: 'lasso', points: [10, 10, 30, 10, 30, 30, 10, 30], closed: true }, dx: 0, dy: 0, scaleX: 1, scaleY: 1 };
      }),
    );
    expect(maskStats(req.sourceMask).count).toBe(400);
  });

  it('drag pairs pass through; a pasted layer comes with its placement', () => {
    const req = editRequestFromDocument(
      docWith((d) => {
        d.dragPairs.push({ id: 'p', handle: { x: 5, y: 6 }, target: { x: 15, y: 16 } });
        const pasted = createImageLayer({ id: 'pasted', pixelId: 'px-2', width: 20, height: 10, at: { x: 12, y: 7 } });
        pasted.scaleX = 1.5;
        pasted.scaleY = 2;
        d.layers.push(pasted);
      }),
    );
    expect(req.kind).toBe('paste');
    expect(req.dragPoints).toEqual([{ handle: { x: 5, y: 6 }, target: { x: 15, y: 16 } }]);
    expect(req.paste).toEqual({ layerId: 'pasted', pixelId: 'px-2', size: { width: 20, height: 10 }, placement: { x: 12, y: 7, width: 30, height: 20 }, scale: { x: 1.5, y: 2 }, opacity: 1 });
  });

  it('only drag pairs make a drag request; the base layer is never the pasted one', () => {
    const req = editRequestFromDocument(
      docWith((d) => {
        d.dragPairs.push({ id: 'p', handle: { x: 1, y: 2 }, target: { x: 3, y: 4 } });
      }),
      { selectedLayerId: 'base' },
    );
    expect(req.kind).toBe('drag');
    expect(req.paste).toBeNull();
  });
});
