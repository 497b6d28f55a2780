/**
 * The generation frame (InvokeAI's bounding box): the rectangle Generate works on and where its
 * result lands. Its sides are multiples of what the model needs and at most the largest side it
 * makes; its default is the model's trained size centred on the canvas; it may hang off the canvas
 * (what is not covered by an image there is outpainted) but always overlaps it. What lies under it
 * decides the kind of generation (`frameMode`). Pure: plain rectangles and Float32Array masks.
 */
import type { CanvasDocument, MaskStroke, Rect } from './types.js';
import { applyStroke } from './raster/stroke.js';

/** What the selected model allows a frame to be. */
export interface FrameRules {
  /** The model's trained size (a square's side, pixels): the frame's default. */
  size: number;
  /** Frame sides are multiples of this (the VAE's and the UNet's downsampling together). */
  multiple: number;
  /** The largest side the model makes. */
  maxSide: number;
}

/** Until the model has said (or for an engine that cannot say): Stable Diffusion 1.x's. */
export const FALLBACK_FRAME_RULES: FrameRules = { size: 512, multiple: 8, maxSide: 4096 };

/** The largest side a frame can have: `maxSide` rounded down to the multiple (never below one multiple). */
export function largestSide(rules: FrameRules): number {
  return Math.max(rules.multiple, Math.floor(rules.maxSide / rules.multiple) * rules.multiple);
}

/** A side snapped to the nearest multiple, within [multiple, largestSide]; a side that is not a number becomes the trained size. */
export function snapSide(side: number, rules: FrameRules): number {
  const m = rules.multiple;
  const v = Number.isFinite(side) ? side : rules.size;
  return Math.min(largestSide(rules), Math.max(m, Math.round(v / m) * m));
}

/**
 * The frame kept in touch with the canvas: integer position, moved (never resized) so that it
 * overlaps the canvas by at least one pixel each way. It may hang off any edge to outpaint.
 */
export function clampFramePosition(frame: Rect, canvas: { width: number; height: number }): Rect {
  const x = Math.min(canvas.width - 1, Math.max(1 - frame.width, Math.round(frame.x)));
  const y = Math.min(canvas.height - 1, Math.max(1 - frame.height, Math.round(frame.y)));
  return { x, y, width: frame.width, height: frame.height };
}

/** A frame the model can make, in touch with the canvas: sides snapped (`snapSide`), then the position clamped. */
export function clampFrame(frame: Rect, canvas: { width: number; height: number }, rules: FrameRules): Rect {
  return clampFramePosition({ x: frame.x, y: frame.y, width: snapSide(frame.width, rules), height: snapSide(frame.height, rules) }, canvas);
}

/** The default frame: the trained size (snapped), centred on the canvas. */
export function defaultFrame(canvas: { width: number; height: number }, rules: FrameRules): Rect {
  const side = snapSide(rules.size, rules);
  return clampFramePosition({ x: Math.round((canvas.width - side) / 2), y: Math.round((canvas.height - side) / 2), width: side, height: side }, canvas);
}

/** The frame Generate uses: the document's (made valid for the model), else the default. */
export function effectiveFrame(doc: Pick<CanvasDocument, 'canvas' | 'frame'>, rules: FrameRules): Rect {
  return doc.frame ? clampFrame(doc.frame, doc.canvas, rules) : defaultFrame(doc.canvas, rules);
}

/**
 * A box resized by dragging a side or corner, snapped: each side that moved takes the nearest
 * allowed length, the opposite side staying put. `sx`/`sy` say which sides moved (−1 left/top,
 * +1 right/bottom, 0 neither), as the transformer's handles do.
 */
export function snapResizedFrame(box: Rect, sx: -1 | 0 | 1, sy: -1 | 0 | 1, rules: FrameRules): Rect {
  const width = snapSide(box.width, rules), height = snapSide(box.height, rules);
  const x = sx === -1 ? box.x + box.width - width : box.x;
  const y = sy === -1 ? box.y + box.height - height : box.y;
  return { x: Math.round(x), y: Math.round(y), width, height };
}

/** The frame resized to `width` × `height` (snapped) about its centre, kept in touch with the canvas. */
export function resizeFrameAboutCentre(frame: Rect, width: number, height: number, canvas: { width: number; height: number }, rules: FrameRules): Rect {
  const w = snapSide(width, rules), h = snapSide(height, rules);
  return clampFramePosition({ x: frame.x + (frame.width - w) / 2, y: frame.y + (frame.height - h) / 2, width: w, height: h }, canvas);
}

/**
 * The painted mask under the frame, frame-sized (1 = repaint): the brush and eraser strokes in
 * order, only where they are drawn on the canvas (the overlay shows no paint outside it).
 */
export function frameMask(doc: Pick<CanvasDocument, 'canvas' | 'mask'>, frame: Rect): Float32Array {
  const { width, height } = frame;
  const out = new Float32Array(width * height);
  for (const stroke of doc.mask.strokes) applyStroke(out, width, height, shiftStroke(stroke, -frame.x, -frame.y));
  // Frame pixels off the canvas carry no paint.
  for (let y = 0; y < height; y++) {
    const dy = frame.y + y;
    for (let x = 0; x < width; x++) {
      const dx = frame.x + x;
      if (dx < 0 || dy < 0 || dx >= doc.canvas.width || dy >= doc.canvas.height) out[y * width + x] = 0;
    }
  }
  return out;
}

function shiftStroke(stroke: MaskStroke, dx: number, dy: number): MaskStroke {
  return { ...stroke, points: stroke.points.map((v, i) => v + (i % 2 === 0 ? dx : dy)) };
}

/** A pixel counts as covered by an image when its alpha is at least this (of 255). */
export const COVERED_ALPHA = 128;

/**
 * What is missing under the frame, from the alpha of the visible layers composited there (RGBA,
 * frame-sized): 1 − alpha per pixel, so a transparent pixel is fully masked and an opaque one not.
 */
export function uncoveredMask(rgba: ArrayLike<number>, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) out[i] = 1 - rgba[4 * i + 3] / 255;
  return out;
}

/**
 * What Generate does with what is under the frame:
 *   txt2img   no image under it;
 *   outpaint  an image under part of it: the rest is generated (mask = uncovered ∪ painted);
 *   inpaint   an image under all of it and mask painted inside it: the mask is regenerated;
 *   img2img   an image under all of it, no mask: the image is redrawn at the chosen strength.
 */
export type FrameMode = 'txt2img' | 'img2img' | 'inpaint' | 'outpaint';

export function frameMode(rgba: ArrayLike<number>, painted: Float32Array, width: number, height: number): FrameMode {
  let covered = 0;
  const n = width * height;
  for (let i = 0; i < n; i++) if (rgba[4 * i + 3] >= COVERED_ALPHA) covered++;
  if (covered === 0) return 'txt2img';
  if (covered < n) return 'outpaint';
  return painted.some((v) => v > 0) ? 'inpaint' : 'img2img';
}

/** The mask a generation sends for a mode (null for txt2img and img2img): painted, or painted ∪ uncovered. */
export function generationMask(mode: FrameMode, rgba: ArrayLike<number>, painted: Float32Array, width: number, height: number): Float32Array | null {
  if (mode === 'inpaint') return painted;
  if (mode !== 'outpaint') return null;
  const uncovered = uncoveredMask(rgba, width, height);
  return uncovered.map((v, i) => Math.max(v, painted[i]));
}

/**
 * The mode Generate will most likely run, from the layers' boxes and the strokes alone (no pixels
 * read): for the Generate panel to say what the frame is over. Transparent pixels inside a layer
 * count as covered here; Generate itself decides from the pixels (`frameMode`).
 */
export function frameModeHint(doc: Pick<CanvasDocument, 'canvas' | 'layers' | 'mask'>, frame: Rect, samples = 16): FrameMode {
  const boxes = doc.layers.filter((l) => l.visible).map((l) => ({ x: l.x, y: l.y, width: l.width * l.scaleX, height: l.height * l.scaleY }));
  let covered = 0;
  for (let j = 0; j < samples; j++) {
    for (let i = 0; i < samples; i++) {
      const px = frame.x + ((i + 0.5) * frame.width) / samples, py = frame.y + ((j + 0.5) * frame.height) / samples;
      if (boxes.some((b) => px >= b.x && px < b.x + b.width && py >= b.y && py < b.y + b.height)) covered++;
    }
  }
  if (covered === 0) return 'txt2img';
  if (covered < samples * samples) return 'outpaint';
  const x0 = Math.max(0, frame.x), y0 = Math.max(0, frame.y);
  const x1 = Math.min(doc.canvas.width, frame.x + frame.width), y1 = Math.min(doc.canvas.height, frame.y + frame.height);
  const painted = doc.mask.strokes.some((s) => {
    if (s.mode !== 'brush') return false;
    const r = s.size / 2;
    for (let k = 0; k + 1 < s.points.length; k += 2) {
      if (s.points[k] + r > x0 && s.points[k] - r < x1 && s.points[k + 1] + r > y0 && s.points[k + 1] - r < y1) return true;
    }
    return false;
  });
  return painted ? 'inpaint' : 'img2img';
}
