/**
 * R: mark the reference region, the part of the image whose appearance an appearance edit carries
 * into the masked region. Drag a pixel-snapped rectangle (clipped to the canvas); a click without
 * a drag clears it. One undo step per gesture; Escape restores the previous region.
 */
import { normalizeRect } from '../../document/geometry.js';
import type { Rect } from '../../document/types.js';
import { setReference } from '../../store/actions/reference.js';
import type { Editor } from '../editor.js';
import { StateNode } from '../state-node.js';
import { Tool, type ToolDefinition } from '../tool.js';

export const referenceTool: ToolDefinition = {
  id: 'reference',
  key: 'r',
  cursor: 'crosshair',
  toolbar: { label: 'Reference region (for appearance edits)', icon: 'Ref' },
  status: {
    idle: 'Reference — drag a rectangle over the appearance to carry; a click clears it',
    marking: 'Marking the reference region — Esc puts the previous one back',
  },
  create: (editor, definition) => new ReferenceTool(editor, definition),
};

export class ReferenceTool extends Tool {
  override readonly initial = 'idle';

  constructor(editor: Editor, definition: ToolDefinition) {
    super(editor, definition);
    this.addChildren(new ReferenceIdle(editor, this), new ReferenceMarking(editor, this));
  }
}

class ReferenceIdle extends StateNode {
  readonly id = 'idle';

  override onPointerDown(): void {
    this.go('marking');
  }
}

class ReferenceMarking extends StateNode {
  readonly id = 'marking';

  override onEnter(): void {
    this.editor.store.history.mark('reference region');
  }

  override onPointerMove(): void {
    const { inputs, doc } = this.editor;
    if (!inputs.isDragging) return;
    const a = { x: Math.round(inputs.origin.x), y: Math.round(inputs.origin.y) };
    const b = { x: Math.round(inputs.point.x), y: Math.round(inputs.point.y) };
    this.editor.update(setReference(clipToCanvas(normalizeRect(a, b), doc.canvas)));
  }

  override onPointerUp(): void {
    const { editor } = this;
    const ref = editor.doc.reference;
    if (!editor.inputs.isDragging || !ref || ref.width === 0 || ref.height === 0) editor.update(setReference(null));
    editor.store.history.commit();
    editor.select(editor.doc.reference ? { kind: 'reference' } : null);
    this.go('idle');
  }

  override onCancel(): void {
    this.editor.store.history.bail();
    this.go('idle');
  }
}

/** The part of `r` inside the canvas (zero-sized when outside it). */
export function clipToCanvas(r: Rect, canvas: { width: number; height: number }): Rect {
  const x0 = Math.max(0, r.x), y0 = Math.max(0, r.y);
  const x1 = Math.min(canvas.width, r.x + r.width), y1 = Math.min(canvas.height, r.y + r.height);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}
