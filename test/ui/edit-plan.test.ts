import { describe, expect, it } from 'vitest';
import { createDocument, createImageLayer, editRequestFromDocument, maskBounds, maskStats, type CanvasDocument } from '../../renderer/src/document/index.js';
import { chooseKind, dragAreaMask, dragRadius, editCandidates, pasteGeometry, planEdit, rectMask, referenceFit, toApiRequest, type EditPlan, type Png } from '../../renderer/src/ui/edit/plan.js';

const W = 64, H = 48;

function docWith(change: (d: CanvasDocument) => void = () => {}): CanvasDocument {
  const d = createDocument(W, H);
  d.layers.push(createImageLayer({ id: 'base', pixelId: 'px-base', width: W, height: H }));
  change(d);
  return d;
}

const plan = (doc: CanvasDocument, kind: Parameters<typeof planEdit>[2]) => planEdit(doc, editRequestFromDocument(doc), kind);
const okPlan = (doc: CanvasDocument, kind: Parameters<typeof planEdit>[2]): EditPlan => {
  const p = plan(doc, kind);
  if (!p.ok) throw new Error(p.error);
  return p.plan;
};
const png = (n: number): Png => new Uint8Array([n]);
const run = { jobId: 'j1', model: 'emoji-32', prompt: 'a face', preset: 'fast' as const, seed: 3, options: {}, previewEvery: 1 };

describe('which task the canvas describes', () => {
  it('an empty canvas offers none; a moved selection offers move; the pick wins only among candidates', () => {
    const empty = docWith();
    expect(editCandidates(empty, editRequestFromDocument(empty))).toEqual([]);
    expect(chooseKind([], 'move')).toBeNull();

    const d = docWith((x) => {
      x.selection = { shape: { kind: 'rect', x: 10, y: 10, width: 8, height: 6 }, dx: 12, dy: 4, scaleX: 1, scaleY: 1 };
      x.dragPairs.push({ id: 'p', handle: { x: 5, y: 5 }, target: { x: 9, y: 5 } });
      x.reference = { kind: 'rect', x: 40, y: 30, width: 10, height: 10 };
    });
    const c = editCandidates(d, editRequestFromDocument(d));
    expect(c).toEqual(['move', 'drag', 'appearance']);
    expect(chooseKind(c, null)).toBe('move');
    expect(chooseKind(c, 'appearance')).toBe('appearance');
    expect(chooseKind(c, 'paste')).toBe('move');
  });

  it('a second visible layer makes paste the first candidate', () => {
    const d = docWith((x) => x.layers.push(createImageLayer({ id: 'obj', pixelId: 'px-obj', width: 10, height: 10, at: { x: 3, y: 4 } })));
    expect(editCandidates(d, editRequestFromDocument(d))).toEqual(['paste']);
  });
});

describe('planning an edit', () => {
  it('move/resize: the source mask, the target offset and scale; the selection is consumed', () => {
    const d = docWith((x) => {
      x.selection = { shape: { kind: 'rect', x: 10, y: 10, width: 8, height: 6 }, dx: 12, dy: -4, scaleX: 1.5, scaleY: 1.5 };
    });
    const p = okPlan(d, 'move');
    expect(p).toMatchObject({ kind: 'move', width: W, height: H, base: { layerId: 'base', pixelId: 'px-base' }, offset: { x: 12, y: -4 }, scale: { x: 1.5, y: 1.5 }, consumes: { selection: true } });
    expect(maskBounds(p.mask!, W, H)).toEqual({ x: 10, y: 10, width: 8, height: 6 });
    const req = toApiRequest(p, { image: png(1), mask: png(2) }, run);
    expect(req).toEqual({ jobId: 'j1', model: 'emoji-32', kind: 'move', image: png(1), mask: png(2), offset: { x: 12, y: -4 }, scale: { x: 1.5, y: 1.5 }, prompt: 'a face', preset: 'fast', seed: 3, options: {}, previewEvery: 1 });
  });

  it('move without a moved selection, or without an image, is refused with what to do', () => {
    const still = docWith((x) => {
      x.selection = { shape: { kind: 'rect', x: 10, y: 10, width: 8, height: 6 }, dx: 0, dy: 0, scaleX: 1, scaleY: 1 };
    });
    expect(plan(still, 'move')).toEqual({ ok: false, error: expect.stringMatching(/move or resize it with V/) });
    const bare = createDocument(W, H);
    bare.selection = { shape: { kind: 'rect', x: 1, y: 1, width: 4, height: 4 }, dx: 3, dy: 0, scaleX: 1, scaleY: 1 };
    expect(plan(bare, 'move')).toEqual({ ok: false, error: expect.stringMatching(/Put an image on the canvas/) });
  });

  it('drag: the pairs and the painted mask; without a mask, boxes around each handle and target, said in a note', () => {
    const pairs = [{ id: 'a', handle: { x: 20, y: 20 }, target: { x: 30, y: 22 } }];
    const painted = docWith((x) => {
      x.dragPairs.push(...pairs);
      x.mask.strokes.push({ id: 's', mode: 'brush', size: 6, hardness: 1, points: [20, 20, 30, 22] });
    });
    const p = okPlan(painted, 'drag');
    expect(p.drag).toEqual([{ handle: { x: 20, y: 20 }, target: { x: 30, y: 22 } }]);
    expect(p.notes).toEqual([]);
    expect(p.consumes).toEqual({ dragPairs: true });
    expect(maskStats(p.mask!).count).toBe(maskStats(editRequestFromDocument(painted).sourceMask).count);

    const bare = docWith((x) => x.dragPairs.push(...pairs));
    const q = okPlan(bare, 'drag');
    const r = dragRadius(W, H);
    expect(r).toBe(6);
    expect(q.notes[0]).toMatch(/within 6 px of each handle and target/);
    expect(maskBounds(q.mask!, W, H)).toEqual({ x: 20 - r, y: 20 - r, width: 30 + r - (20 - r) + 1, height: 22 + r - (20 - r) + 1 });
    expect(q.mask![20 * W + 20]).toBe(1);
    expect(q.mask![22 * W + 30]).toBe(1);
    expect(q.mask![40 * W + 60]).toBe(0);
    expect(toApiRequest(q, { image: png(1), mask: png(2) }, run).drag).toEqual([{ handle: { x: 20, y: 20 }, target: { x: 30, y: 22 } }]);
  });

  it('drag boxes are clipped to the canvas', () => {
    const m = dragAreaMask([{ handle: { x: 0, y: 0 }, target: { x: 63.5, y: 47.9 } }], 2, W, H);
    expect(maskStats(m).count).toBe(9 + 9);
  });

  it('paste: the pasted layer is the reference; its opaque part, placed and scaled, is the target and the offset', () => {
    const d = docWith((x) => x.layers.push({ ...createImageLayer({ id: 'obj', pixelId: 'px-obj', width: 10, height: 8, at: { x: 30, y: 20 } }), scaleX: 2, scaleY: 1.5, opacity: 0.5 }));
    const p = okPlan(d, 'paste');
    expect(p.mask).toBeNull();
    expect(p.reference).toEqual({ from: 'layer', layerId: 'obj', pixelId: 'px-obj', placement: { x: 30, y: 20, width: 20, height: 12 }, scale: { x: 2, y: 1.5 } });
    expect(p.consumes).toEqual({ layerId: 'obj' });
    expect(p.notes[0]).toMatch(/opacity/);
    if (p.reference?.from !== 'layer') throw new Error('expected a layer reference');
    // The opaque part of the layer: columns 2‥5, rows 2‥5 of its own pixels.
    const g = pasteGeometry(p.reference, { x: 2, y: 2, width: 4, height: 4 }, 1, W, H);
    if (!g.ok) throw new Error(g.error);
    expect(g.offset).toEqual({ x: 34, y: 23 });
    expect(g.scale).toEqual({ x: 2, y: 1.5 });
    expect(maskBounds(g.mask, W, H)).toEqual({ x: 34, y: 23, width: 8, height: 6 });
    const req = toApiRequest(p, { image: png(1), mask: png(2), reference: { image: png(3), mask: png(4) }, offset: g.offset, scale: g.scale }, run);
    expect(req).toMatchObject({ kind: 'paste', offset: { x: 34, y: 23 }, scale: { x: 2, y: 1.5 }, reference: { image: png(3), mask: png(4) } });
    expect(req.reference?.prompt).toBeUndefined();
    // The pasted image's own prompt goes with it (and only with a paste).
    const named = toApiRequest(p, { image: png(1), mask: png(2), reference: { image: png(3), mask: png(4) } }, { ...run, referencePrompt: 'a cat' });
    expect(named.reference?.prompt).toBe('a cat');
  });

  it('paste: a layer larger than the canvas is drawn shrunk into the reference, and its scale grows to match', () => {
    expect(referenceFit({ width: 10, height: 10 }, W, H)).toBe(1);
    expect(referenceFit({ width: 128, height: 48 }, W, H)).toBe(0.5);
    const ref = { layerId: 'o', pixelId: 'p', placement: { x: 0, y: 0, width: 32, height: 12 }, scale: { x: 0.25, y: 0.25 } };
    const g = pasteGeometry(ref, { x: 0, y: 0, width: 128, height: 48 }, 0.5, W, H);
    if (!g.ok) throw new Error(g.error);
    // 128 px drawn at 0.5 is 64 px in the reference; placed at 32 px wide it is scaled by 0.5 = 0.25 / 0.5.
    expect(g.scale).toEqual({ x: 0.5, y: 0.5 });
    expect(maskBounds(g.mask, W, H)).toEqual({ x: 0, y: 0, width: 32, height: 12 });
  });

  it('paste refuses a fully transparent layer and one off the canvas', () => {
    const ref = { layerId: 'o', pixelId: 'p', placement: { x: 100, y: 0, width: 10, height: 10 }, scale: { x: 1, y: 1 } };
    expect(pasteGeometry(ref, null, 1, W, H)).toEqual({ ok: false, error: expect.stringMatching(/fully transparent/) });
    expect(pasteGeometry(ref, { x: 0, y: 0, width: 10, height: 10 }, 1, W, H)).toEqual({ ok: false, error: expect.stringMatching(/outside the canvas/) });
  });

  it('appearance: the masked region is the base region, the marked reference region the reference mask over the same image', () => {
    const d = docWith((x) => {
      x.selection = { shape: { kind: 'rect', x: 4, y: 4, width: 10, height: 10 }, dx: 0, dy: 0, scaleX: 1, scaleY: 1 };
      x.reference = { kind: 'rect', x: 40, y: 30, width: 12, height: 9 };
    });
    const p = okPlan(d, 'appearance');
    expect(maskBounds(p.mask!, W, H)).toEqual({ x: 4, y: 4, width: 10, height: 10 });
    if (p.reference?.from !== 'base') throw new Error('expected a base reference');
    expect(maskBounds(p.reference.mask, W, H)).toEqual({ x: 40, y: 30, width: 12, height: 9 });
    expect(maskStats(p.reference.mask).count).toBe(12 * 9);
    expect(p.consumes).toEqual({ reference: true });
    expect(p.offset).toBeUndefined();
    const req = toApiRequest(p, { image: png(1), mask: png(2), reference: { image: png(1), mask: png(5) } }, { ...run, steps: 12, cfgScale: 4, negativePrompt: 'blurry' });
    expect(req).toMatchObject({ kind: 'appearance', reference: { image: png(1), mask: png(5) }, steps: 12, cfgScale: 4, negativePrompt: 'blurry' });
    expect(req.offset).toBeUndefined();
    expect(toApiRequest(p, { image: png(1), mask: png(2), reference: { image: png(1), mask: png(5) } }, { ...run, referencePrompt: 'a cat' }).reference?.prompt).toBeUndefined();
  });

  it('appearance needs both regions', () => {
    const noRef = docWith((x) => x.mask.strokes.push({ id: 's', mode: 'brush', size: 6, hardness: 1, points: [10, 10] }));
    expect(plan(noRef, 'appearance')).toEqual({ ok: false, error: expect.stringMatching(/reference region \(R\)/) });
    const noMask = docWith((x) => (x.reference = { kind: 'rect', x: 1, y: 1, width: 5, height: 5 }));
    expect(plan(noMask, 'appearance')).toEqual({ ok: false, error: expect.stringMatching(/Paint \(B\) or select/) });
  });

  it('rectMask covers the pixels whose centres are inside', () => {
    expect(maskStats(rectMask({ x: 0.5, y: 0.5, width: 3, height: 2 }, 8, 8)).count).toBe(6);
  });
});
