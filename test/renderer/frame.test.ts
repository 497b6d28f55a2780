import { describe, expect, it } from 'vitest';
import { createDocument, createImageLayer } from '../../renderer/src/document/index.js';
import {
  clampFrame, clampFramePosition, defaultFrame, effectiveFrame, frameMask, frameMode, frameModeHint, generationMask, largestSide,
  resizeFrameAboutCentre, snapResizedFrame, snapSide, uncoveredMask, type FrameRules,
} from '../../renderer/src/document/frame.js';
import { canvasGrowth, landGeneration, setFrame } from '../../renderer/src/store/actions/frame.js';
import { DocumentStore } from '../../renderer/src/store/document-store.js';

/** emoji-32's: trained at 32, sides multiples of 4, at most 128. */
const EMOJI: FrameRules = { size: 32, multiple: 4, maxSide: 128 };
/** Stable Diffusion 1.x's. */
const SD: FrameRules = { size: 512, multiple: 8, maxSide: 4096 };

/** RGBA of `w`×`h` whose alpha is 255 where `covered(x, y)`, else 0. */
function rgba(w: number, h: number, covered: (x: number, y: number) => boolean): Uint8ClampedArray {
  const out = new Uint8ClampedArray(4 * w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.set([200, 100, 50, covered(x, y) ? 255 : 0], 4 * (y * w + x));
  return out;
}

describe('frame geometry: snapping', () => {
  it('sides snap to the nearest multiple, within one multiple and the largest side', () => {
    expect([1, 2, 3, 5, 6, 30, 31, 33, 34, 126, 128, 129, 500].map((v) => snapSide(v, EMOJI))).toEqual([4, 4, 4, 4, 8, 32, 32, 32, 36, 128, 128, 128, 128]);
    expect(snapSide(NaN, EMOJI)).toBe(32);
    expect(snapSide(-40, SD)).toBe(8);
    // A largest side that is not a multiple rounds down to one.
    expect(largestSide({ size: 64, multiple: 8, maxSide: 100 })).toBe(96);
    expect(snapSide(100, { size: 64, multiple: 8, maxSide: 100 })).toBe(96);
    expect(largestSide({ size: 4, multiple: 8, maxSide: 4 })).toBe(8);
  });

  it('a resized side snaps and the opposite side stays put', () => {
    // Dragged the right edge to 45 wide: 44; the left edge stays at 10.
    expect(snapResizedFrame({ x: 10, y: 5, width: 45, height: 32 }, 1, 0, EMOJI)).toEqual({ x: 10, y: 5, width: 44, height: 32 });
    // Dragged the top-left corner: the right and bottom edges (x 42, y 37) stay put.
    expect(snapResizedFrame({ x: 7, y: 2, width: 35, height: 35 }, -1, -1, EMOJI)).toEqual({ x: 6, y: 1, width: 36, height: 36 });
    // Never below one multiple.
    expect(snapResizedFrame({ x: 40, y: 0, width: 1, height: 32 }, -1, 0, EMOJI)).toEqual({ x: 37, y: 0, width: 4, height: 32 });
  });

  it('the panel resizes about the centre, snapped', () => {
    expect(resizeFrameAboutCentre({ x: 0, y: 0, width: 32, height: 32 }, 48, 47, { width: 32, height: 32 }, EMOJI)).toEqual({ x: -8, y: -8, width: 48, height: 48 });
    expect(resizeFrameAboutCentre({ x: 100, y: 100, width: 512, height: 512 }, 768, 512, { width: 1024, height: 1024 }, SD)).toEqual({ x: -28, y: 100, width: 768, height: 512 });
  });
});

describe('frame geometry: clamping and defaults', () => {
  const canvas = { width: 32, height: 32 };

  it('the frame may hang off any edge but keeps at least one pixel on the canvas, in whole pixels', () => {
    expect(clampFramePosition({ x: 16.4, y: -3.6, width: 32, height: 32 }, canvas)).toEqual({ x: 16, y: -4, width: 32, height: 32 });
    expect(clampFramePosition({ x: 100, y: 100, width: 32, height: 32 }, canvas)).toEqual({ x: 31, y: 31, width: 32, height: 32 });
    expect(clampFramePosition({ x: -100, y: -100, width: 32, height: 16 }, canvas)).toEqual({ x: -31, y: -15, width: 32, height: 16 });
    expect(clampFrame({ x: -100, y: 0, width: 300, height: 30 }, canvas, EMOJI)).toEqual({ x: -100, y: 0, width: 128, height: 32 });
  });

  it("defaults to the model's trained size centred on the canvas; a placed frame is made valid for the model", () => {
    expect(defaultFrame({ width: 512, height: 512 }, EMOJI)).toEqual({ x: 240, y: 240, width: 32, height: 32 });
    expect(defaultFrame(canvas, EMOJI)).toEqual({ x: 0, y: 0, width: 32, height: 32 });
    expect(defaultFrame(canvas, SD)).toEqual({ x: -240, y: -240, width: 512, height: 512 });
    const doc = createDocument(32, 32);
    expect(effectiveFrame(doc, EMOJI)).toEqual({ x: 0, y: 0, width: 32, height: 32 });
    doc.frame = { x: 50, y: 3, width: 513, height: 30 };
    expect(effectiveFrame(doc, EMOJI)).toEqual({ x: 31, y: 3, width: 128, height: 32 });
    expect(effectiveFrame(doc, SD)).toEqual({ x: 31, y: 3, width: 512, height: 32 });
  });
});

describe('what is under the frame', () => {
  it('the mask of the uncovered area is 1 − alpha', () => {
    const data = rgba(4, 2, (x) => x < 2);
    data[4 * 1 + 3] = 64; // a half-transparent pixel
    expect([...uncoveredMask(data, 4, 2)].map((v) => +v.toFixed(3))).toEqual([0, 0.749, 1, 1, 0, 0, 1, 1]);
  });

  it('decides the mode: empty → txt2img, all covered → img2img or inpaint, partly covered → outpaint', () => {
    const none = new Float32Array(16);
    const painted = new Float32Array(16);
    painted[5] = 0.5;
    expect(frameMode(rgba(4, 4, () => false), painted, 4, 4)).toBe('txt2img');
    expect(frameMode(rgba(4, 4, () => true), none, 4, 4)).toBe('img2img');
    expect(frameMode(rgba(4, 4, () => true), painted, 4, 4)).toBe('inpaint');
    expect(frameMode(rgba(4, 4, (x) => x < 2), none, 4, 4)).toBe('outpaint');
    expect(frameMode(rgba(4, 4, (x) => x < 2), painted, 4, 4)).toBe('outpaint');
    // Faint pixels (alpha under a half) do not count as an image.
    const faint = rgba(4, 4, () => true).map((v, i) => (i % 4 === 3 ? 100 : v));
    expect(frameMode(faint, none, 4, 4)).toBe('txt2img');
  });

  it('sends the painted mask to inpaint, the painted and uncovered areas together to outpaint, none otherwise', () => {
    const painted = new Float32Array(16);
    painted[0] = 1;
    const half = rgba(4, 4, (x) => x < 2);
    expect(generationMask('inpaint', rgba(4, 4, () => true), painted, 4, 4)).toBe(painted);
    expect([...generationMask('outpaint', half, painted, 4, 4)!]).toEqual([1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
    expect(generationMask('img2img', half, painted, 4, 4)).toBeNull();
    expect(generationMask('txt2img', half, painted, 4, 4)).toBeNull();
  });

  it('rasterises the painted mask in frame coordinates, only where it lies on the canvas', () => {
    const doc = createDocument(8, 8);
    doc.mask.strokes.push({ id: 's', mode: 'brush', size: 2, hardness: 1, points: [6, 2, 6, 6] }); // a hard line over columns 5–6, rows 1–6
    const mask = frameMask(doc, { x: 4, y: 0, width: 8, height: 8 });
    const column = (x: number) => Array.from({ length: 8 }, (_, y) => mask[y * 8 + x]);
    expect(column(1)).toEqual([0, 1, 1, 1, 1, 1, 1, 0]);
    expect(column(2)).toEqual([0, 1, 1, 1, 1, 1, 1, 0]);
    expect(column(0)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    // A stroke painted beyond the canvas edge carries nothing into the frame's off-canvas part.
    doc.mask.strokes.push({ id: 't', mode: 'brush', size: 4, hardness: 1, points: [9, 4] });
    const more = frameMask(doc, { x: 4, y: 0, width: 8, height: 8 });
    expect(more[4 * 8 + 3]).toBe(1); // canvas x = 7
    expect(more[4 * 8 + 4]).toBe(0); // canvas x = 8, off the canvas
  });

  it("the panel's hint reads the same modes from the layers' boxes and the strokes", () => {
    const doc = createDocument(32, 32);
    const frame = { x: 0, y: 0, width: 32, height: 32 };
    expect(frameModeHint(doc, frame)).toBe('txt2img');
    doc.layers.push(createImageLayer({ pixelId: 'p', width: 32, height: 32 }));
    expect(frameModeHint(doc, frame)).toBe('img2img');
    doc.mask.strokes.push({ id: 's', mode: 'brush', size: 4, hardness: 1, points: [10, 10] });
    expect(frameModeHint(doc, frame)).toBe('inpaint');
    expect(frameModeHint(doc, { ...frame, x: 16 })).toBe('outpaint');
    expect(frameModeHint(doc, { ...frame, x: 40 })).toBe('txt2img');
  });
});

describe('the frame in the document', () => {
  it('placing the frame is undoable', () => {
    const store = new DocumentStore({ document: createDocument(32, 32) });
    store.update(setFrame({ x: 16, y: 0, width: 32, height: 32 }), { name: 'move frame' });
    expect(store.doc.frame).toEqual({ x: 16, y: 0, width: 32, height: 32 });
    store.undo();
    expect(store.doc.frame).toBeNull();
  });

  it('the canvas grows to take in a frame hanging off it, shifting the content when it hangs off the left or top', () => {
    expect(canvasGrowth({ width: 32, height: 32 }, { x: 16, y: 0, width: 32, height: 32 })).toEqual({ width: 48, height: 32, dx: 0, dy: 0 });
    expect(canvasGrowth({ width: 32, height: 32 }, { x: -8, y: -4, width: 32, height: 32 })).toEqual({ width: 40, height: 36, dx: 8, dy: 4 });
    expect(canvasGrowth({ width: 32, height: 32 }, { x: 4, y: 4, width: 8, height: 8 })).toEqual({ width: 32, height: 32, dx: 0, dy: 0 });
  });

  it('a result lands over its frame as one undo step; undo restores canvas, content and frame', () => {
    const doc = createDocument(32, 32);
    doc.layers.push(createImageLayer({ id: 'base', pixelId: 'p0', width: 32, height: 32 }));
    doc.mask.strokes.push({ id: 's', mode: 'brush', size: 2, hardness: 1, points: [1, 2, 3, 4] });
    doc.selection = { shape: { kind: 'rect', x: 2, y: 2, width: 4, height: 4 }, dx: 1, dy: 1, scaleX: 1, scaleY: 1 };
    doc.dragPairs.push({ id: 'd', handle: { x: 5, y: 5 }, target: { x: 6, y: 6 } });
    doc.reference = { kind: 'rect', x: 0, y: 0, width: 8, height: 8 };
    doc.frame = { x: -8, y: -4, width: 32, height: 32 };
    const store = new DocumentStore({ document: doc });
    const before = store.doc;
    store.update(landGeneration(doc.frame, createImageLayer({ id: 'result', pixelId: 'p1', width: 32, height: 32 })), { name: 'outpaint' });
    const after = store.doc;
    expect(after.canvas).toEqual({ width: 40, height: 36 });
    expect(after.layers.map((l) => [l.id, l.x, l.y, l.scaleX])).toEqual([['base', 8, 4, 1], ['result', 0, 0, 1]]);
    expect(after.frame).toEqual({ x: 0, y: 0, width: 32, height: 32 });
    expect(after.mask.strokes[0].points).toEqual([9, 6, 11, 8]);
    expect(after.selection!.shape).toMatchObject({ x: 10, y: 6 });
    expect(after.dragPairs[0]).toMatchObject({ handle: { x: 13, y: 9 }, target: { x: 14, y: 10 } });
    expect(after.reference).toMatchObject({ x: 8, y: 4 });
    expect(store.history.stacks.undo.map((e) => e.name)).toEqual(['outpaint']);
    store.undo();
    expect(store.doc).toEqual(before);
    store.redo();
    expect(store.doc).toEqual(after);
  });

  it('a result of another size than its frame is scaled into it', () => {
    const store = new DocumentStore({ document: createDocument(64, 64) });
    store.update(landGeneration({ x: 8, y: 8, width: 48, height: 32 }, createImageLayer({ id: 'r', pixelId: 'p', width: 24, height: 16 })));
    expect(store.doc.layers[0]).toMatchObject({ x: 8, y: 8, scaleX: 2, scaleY: 2 });
  });
});
