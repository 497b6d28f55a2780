/** Transformer math: the eight handles of a box and resizing a box by dragging one of them. */
import type { Point, Rect } from '../document/types.js';

export type HandleId = 'nw' | 'n' | 'ne' | 'e' | 'se' | 's' | 'sw' | 'w';

export const HANDLES: readonly HandleId[] = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];

/** −1 for the left/top side, +1 for the right/bottom side, 0 for the middle. */
export function handleSides(h: HandleId): { sx: -1 | 0 | 1; sy: -1 | 0 | 1 } {
  return { sx: h.includes('w') ? -1 : h.includes('e') ? 1 : 0, sy: h.includes('n') ? -1 : h.includes('s') ? 1 : 0 };
}

export function isCorner(h: HandleId): boolean {
  return h.length === 2;
}

export function handlePosition(box: Rect, h: HandleId): Point {
  const { sx, sy } = handleSides(h);
  return { x: box.x + ((sx + 1) / 2) * box.width, y: box.y + ((sy + 1) / 2) * box.height };
}

/**
 * The box after dragging handle `h` to `p`: the opposite side stays put, sizes never drop below
 * `minSize` (no flipping), and with `keepAspect` a corner scales both sides by the larger factor.
 */
export function resizeBox(box: Rect, h: HandleId, p: Point, keepAspect: boolean, minSize = 1): Rect {
  const { sx, sy } = handleSides(h);
  const right = box.x + box.width, bottom = box.y + box.height;
  let width = sx === 1 ? p.x - box.x : sx === -1 ? right - p.x : box.width;
  let height = sy === 1 ? p.y - box.y : sy === -1 ? bottom - p.y : box.height;
  width = Math.max(minSize, width);
  height = Math.max(minSize, height);
  if (keepAspect && isCorner(h) && box.width > 0 && box.height > 0) {
    const s = Math.max(width / box.width, height / box.height);
    width = box.width * s;
    height = box.height * s;
  }
  return { x: sx === -1 ? right - width : box.x, y: sy === -1 ? bottom - height : box.y, width, height };
}
