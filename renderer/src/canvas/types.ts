/**
 * The canvas is write-only Konva: the app pushes the store's state into these modules and never
 * reads Konva back (hit testing, transforms and tools live in the headless Editor). Each module
 * owns its Konva nodes, updates them from a RenderContext and destroys them.
 */
import type { CanvasDocument, Point } from '../document/types.js';
import type { Viewport } from '../document/viewport.js';
import type { UiState } from '../store/state.js';
import type { PixelBank } from '../ui/pixel-bank.js';

export interface RenderContext {
  doc: CanvasDocument;
  viewport: Viewport;
  ui: UiState;
  bank: PixelBank;
  /** Bumped whenever a pixel buffer is added or decoded. */
  bankVersion: number;
  screen: { width: number; height: number };
  /** The pointer over the stage, screen pixels; null when outside. */
  pointer: Point | null;
}

export interface CanvasModule {
  update(ctx: RenderContext): void;
  destroy(): void;
}
