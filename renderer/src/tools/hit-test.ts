/** What lies under the pointer: transformer handles, the selection, layers, drag points. */
import { layerBox, rectContains, selectionTargetBox } from '../document/geometry.js';
import type { CanvasDocument, Point, Rect } from '../document/types.js';
import { documentToScreen, type Viewport } from '../document/viewport.js';
import type { SelectedItem } from '../store/state.js';
import { HANDLES, handlePosition, type HandleId } from './transform.js';
import { HANDLE_RADIUS } from './types.js';

/** The box the transformer shows for a selected item, or null. */
export function itemBox(doc: CanvasDocument, item: SelectedItem | null): Rect | null {
  if (!item) return null;
  if (item.kind === 'layer') {
    const layer = doc.layers.find((l) => l.id === item.id);
    return layer ? layerBox(layer) : null;
  }
  if (item.kind === 'selection') return doc.selection ? selectionTargetBox(doc.selection) : null;
  return null;
}

/** The transformer handle within HANDLE_RADIUS screen pixels of `screen`, if any. */
export function handleAt(box: Rect, screen: Point, viewport: Viewport): HandleId | null {
  let best: HandleId | null = null;
  let bestD = HANDLE_RADIUS;
  for (const h of HANDLES) {
    const s = documentToScreen(viewport, handlePosition(box, h));
    const d = Math.hypot(s.x - screen.x, s.y - screen.y);
    if (d <= bestD) {
      best = h;
      bestD = d;
    }
  }
  return best;
}

/** The item under a document point: the selection's target box first, then layers top-down. */
export function itemAt(doc: CanvasDocument, p: Point): SelectedItem | null {
  if (doc.selection && rectContains(selectionTargetBox(doc.selection), p)) return { kind: 'selection' };
  for (let i = doc.layers.length - 1; i >= 0; i--) {
    const layer = doc.layers[i];
    if (layer.visible && rectContains(layerBox(layer), p)) return { kind: 'layer', id: layer.id };
  }
  return null;
}

/** The drag-pair end nearest `screen` within HANDLE_RADIUS (targets win ties; later pairs win). */
export function dragPointAt(doc: CanvasDocument, screen: Point, viewport: Viewport): { id: string; end: 'handle' | 'target' } | null {
  let best: { id: string; end: 'handle' | 'target' } | null = null;
  let bestD = HANDLE_RADIUS;
  for (const pair of doc.dragPairs) {
    for (const end of ['handle', 'target'] as const) {
      const s = documentToScreen(viewport, pair[end]);
      const d = Math.hypot(s.x - screen.x, s.y - screen.y);
      if (d <= bestD) {
        best = { id: pair.id, end };
        bestD = d;
      }
    }
  }
  return best;
}
