/** The recipe that lands an edit's result: one undo step, the pixels by id, the edit's inputs consumed. */
import type { Recipe } from '../document-store.js';

export interface EditLanding {
  /** The base layer whose pixels the result replaces. */
  layerId: string;
  /** The result, already in the pixel store, and its natural size. */
  pixelId: string;
  width: number;
  height: number;
  /** Parts of the document the edit described, cleared in the same step. */
  clearSelection?: boolean;
  clearDragPairs?: boolean;
  clearReference?: boolean;
  removeLayerId?: string;
}

/**
 * The base layer shows the result over the whole canvas (the engine edited the base layer as
 * drawn at canvas size); undo brings back its old pixel id, position and scale.
 */
export function landEditResult(o: EditLanding): Recipe {
  return (doc) => {
    const layer = doc.layers.find((l) => l.id === o.layerId);
    if (!layer) return;
    Object.assign(layer, {
      pixelId: o.pixelId,
      width: o.width,
      height: o.height,
      x: 0,
      y: 0,
      scaleX: doc.canvas.width / o.width,
      scaleY: doc.canvas.height / o.height,
    });
    if (o.clearSelection) doc.selection = null;
    if (o.clearDragPairs) doc.dragPairs = [];
    if (o.clearReference) doc.reference = null;
    if (o.removeLayerId && o.removeLayerId !== o.layerId) doc.layers = doc.layers.filter((l) => l.id !== o.removeLayerId);
  };
}
