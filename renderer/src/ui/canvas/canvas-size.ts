/**
 * The canvas's size from the studio's side: set it (the old canvas held at an anchor), extend or
 * shrink one edge or all four by some pixels, or crop to the generation frame or to the selection.
 * Each is one undo step (the `resizeCanvas` recipe) that autosave keeps like any other change, and
 * the view then fits the new canvas so the added room is in sight. No DOM.
 */
import { cropCanvasRect, extendedCanvasRect, MAX_CANVAS_SIDE, resizedCanvasRect, type CanvasAnchor, type CanvasSide } from '../../document/canvas-size.js';
import { effectiveFrame, FALLBACK_FRAME_RULES } from '../../document/frame.js';
import { selectionTargetBox } from '../../document/geometry.js';
import type { Rect } from '../../document/types.js';
import { resizeCanvas } from '../../store/actions/canvas.js';
import type { Editor } from '../../tools/editor.js';
import type { Say } from '../status.js';

export interface CanvasSizeHost {
  readonly editor: Editor;
  say: Say;
}

export class CanvasSizeModule {
  constructor(private readonly host: CanvasSizeHost) {}

  /** `width` × `height`, the old canvas held at `anchor`; returns whether the canvas changed. */
  resize(width: number, height: number, anchor?: CanvasAnchor): boolean {
    const rect = resizedCanvasRect(this.host.editor.doc.canvas, width, height, anchor);
    if (!rect) return this.refuse('The canvas size needs two numbers.');
    return this.apply(rect, 'resize canvas');
  }

  /** Move one edge (or every edge) out by `n` pixels, in for a negative `n`. */
  extend(side: CanvasSide, n: number): boolean {
    const rect = extendedCanvasRect(this.host.editor.doc.canvas, side, n);
    if (!rect) return this.refuse(`The canvas must stay between 1 and ${MAX_CANVAS_SIDE} pixels a side.`);
    return this.apply(rect, n >= 0 ? 'extend canvas' : 'shrink canvas');
  }

  /** The canvas becomes the generation frame (which may reach past it: then the canvas grows). */
  cropToFrame(): boolean {
    const { editor } = this.host;
    const rect = cropCanvasRect(effectiveFrame(editor.doc, editor.ui.frameRules ?? FALLBACK_FRAME_RULES));
    return rect ? this.apply(rect, 'crop to frame') : false;
  }

  /** The canvas becomes the selection's box (where it is drawn, moved or not). */
  cropToSelection(): boolean {
    const sel = this.host.editor.doc.selection;
    if (!sel) return this.refuse('Select a region first (marquee M or lasso L).');
    const rect = cropCanvasRect(selectionTargetBox(sel));
    if (!rect) return this.refuse('The selection is empty.');
    return this.apply(rect, 'crop to selection');
  }

  private apply(rect: Rect, name: string): boolean {
    const { editor } = this.host;
    const { width, height } = editor.doc.canvas;
    if (rect.x === 0 && rect.y === 0 && rect.width === width && rect.height === height) return false;
    if (editor.isBusy) editor.cancel();
    editor.update(resizeCanvas(rect), { name });
    editor.zoomToFit();
    this.host.say(`Canvas ${rect.width} × ${rect.height} (Ctrl+Z undoes it).`);
    return true;
  }

  private refuse(text: string): false {
    this.host.say(text, 'warn');
    return false;
  }
}
