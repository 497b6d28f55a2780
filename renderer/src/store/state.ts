/** The store's state: the document (undoable) beside session state that undo never touches. */
import type { FrameRules } from '../document/frame.js';
import type { CanvasDocument } from '../document/types.js';
import type { Viewport } from '../document/viewport.js';

export interface BrushOptions {
  /** Diameter in document pixels. */
  size: number;
  /** 0 (soft) … 1 (hard). */
  hardness: number;
}

/** How the mask is drawn over the image: a colour the user picks, a contrasting dashed outline always, and diagonal hatching when on. */
export interface MaskStyle {
  /** `#rrggbb`. */
  colour: string;
  hatch: boolean;
}

export const DEFAULT_MASK_STYLE: MaskStyle = { colour: '#ff2020', hatch: true };

/** What the transformer or the Delete key acts on. */
export type SelectedItem = { kind: 'layer'; id: string } | { kind: 'selection' } | { kind: 'dragPair'; id: string } | { kind: 'reference' };

/** A tool's id, as its definition declares it (tools/<tool>/…); the editor knows only the tools it is handed. */
export type ToolId = string;

/** The last edit's before/after: the base layer, its pixels (and where they were drawn) before, and its pixels after. */
export interface EditComparison {
  layerId: string;
  before: { pixelId: string; x: number; y: number; width: number; height: number };
  after: string;
}

export interface UiState {
  tool: ToolId;
  /** The active tool's state path, e.g. 'brush.drawing'. */
  toolState: string;
  selected: SelectedItem | null;
  brush: BrushOptions;
  eraser: BrushOptions;
  /** The brush and the eraser share one size: setting either sets both. */
  linkBrushSizes: boolean;
  /** The user has chosen a size: the sizes stop following the frame (ui/brush/brush-size.ts). */
  brushSized: boolean;
  maskStyle: MaskStyle;
  /** Set when an edit's result lands; the comparison holds while the layer shows `after`. */
  comparison: EditComparison | null;
  /** Draw the comparison's `before` pixels instead (the document is not changed). */
  showOriginal: boolean;
  /** What the selected model allows the generation frame to be; null until it has said (FALLBACK_FRAME_RULES then). */
  frameRules: FrameRules | null;
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
  linkBrushSizes: true,
  brushSized: false,
  maskStyle: DEFAULT_MASK_STYLE,
  comparison: null,
  showOriginal: false,
  frameRules: null,
};

/** Whether the last edit's before/after comparison still applies (the layer still shows its result). */
export function comparisonActive(doc: CanvasDocument, ui: Pick<UiState, 'comparison'>): boolean {
  const c = ui.comparison;
  return !!c && doc.layers.some((l) => l.id === c.layerId && l.pixelId === c.after);
}

/** While the original is shown, what to draw for a layer instead of its own pixels (else null). */
export function shownOriginal(layer: { id: string; pixelId: string }, ui: Pick<UiState, 'comparison' | 'showOriginal'>): EditComparison['before'] | null {
  const c = ui.comparison;
  return ui.showOriginal && c && c.layerId === layer.id && c.after === layer.pixelId ? c.before : null;
}
