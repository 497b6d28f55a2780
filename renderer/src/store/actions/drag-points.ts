/** Recipes over drag-point pairs (handle → target). */
import type { DragPair, Point } from '../../document/types.js';
import type { Recipe } from '../document-store.js';

export function addDragPair(pair: DragPair): Recipe {
  return (doc) => {
    doc.dragPairs.push(pair);
  };
}

export function moveDragPoint(id: string, end: 'handle' | 'target', p: Point): Recipe {
  return (doc) => {
    const pair = doc.dragPairs.find((d) => d.id === id);
    if (pair) pair[end] = { x: p.x, y: p.y };
  };
}

export function removeDragPair(id: string): Recipe {
  return (doc) => {
    doc.dragPairs = doc.dragPairs.filter((d) => d.id !== id);
  };
}

export function clearDragPairs(): Recipe {
  return (doc) => {
    doc.dragPairs = [];
  };
}
