/** The store's state: the document (undoable) beside session state that undo never touches. */
import type { CanvasDocument } from '../document/types.js';
import type { Viewport } from '../document/viewport.js';

export interface BrushOptions {
  /** Diameter in document pixels. */
  size: number;
  /** 0 (soft) … 1 (hard). */
  hardness: number;
}

/** What the transformer or the Delete key acts on. */
export type SelectedItem = { kind: 'layer'; id: string } | { kind: 'selection' } | { kind: 'dragPair'; id: string } | { kind: 'reference' };

export type ToolId = 'select' | 'brush' | 'eraser' | 'marquee' | 'lasso' | 'dragPoints' | 'reference' | 'hand';

export interface UiState {
  tool: ToolId;
  /** The active tool's state path, e.g. 'brush.drawing'. */
  toolState: string;
  selected: SelectedItem | null;
  brush: BrushOptions;
  eraser: BrushOptions;
}

export interface HistoryState {
  canUndo: boolean;
  canRedo: boolean;
  undoName: string | null;
  redoName: string | null;
}

export interface StudioState {
  doc: CanvasDocument;
  viewport: Viewport;
  ui: UiState;
  history: HistoryState;
}

export const DEFAULT_UI: UiState = {
  tool: 'select',
  toolState: 'select.idle',
  selected: null,
  brush: { size: 32, hardness: 0.8 },
  eraser: { size: 32, hardness: 0.8 },
};
