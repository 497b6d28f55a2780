/** Recipes over the mask layer's strokes. */
import type { MaskStroke, Point } from '../../document/types.js';
import type { Recipe } from '../document-store.js';

export function addStroke(stroke: MaskStroke): Recipe {
  return (doc) => {
    doc.mask.strokes.push(stroke);
  };
}

export function appendStrokePoint(strokeId: string, p: Point): Recipe {
  return (doc) => {
    const strokes = doc.mask.strokes;
    for (let i = strokes.length - 1; i >= 0; i--) {
      if (strokes[i].id === strokeId) {
        strokes[i].points.push(p.x, p.y);
        return;
      }
    }
  };
}

export function clearMask(): Recipe {
  return (doc) => {
    doc.mask.strokes = [];
  };
}

export function setMaskProps(props: { opacity?: number; visible?: boolean }): Recipe {
  return (doc) => {
    Object.assign(doc.mask, props);
  };
}
