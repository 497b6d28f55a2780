/**
 * Turns the canvas into the data the editing pipelines consume (pure; no pixels are read). All
 * coordinates are canvas pixels; masks are row-major Float32Arrays of canvas width × height with 1
 * marking the region.
 */
import { isSelectionTransformed, layerBox, selectionTargetBox } from './geometry.js';
import { rasterizeSelection, rasterizeSourceMask } from './raster/mask.js';
import type { CanvasDocument, Point, Rect } from './types.js';

export type EditKind = 'paste' | 'move' | 'drag' | 'inpaint' | 'none';

export interface EditTarget {
  /** Translation of the selected region (dx, dy). */
  offset: Point;
  /** Scale about the top-left corner of the region's bounding box. */
  scale: { x: number; y: number };
  /** Where the region's bounding box lands. */
  box: Rect;
  /** The moved/resized selection rasterised. */
  mask: Float32Array;
}

export interface PastedLayer {
  layerId: string;
  pixelId: string;
  /** Natural size of the pixel buffer. */
  size: { width: number; height: number };
  /** Where it is drawn on the canvas (position and scaled size). */
  placement: Rect;
  scale: { x: number; y: number };
  opacity: number;
}

export interface EditRequest {
  width: number;
  height: number;
  /** The edit the canvas describes, by priority paste > move > drag > inpaint. */
  kind: EditKind;
  /** Selection (source position) ∪ brush strokes, minus eraser strokes. */
  sourceMask: Float32Array;
  /** Integer bounding box of the source mask's non-zero pixels: where the edit reads from. */
  referenceRegion: Rect | null;
  target: EditTarget | null;
  dragPoints: { handle: Point; target: Point }[];
  paste: PastedLayer | null;
}

export interface EditRequestOptions {
  /** The layer the user has selected; it is the pasted layer if it is not the base (first) layer. */
  selectedLayerId?: string | null;
}

export function editRequestFromDocument(doc: CanvasDocument, opts: EditRequestOptions = {}): EditRequest {
  const { width, height } = doc.canvas;
  const sourceMask = rasterizeSourceMask(doc);
  const referenceRegion = maskBounds(sourceMask, width, height);
  const sel = doc.selection;
  const target: EditTarget | null =
    sel && isSelectionTransformed(sel)
      ? { offset: { x: sel.dx, y: sel.dy }, scale: { x: sel.scaleX, y: sel.scaleY }, box: selectionTargetBox(sel), mask: rasterizeSelection(sel, width, height, 'target') }
      : null;
  const dragPoints = doc.dragPairs.map((p) => ({ handle: { ...p.handle }, target: { ...p.target } }));
  const paste = pastedLayer(doc, opts.selectedLayerId ?? null);
  const kind: EditKind = paste ? 'paste' : target ? 'move' : dragPoints.length ? 'drag' : referenceRegion ? 'inpaint' : 'none';
  return { width, height, kind, sourceMask, referenceRegion, target, dragPoints, paste };
}

function pastedLayer(doc: CanvasDocument, selectedId: string | null): PastedLayer | null {
  const candidates = doc.layers.slice(1).filter((l) => l.visible);
  const layer = candidates.find((l) => l.id === selectedId) ?? candidates[candidates.length - 1];
  if (!layer) return null;
  return {
    layerId: layer.id,
    pixelId: layer.pixelId,
    size: { width: layer.width, height: layer.height },
    placement: layerBox(layer),
    scale: { x: layer.scaleX, y: layer.scaleY },
    opacity: layer.opacity,
  };
}

/** Bounding box of the pixels with value > 0, or null when there are none. */
export function maskBounds(mask: Float32Array, width: number, height: number): Rect | null {
  let minX = width, minY = height, maxX = -1, maxY = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x] <= 0) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  return maxX < 0 ? null : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}
