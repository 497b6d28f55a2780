/**
 * Recipes over the generation frame, and the one that lands a generation's result in it: a new
 * layer over the frame, the canvas grown to take it in (everything shifted right/down when the
 * frame hung off the left or top edge), all in one undo step.
 */
import type { CanvasDocument, ImageLayer, Rect } from '../../document/types.js';
import type { Recipe } from '../document-store.js';

/** Place the frame (or go back to the default one with null). */
export function setFrame(rect: Rect | null): Recipe {
  return (doc) => {
    doc.frame = rect ? { x: rect.x, y: rect.y, width: rect.width, height: rect.height } : null;
  };
}

/** How the canvas grows to take in `rect`: its new size, and how far the content moves right and down. */
export function canvasGrowth(canvas: { width: number; height: number }, rect: Rect): { width: number; height: number; dx: number; dy: number } {
  const dx = Math.max(0, -Math.floor(rect.x)), dy = Math.max(0, -Math.floor(rect.y));
  const right = Math.max(canvas.width, Math.ceil(rect.x + rect.width)), bottom = Math.max(canvas.height, Math.ceil(rect.y + rect.height));
  return { width: right + dx, height: bottom + dy, dx, dy };
}

/** Move everything the document places (layers, mask, selection, drag points, reference, frame) by (dx, dy). */
export function translateContent(doc: CanvasDocument, dx: number, dy: number): void {
  if (dx === 0 && dy === 0) return;
  const flat = (points: number[]) => points.forEach((v, i) => (points[i] = v + (i % 2 === 0 ? dx : dy)));
  for (const layer of doc.layers) {
    layer.x += dx;
    layer.y += dy;
  }
  for (const stroke of doc.mask.strokes) flat(stroke.points);
  const shape = doc.selection?.shape;
  if (shape?.kind === 'rect') {
    shape.x += dx;
    shape.y += dy;
  } else if (shape?.kind === 'lasso') flat(shape.points);
  for (const pair of doc.dragPairs) {
    for (const p of [pair.handle, pair.target]) {
      p.x += dx;
      p.y += dy;
    }
  }
  for (const r of [doc.reference, doc.frame]) {
    if (!r) continue;
    r.x += dx;
    r.y += dy;
  }
}

/**
 * A generation's result lands: the canvas grows to take in `frame` (the frame the generation ran
 * on, in the document's coordinates before the change), and `layer` is placed over it on top.
 */
export function landGeneration(frame: Rect, layer: ImageLayer): Recipe {
  return (doc) => {
    const g = canvasGrowth(doc.canvas, frame);
    translateContent(doc, g.dx, g.dy);
    doc.canvas = { width: g.width, height: g.height };
    doc.layers.push({ ...layer, x: frame.x + g.dx, y: frame.y + g.dy, scaleX: frame.width / layer.width, scaleY: frame.height / layer.height });
  };
}
