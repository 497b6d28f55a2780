/**
 * Which editing task the canvas describes and what it needs (pure; no pixels are read). The
 * canvas's `EditRequest` (document/edit-request.ts) says what was drawn; a plan says what the
 * engine's `edit` is sent for one task: the region mask, the offset and scale, the drag pairs,
 * the reference, and which parts of the document the result consumes. Pixels are encoded from the
 * plan afterwards (ui/edit/pixels.ts), then `toApiRequest` assembles the contract's request.
 */
import type { EditKind as ApiEditKind, EditOptions, EditPreset, EditRequest as ApiEditRequest } from '../../../../main/api/contract.js';
import type { EditRequest as CanvasEdit } from '../../document/edit-request.js';
import { maskStats } from '../../document/raster/mask.js';
import { fillPolygon } from '../../document/raster/polygon.js';
import type { CanvasDocument, Point, Rect } from '../../document/types.js';

export const KIND_LABELS: Record<ApiEditKind, string> = {
  move: 'Move / resize',
  drag: 'Drag points',
  paste: 'Paste an object',
  appearance: 'Replace appearance',
};

/** Tasks the canvas holds enough for, by priority paste > move > drag > appearance. */
export function editCandidates(doc: CanvasDocument, req: CanvasEdit): ApiEditKind[] {
  const out: ApiEditKind[] = [];
  if (req.paste) out.push('paste');
  if (req.target) out.push('move');
  if (req.dragPoints.length) out.push('drag');
  if (doc.reference) out.push('appearance');
  return out;
}

/** The user's pick when the canvas holds it, else the first candidate. */
export function chooseKind(candidates: readonly ApiEditKind[], pick: ApiEditKind | null): ApiEditKind | null {
  return pick && candidates.includes(pick) ? pick : (candidates[0] ?? null);
}

/** A pasted layer: its pixels are the reference image; its alpha (once read) places the target. */
export interface PastedReference {
  layerId: string;
  pixelId: string;
  placement: Rect;
  scale: { x: number; y: number };
}

export interface EditPlan {
  kind: ApiEditKind;
  width: number;
  height: number;
  /** The base (bottom) layer: its pixels at canvas size are the image edited. */
  base: { layerId: string; pixelId: string };
  /** Canvas-size region mask (1 = object/region); for paste it comes from the layer's alpha (`pasteGeometry`). */
  mask: Float32Array | null;
  offset?: Point;
  scale?: { x: number; y: number };
  drag?: { handle: Point; target: Point }[];
  /** Appearance: a region of the base image; paste: the pasted layer. */
  reference?: { from: 'base'; mask: Float32Array } | ({ from: 'layer' } & PastedReference);
  /** What the panel should say about choices made for the user. */
  notes: string[];
  /** What the edit consumes: cleared in the same undo step as the result lands. */
  consumes: { selection?: true; dragPairs?: true; reference?: true; layerId?: string };
}

export type PlanOutcome = { ok: true; plan: EditPlan } | { ok: false; error: string };

const fail = (error: string): PlanOutcome => ({ ok: false, error });

/** The region edited around drag pairs when no mask is drawn: this fraction of the shorter side, at least 4 px. */
export function dragRadius(width: number, height: number): number {
  return Math.max(4, Math.round(0.12 * Math.min(width, height)));
}

export function planEdit(doc: CanvasDocument, req: CanvasEdit, kind: ApiEditKind): PlanOutcome {
  const { width, height } = req;
  const baseLayer = doc.layers[0];
  if (!baseLayer) return fail('Put an image on the canvas first: an edit changes the bottom layer.');
  const base = { layerId: baseLayer.id, pixelId: baseLayer.pixelId };
  const masked = maskStats(req.sourceMask).count > 0;
  const plan = (p: Omit<EditPlan, 'kind' | 'width' | 'height' | 'base'>): PlanOutcome => ({ ok: true, plan: { kind, width, height, base, ...p } });

  switch (kind) {
    case 'move': {
      if (!req.target) return fail('Select a region (M or L), then move or resize it with V before applying a move.');
      if (!masked) return fail('The selected region is empty: select the object to move.');
      return plan({ mask: req.sourceMask, offset: { ...req.target.offset }, scale: { ...req.target.scale }, notes: [], consumes: { selection: true } });
    }
    case 'drag': {
      if (!req.dragPoints.length) return fail('Add drag points (D) first: click a handle, then its target.');
      const notes: string[] = [];
      let mask = req.sourceMask;
      if (!masked) {
        const r = dragRadius(width, height);
        mask = dragAreaMask(req.dragPoints, r, width, height);
        notes.push(`No region is masked, so the area within ${r} px of each handle and target is edited. Paint a mask (B) to choose the region.`);
      }
      return plan({ mask, drag: req.dragPoints.map((p) => ({ handle: { ...p.handle }, target: { ...p.target } })), notes, consumes: { dragPairs: true } });
    }
    case 'paste': {
      const p = req.paste;
      if (!p) return fail('Add the object to paste as a layer above the image (drop or open an image), and place it.');
      return plan({
        mask: null,
        reference: { from: 'layer', layerId: p.layerId, pixelId: p.pixelId, placement: { ...p.placement }, scale: { ...p.scale } },
        notes: p.opacity < 1 ? ['The pasted layer is pasted at full strength; its opacity only affects how it is shown.'] : [],
        consumes: { layerId: p.layerId },
      });
    }
    case 'appearance': {
      const ref = doc.reference;
      if (!ref) return fail('Mark the reference region (R): the part of the image whose appearance is carried over.');
      if (!masked) return fail('Paint (B) or select (M, L) the region whose appearance should change.');
      return plan({ mask: req.sourceMask, reference: { from: 'base', mask: rectMask(ref, width, height) }, notes: [], consumes: { reference: true } });
    }
  }
}

/** A canvas-size mask with 1 on the pixels whose centres lie in `r`. */
export function rectMask(r: Rect, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  fillPolygon(out, width, height, [r.x, r.y, r.x + r.width, r.y, r.x + r.width, r.y + r.height, r.x, r.y + r.height]);
  return out;
}

/** Squares of side 2r + 1 around every handle and target, clipped to the canvas. */
export function dragAreaMask(pairs: readonly { handle: Point; target: Point }[], r: number, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (const p of pairs.flatMap((q) => [q.handle, q.target])) {
    const cx = Math.floor(p.x), cy = Math.floor(p.y);
    for (let y = Math.max(0, cy - r); y <= Math.min(height - 1, cy + r); y++) {
      for (let x = Math.max(0, cx - r); x <= Math.min(width - 1, cx + r); x++) out[y * width + x] = 1;
    }
  }
  return out;
}

/**
 * Paste: where the reference region (the opaque part of the layer, `alphaBox` in the layer's own
 * pixels) lands on the canvas. `offset` is its top-left (what the contract's `offset` means for
 * paste) and `mask` its footprint, the region of the base image the object replaces. The reference
 * image is the layer drawn at the canvas's size from its top-left corner, shrunk by `drawn` (≤ 1)
 * when it is larger, so the region's `scale` is the layer's scale over that factor.
 */
export function pasteGeometry(
  ref: PastedReference,
  alphaBox: Rect | null,
  drawn: number,
  width: number,
  height: number,
): { ok: true; offset: Point; scale: { x: number; y: number }; mask: Float32Array } | { ok: false; error: string } {
  if (!alphaBox || alphaBox.width <= 0 || alphaBox.height <= 0) return { ok: false, error: 'The pasted layer is fully transparent: there is nothing to paste.' };
  const box = {
    x: ref.placement.x + alphaBox.x * ref.scale.x,
    y: ref.placement.y + alphaBox.y * ref.scale.y,
    width: alphaBox.width * ref.scale.x,
    height: alphaBox.height * ref.scale.y,
  };
  const mask = rectMask(box, width, height);
  if (maskStats(mask).count === 0) return { ok: false, error: 'The pasted layer lies outside the canvas: move it over the image first.' };
  return { ok: true, offset: { x: box.x, y: box.y }, scale: { x: ref.scale.x / drawn, y: ref.scale.y / drawn }, mask };
}

/** The factor a layer of this size is drawn at to fit a reference image of the canvas's size. */
export function referenceFit(layer: { width: number; height: number }, width: number, height: number): number {
  return Math.min(1, width / layer.width, height / layer.height);
}

/** The pixels encoded for a plan (PNG bytes). */
export type Png = Uint8Array<ArrayBuffer>;

export interface EncodedEdit {
  image: Png;
  mask: Png;
  reference?: { image: Png; mask: Png };
  /** Paste: the offset and scale found from the layer's alpha and how it was drawn. */
  offset?: Point;
  scale?: { x: number; y: number };
}

export interface EditRun {
  jobId: string;
  model: string;
  prompt: string;
  /** Paste: the pasted image's own prompt. */
  referencePrompt?: string;
  negativePrompt?: string;
  preset: EditPreset;
  steps?: number;
  cfgScale?: number;
  seed: number;
  options: EditOptions;
  previewEvery: number;
}

/** The contract's request for a plan, its encoded pixels and the run's settings. */
export function toApiRequest(plan: EditPlan, px: EncodedEdit, run: EditRun): ApiEditRequest {
  const req: ApiEditRequest = {
    jobId: run.jobId,
    model: run.model,
    kind: plan.kind,
    image: px.image,
    mask: px.mask,
    prompt: run.prompt,
    preset: run.preset,
    seed: run.seed,
    options: run.options,
    previewEvery: run.previewEvery,
  };
  const offset = px.offset ?? plan.offset;
  if (offset) req.offset = { ...offset };
  const scale = px.scale ?? plan.scale;
  if (scale) req.scale = { ...scale };
  if (plan.drag) req.drag = plan.drag.map((p) => ({ handle: { ...p.handle }, target: { ...p.target } }));
  if (px.reference) req.reference = { image: px.reference.image, mask: px.reference.mask, ...(plan.kind === 'paste' && run.referencePrompt ? { prompt: run.referencePrompt } : {}) };
  if (run.negativePrompt) req.negativePrompt = run.negativePrompt;
  if (run.steps !== undefined) req.steps = run.steps;
  if (run.cfgScale !== undefined) req.cfgScale = run.cfgScale;
  return req;
}
