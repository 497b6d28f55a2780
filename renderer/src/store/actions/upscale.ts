/**
 * Landing an upscale's result: a NEW layer with the result's pixels (f× the source layer's),
 * directly above the source, covering exactly the area the source covers. Where it sits:
 *
 * - `grow` (the default): the whole document grows by the factor — canvas, every layer's
 *   position and scale, mask strokes, the selection, drag points and the reference region — so
 *   nothing moves relative to the picture, and the new layer shows its pixels at the source's own
 *   scale (1:1 for a layer that was 1:1). Exporting the canvas then gives the upscaled resolution.
 * - `keep`: the canvas is unchanged; the new layer is drawn at 1/f scale over the source (the
 *   extra pixels show when zoomed in, and in the layer's own export through the gallery).
 *
 * Either way it is one recipe, so one Ctrl+Z takes it all back.
 */
import { createImageLayer } from '../../document/create.js';
import type { CanvasDocument, ImageLayer } from '../../document/types.js';
import type { Recipe } from '../document-store.js';

/** The largest canvas side a document may have (document/schema.ts). */
export const MAX_CANVAS_SIDE = 16_384;

export type UpscalePlacement = 'grow' | 'keep';

export interface UpscaleLanding {
  sourceId: string;
  /** The result, already in the pixel store, and its natural size. */
  pixelId: string;
  width: number;
  height: number;
  placement: UpscalePlacement;
  /** The new layer's id (chosen by the caller so it can select it); default a fresh one. */
  layerId?: string;
  name?: string;
}

/** The factor of a result over its source layer's natural size, per axis. */
export function upscaleFactors(source: Pick<ImageLayer, 'width' | 'height'>, width: number, height: number): { fx: number; fy: number } {
  return { fx: width / source.width, fy: height / source.height };
}

/**
 * The placement that can be honoured: `grow` falls back to `keep` when the grown canvas would
 * pass the document's largest side (and says so through `fellBack`).
 */
export function feasiblePlacement(doc: CanvasDocument, source: Pick<ImageLayer, 'width' | 'height'>, width: number, height: number, wanted: UpscalePlacement): { placement: UpscalePlacement; fellBack: boolean } {
  if (wanted === 'keep') return { placement: 'keep', fellBack: false };
  const { fx, fy } = upscaleFactors(source, width, height);
  const ok = Math.round(doc.canvas.width * fx) <= MAX_CANVAS_SIDE && Math.round(doc.canvas.height * fy) <= MAX_CANVAS_SIDE;
  return ok ? { placement: 'grow', fellBack: false } : { placement: 'keep', fellBack: true };
}

/** Scale every piece of geometry in the document about its origin (canvas, layers, mask, selection, drag points, reference). */
export function scaleDocument(doc: CanvasDocument, fx: number, fy: number): void {
  doc.canvas = { width: Math.round(doc.canvas.width * fx), height: Math.round(doc.canvas.height * fy) };
  for (const l of doc.layers) {
    l.x *= fx;
    l.y *= fy;
    l.scaleX *= fx;
    l.scaleY *= fy;
  }
  const scalePoints = (p: number[]) => {
    for (let i = 0; i < p.length; i += 2) {
      p[i] *= fx;
      p[i + 1] *= fy;
    }
  };
  // A stroke's width is one number; the geometric mean keeps its area right under unequal factors.
  const strokeScale = Math.sqrt(fx * fy);
  for (const s of doc.mask.strokes) {
    scalePoints(s.points);
    s.size *= strokeScale;
  }
  const sel = doc.selection;
  if (sel) {
    if (sel.shape.kind === 'rect') Object.assign(sel.shape, { x: sel.shape.x * fx, y: sel.shape.y * fy, width: sel.shape.width * fx, height: sel.shape.height * fy });
    else scalePoints(sel.shape.points);
    sel.dx *= fx;
    sel.dy *= fy;
  }
  for (const p of doc.dragPairs) {
    p.handle = { x: p.handle.x * fx, y: p.handle.y * fy };
    p.target = { x: p.target.x * fx, y: p.target.y * fy };
  }
  if (doc.reference) Object.assign(doc.reference, { x: doc.reference.x * fx, y: doc.reference.y * fy, width: doc.reference.width * fx, height: doc.reference.height * fy });
}

/** Add the upscaled layer above its source (see the module's comment); nothing happens when the source is gone. */
export function landUpscale(o: UpscaleLanding): Recipe {
  return (doc) => {
    const index = doc.layers.findIndex((l) => l.id === o.sourceId);
    if (index < 0) return;
    const source = doc.layers[index];
    const { fx, fy } = upscaleFactors(source, o.width, o.height);
    // The source's scale before any growth: at `grow` the new layer shows its pixels at that scale.
    const [sx, sy] = [source.scaleX, source.scaleY];
    if (o.placement === 'grow') scaleDocument(doc as CanvasDocument, fx, fy);
    const layer = createImageLayer({ id: o.layerId, pixelId: o.pixelId, width: o.width, height: o.height, at: { x: source.x, y: source.y }, name: o.name ?? `${source.name} ×${formatFactor(fx)}` });
    Object.assign(layer, {
      scaleX: o.placement === 'grow' ? sx : sx / fx,
      scaleY: o.placement === 'grow' ? sy : sy / fy,
      opacity: source.opacity,
    });
    doc.layers.splice(index + 1, 0, layer);
  };
}

/** "2", "4", "1.5". */
export function formatFactor(f: number): string {
  return Number.isInteger(f) ? String(f) : f.toFixed(2).replace(/\.?0+$/, '');
}
