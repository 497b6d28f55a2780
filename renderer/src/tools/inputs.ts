/** The editor's record of the pointer and modifier keys, in screen and document coordinates. */
import { distance } from '../document/geometry.js';
import type { Point } from '../document/types.js';
import { screenToDocument, type Viewport } from '../document/viewport.js';
import { DRAG_DISTANCE, type Modifiers, type PointerInput } from './types.js';

export class Inputs {
  /** Current pointer, screen and document. */
  screen: Point = { x: 0, y: 0 };
  point: Point = { x: 0, y: 0 };
  /** Previous pointer, screen (for panning deltas). */
  previousScreen: Point = { x: 0, y: 0 };
  /** Where the current press began, screen and document. */
  originScreen: Point = { x: 0, y: 0 };
  origin: Point = { x: 0, y: 0 };
  isPointerDown = false;
  /** The press has moved more than DRAG_DISTANCE screen pixels. */
  isDragging = false;
  shiftKey = false;
  altKey = false;
  ctrlKey = false;
  metaKey = false;

  get accelKey(): boolean {
    return this.ctrlKey || this.metaKey;
  }

  updateModifiers(m: Modifiers): void {
    if (m.shiftKey !== undefined) this.shiftKey = m.shiftKey;
    if (m.altKey !== undefined) this.altKey = m.altKey;
    if (m.ctrlKey !== undefined) this.ctrlKey = m.ctrlKey;
    if (m.metaKey !== undefined) this.metaKey = m.metaKey;
  }

  pointer(kind: 'down' | 'move' | 'up', info: PointerInput, viewport: Viewport): void {
    this.updateModifiers(info);
    this.previousScreen = this.screen;
    this.screen = { x: info.x, y: info.y };
    this.point = screenToDocument(viewport, this.screen);
    if (kind === 'down') {
      this.originScreen = this.screen;
      this.origin = this.point;
      this.previousScreen = this.screen;
      this.isPointerDown = true;
      this.isDragging = false;
    } else if (kind === 'move' && this.isPointerDown && !this.isDragging) {
      this.isDragging = distance(this.screen, this.originScreen) > DRAG_DISTANCE;
    } else if (kind === 'up') {
      this.isPointerDown = false;
    }
  }
}
