/** Small geometry helpers over plain points, rectangles and flat polygons. */
import type { ImageLayer, Point, Rect, Selection, SelectionShape } from './types.js';

export function normalizeRect(a: Point, b: Point): Rect {
  return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), width: Math.abs(b.x - a.x), height: Math.abs(b.y - a.y) };
}

export function rectContains(r: Rect, p: Point): boolean {
  return p.x >= r.x && p.x <= r.x + r.width && p.y >= r.y && p.y <= r.y + r.height;
}

export function polygonBounds(points: readonly number[]): Rect {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i + 1 < points.length; i += 2) {
    minX = Math.min(minX, points[i]); maxX = Math.max(maxX, points[i]);
    minY = Math.min(minY, points[i + 1]); maxY = Math.max(maxY, points[i + 1]);
  }
  if (minX > maxX) return { x: 0, y: 0, width: 0, height: 0 };
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

/** Shoelace area of a closed flat polygon (absolute value). */
export function polygonArea(points: readonly number[]): number {
  let s = 0;
  const n = Math.floor(points.length / 2);
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    s += points[2 * i] * points[2 * j + 1] - points[2 * j] * points[2 * i + 1];
  }
  return Math.abs(s) / 2;
}

/** Even-odd point-in-polygon test over a flat, implicitly closed polygon. */
export function pointInPolygon(points: readonly number[], p: Point): boolean {
  let inside = false;
  const n = Math.floor(points.length / 2);
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = points[2 * i], yi = points[2 * i + 1], xj = points[2 * j], yj = points[2 * j + 1];
    if (yi > p.y !== yj > p.y && p.x < ((xj - xi) * (p.y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The shape as a flat polygon (a rectangle becomes its four corners, clockwise). */
export function shapePolygon(shape: SelectionShape): number[] {
  if (shape.kind === 'lasso') return shape.points;
  const { x, y, width: w, height: h } = shape;
  return [x, y, x + w, y, x + w, y + h, x, y + h];
}

export function shapeBounds(shape: SelectionShape): Rect {
  return shape.kind === 'rect' ? { x: shape.x, y: shape.y, width: shape.width, height: shape.height } : polygonBounds(shape.points);
}

/** Where the selection's content goes: its source box moved by (dx, dy) and scaled. */
export function selectionTargetBox(sel: Selection): Rect {
  const b = shapeBounds(sel.shape);
  return { x: b.x + sel.dx, y: b.y + sel.dy, width: b.width * sel.scaleX, height: b.height * sel.scaleY };
}

/** The selection's polygon after its move/resize (flat). */
export function selectionTargetPolygon(sel: Selection): number[] {
  const b = shapeBounds(sel.shape);
  const src = shapePolygon(sel.shape);
  const out = new Array<number>(src.length);
  for (let i = 0; i + 1 < src.length; i += 2) {
    out[i] = b.x + sel.dx + (src[i] - b.x) * sel.scaleX;
    out[i + 1] = b.y + sel.dy + (src[i + 1] - b.y) * sel.scaleY;
  }
  return out;
}

export function isSelectionTransformed(sel: Selection): boolean {
  return sel.dx !== 0 || sel.dy !== 0 || sel.scaleX !== 1 || sel.scaleY !== 1;
}

/** A layer's box on the canvas (rotation is always 0). */
export function layerBox(layer: ImageLayer): Rect {
  return { x: layer.x, y: layer.y, width: layer.width * layer.scaleX, height: layer.height * layer.scaleY };
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}
