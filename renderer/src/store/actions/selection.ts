/** Recipes over the selection (rectangle or lasso) and its move/resize transform. */
import type { Point, Selection, SelectionShape } from '../../document/types.js';
import type { Recipe } from '../document-store.js';

/** Replace the selection with a fresh, untransformed shape (or clear it with null). */
export function setSelection(shape: SelectionShape | null): Recipe {
  return (doc) => {
    doc.selection = shape ? { shape, dx: 0, dy: 0, scaleX: 1, scaleY: 1 } : null;
  };
}

export function appendLassoPoint(p: Point): Recipe {
  return (doc) => {
    if (doc.selection?.shape.kind === 'lasso') doc.selection.shape.points.push(p.x, p.y);
  };
}

export function closeLasso(): Recipe {
  return (doc) => {
    if (doc.selection?.shape.kind === 'lasso') doc.selection.shape.closed = true;
  };
}

export type SelectionTransform = Pick<Selection, 'dx' | 'dy' | 'scaleX' | 'scaleY'>;

export function transformSelection(t: Partial<SelectionTransform>): Recipe {
  return (doc) => {
    if (doc.selection) Object.assign(doc.selection, t);
  };
}
