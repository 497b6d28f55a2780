/** Rasterise the document's mask strokes and selection to Float32Arrays at canvas resolution. */
import { selectionTargetPolygon, shapePolygon } from '../geometry.js';
import type { CanvasDocument, MaskStroke, Selection } from '../types.js';
import { fillPolygon } from './polygon.js';
import { applyStroke } from './stroke.js';

export function rasterizeStrokes(strokes: readonly MaskStroke[], width: number, height: number, base?: Float32Array): Float32Array {
  const mask = base ?? new Float32Array(width * height);
  for (const stroke of strokes) applyStroke(mask, width, height, stroke);
  return mask;
}

/** The selection's source region (where it was drawn), or its moved/resized target region. */
export function rasterizeSelection(sel: Selection, width: number, height: number, where: 'source' | 'target' = 'source'): Float32Array {
  const out = new Float32Array(width * height);
  fillPolygon(out, width, height, where === 'source' ? shapePolygon(sel.shape) : selectionTargetPolygon(sel));
  return out;
}

/** The selection's source region, then the mask strokes in order (brush adds, eraser removes). */
export function rasterizeSourceMask(doc: CanvasDocument): Float32Array {
  const { width, height } = doc.canvas;
  const mask = doc.selection ? rasterizeSelection(doc.selection, width, height) : new Float32Array(width * height);
  return rasterizeStrokes(doc.mask.strokes, width, height, mask);
}

/** Number of pixels with a value above `threshold`, and the sum of all values. */
export function maskStats(mask: Float32Array, threshold = 0): { count: number; sum: number } {
  let count = 0, sum = 0;
  for (const v of mask) {
    if (v > threshold) count++;
    sum += v;
  }
  return { count, sum };
}
