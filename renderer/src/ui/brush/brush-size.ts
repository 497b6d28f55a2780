/**
 * Brush and eraser sizes that follow the generation frame until the user picks one: whenever the
 * frame (or the model's rules, or the canvas it is centred on) changes, both sizes become the
 * frame-relative default (tools/mask/brush-size.ts). Once the user has set a size (`brushSized`)
 * it is left alone. No DOM.
 */
import { effectiveFrame, FALLBACK_FRAME_RULES } from '../../document/frame.js';
import type { Editor } from '../../tools/editor.js';
import { relativeBrushSize } from '../../tools/mask/brush-size.js';
import type { StudioModule } from '../module.js';

export class BrushSizeModule implements StudioModule {
  private off: (() => void) | null = null;

  constructor(private readonly editor: Editor) {}

  initialize(): void {
    this.off = this.editor.store.store.subscribe((s, prev) => {
      if (s.doc.frame !== prev.doc.frame || s.doc.canvas !== prev.doc.canvas || s.ui.frameRules !== prev.ui.frameRules || s.ui.brushSized !== prev.ui.brushSized) this.follow();
    });
    this.follow();
  }

  destroy(): void {
    this.off?.();
    this.off = null;
  }

  /** The size both tools take now while the user has not chosen one. */
  defaultSize(): number {
    const { doc, ui } = this.editor;
    return relativeBrushSize(effectiveFrame(doc, ui.frameRules ?? FALLBACK_FRAME_RULES));
  }

  private follow(): void {
    const { ui, store } = this.editor;
    if (ui.brushSized) return;
    const size = this.defaultSize();
    if (ui.brush.size === size && ui.eraser.size === size) return;
    store.setUi({ brush: { ...ui.brush, size }, eraser: { ...ui.eraser, size } });
  }
}
