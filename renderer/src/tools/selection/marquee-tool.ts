/** M: rectangle selection, snapped to whole pixels; a click without a drag clears the selection. */
import { normalizeRect } from '../../document/geometry.js';
import { setSelection } from '../../store/actions/selection.js';
import type { Editor } from '../editor.js';
import { StateNode } from '../state-node.js';
import { Tool, type ToolDefinition } from '../tool.js';

export const marqueeTool: ToolDefinition = {
  id: 'marquee',
  key: 'm',
  cursor: 'crosshair',
  toolbar: { label: 'Rectangle selection', icon: 'Rect' },
  status: {
    idle: 'Rectangle selection — drag to select; a click clears the selection',
    selecting: 'Selecting a rectangle',
  },
  create: (editor, definition) => new MarqueeTool(editor, definition),
};

export class MarqueeTool extends Tool {
  override readonly initial = 'idle';

  constructor(editor: Editor, definition: ToolDefinition) {
    super(editor, definition);
    this.addChildren(new MarqueeIdle(editor, this), new MarqueeSelecting(editor, this));
  }
}

class MarqueeIdle extends StateNode {
  readonly id = 'idle';

  override onPointerDown(): void {
    this.go('selecting');
  }
}

class MarqueeSelecting extends StateNode {
  readonly id = 'selecting';

  override onEnter(): void {
    this.editor.store.history.mark('select');
  }

  override onPointerMove(): void {
    const { inputs } = this.editor;
    if (!inputs.isDragging) return;
    const a = { x: Math.round(inputs.origin.x), y: Math.round(inputs.origin.y) };
    const b = { x: Math.round(inputs.point.x), y: Math.round(inputs.point.y) };
    const r = normalizeRect(a, b);
    this.editor.update(setSelection({ kind: 'rect', ...r }));
  }

  override onPointerUp(): void {
    const { editor } = this;
    const sel = editor.doc.selection;
    const empty = !editor.inputs.isDragging || !sel || (sel.shape.kind === 'rect' && (sel.shape.width === 0 || sel.shape.height === 0));
    if (empty) editor.update(setSelection(null));
    editor.store.history.commit();
    editor.select(editor.doc.selection ? { kind: 'selection' } : null);
    this.go('idle');
  }

  override onCancel(): void {
    this.editor.store.history.bail();
    this.go('idle');
  }
}
