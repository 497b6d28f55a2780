/** Recipes over the reference region of appearance edits. */
import type { RectShape } from '../../document/types.js';
import type { Recipe } from '../document-store.js';

/** Replace the reference region (or clear it with null). */
export function setReference(rect: Omit<RectShape, 'kind'> | null): Recipe {
  return (doc) => {
    doc.reference = rect ? { kind: 'rect', x: rect.x, y: rect.y, width: rect.width, height: rect.height } : null;
  };
}
