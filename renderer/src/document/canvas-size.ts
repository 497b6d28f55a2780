/**
 * The canvas's size and where things land on it: the rectangle a resize, an extension or a crop
 * makes the new canvas (in the old canvas's coordinates, so the content moves by minus its corner),
 * and the placement of an image that must fit inside the canvas. Pure: plain rectangles.
 */
import type { Rect } from './types.js';

/** The largest canvas side the studio makes (a browser canvas's safe limit). */
export const MAX_CANVAS_SIDE = 16384;

export type CanvasSize = { width: number; height: number };

/** Which edge of the canvas grows or shrinks; 'all' is every edge at once. */
export type CanvasSide = 'left' | 'top' | 'right' | 'bottom' | 'all';

/**
 * Where the old canvas stays when the size changes: its fraction across and down the new canvas
 * (0: the left / top edge stays put, 0.5: centred, 1: the right / bottom edge stays put).
 */
export interface CanvasAnchor {
  x: 0 | 0.5 | 1;
  y: 0 | 0.5 | 1;
}

export const CENTRE_ANCHOR: CanvasAnchor = { x: 0.5, y: 0.5 };

/** A side as the canvas can have it: a whole number of pixels in [1, MAX_CANVAS_SIDE] (null when not a number). */
export function canvasSide(side: number): number | null {
  if (!Number.isFinite(side)) return null;
  return Math.min(MAX_CANVAS_SIDE, Math.max(1, Math.round(side)));
}

/**
 * The new canvas as a rectangle over the old one: `width` × `height` with the old canvas held at
 * `anchor` (a larger size adds room around it, a smaller one crops it). Null when a side is not a number.
 */
export function resizedCanvasRect(canvas: CanvasSize, width: number, height: number, anchor: CanvasAnchor = CENTRE_ANCHOR): Rect | null {
  const w = canvasSide(width), h = canvasSide(height);
  if (w === null || h === null) return null;
  // `+ 0` turns a negative zero (a shrink held at the left or top) into a plain zero.
  return { x: Math.round((canvas.width - w) * anchor.x) + 0, y: Math.round((canvas.height - h) * anchor.y) + 0, width: w, height: h };
}

/**
 * The new canvas after moving one edge (or all four) out by `n` pixels (in by −n), the other edges
 * staying put. Null when `n` is not a number or the canvas would vanish.
 */
export function extendedCanvasRect(canvas: CanvasSize, side: CanvasSide, n: number): Rect | null {
  if (!Number.isFinite(n)) return null;
  const d = Math.round(n);
  const left = side === 'left' || side === 'all' ? d : 0, right = side === 'right' || side === 'all' ? d : 0;
  const top = side === 'top' || side === 'all' ? d : 0, bottom = side === 'bottom' || side === 'all' ? d : 0;
  const width = canvas.width + left + right, height = canvas.height + top + bottom;
  if (width < 1 || height < 1 || width > MAX_CANVAS_SIDE || height > MAX_CANVAS_SIDE) return null;
  // `0 - n`, not `-n`: no negative zero for an edge that did not move.
  return { x: 0 - left, y: 0 - top, width, height };
}

/** The new canvas for a crop to `rect` (the frame, a selection's box): its outer whole pixels; null when it is empty or too large. */
export function cropCanvasRect(rect: Rect): Rect | null {
  const x0 = Math.floor(rect.x), y0 = Math.floor(rect.y);
  const x1 = Math.ceil(rect.x + rect.width), y1 = Math.ceil(rect.y + rect.height);
  const width = x1 - x0, height = y1 - y0;
  if (!(width >= 1 && height >= 1 && width <= MAX_CANVAS_SIDE && height <= MAX_CANVAS_SIDE)) return null;
  return { x: x0, y: y0, width, height };
}

/** Where an image goes on the canvas: its top-left corner and one scale for both axes. */
export interface ImagePlacement {
  x: number;
  y: number;
  scale: number;
}

/**
 * An added image's placement: one larger than the canvas (either way) is scaled down to fit
 * inside it, proportions kept, and centred on the canvas; one that fits keeps its size and is
 * centred on `at` (default the canvas centre), its corner on a whole pixel.
 */
export function fitImagePlacement(image: CanvasSize, canvas: CanvasSize, at?: { x: number; y: number }): ImagePlacement {
  const scale = Math.min(1, canvas.width / image.width, canvas.height / image.height);
  if (scale < 1) {
    return { x: (canvas.width - image.width * scale) / 2, y: (canvas.height - image.height * scale) / 2, scale };
  }
  const c = at ?? { x: canvas.width / 2, y: canvas.height / 2 };
  return { x: Math.round(c.x - image.width / 2), y: Math.round(c.y - image.height / 2), scale: 1 };
}
