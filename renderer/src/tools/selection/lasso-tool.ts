/** L: lasso selection. The polygon is open while drawn and closed on release; tiny lassos clear it. */
import { polygonArea } from '../../document/geometry.js';
import { appendLassoPoint, closeLasso, setSelection } from '../../store/actions/selection.js';
import type { Editor } from '../editor.js';
import { StateNode } from '../state-node.js';
import { Tool, type ToolDefinition } from '../tool.js';

/** Screen distance between recorded lasso points. */
const MIN_STEP_SCREEN = 2;

export const lassoTool: ToolDefinition = {
  id: 'lasso',
  key: 'l',
  cursor: 'crosshair',
  toolbar: { label: 'Lasso selection', icon: 'Lasso' },
  status: {
    idle: 'Lasso — drag around what to select; a click clears the selection',
    drawing: 'Drawing a lasso — release to close it',
  },
  create: (editor, definition) => new LassoTool(editor, definition),
};

export class LassoTool extends Tool {
  override readonly initial = 'idle';

  constructor(editor: Editor, definition: ToolDefinition) {
    super(editor, definition);
    this.addChildren(new LassoIdle(editor, this), new LassoDrawing(editor, this));
  }
}

class LassoIdle extends StateNode {
  readonly id = 'idle';

  override onPointerDown(): void {
    this.go('drawing');
  }
}

class LassoDrawing extends StateNode {
  readonly id = 'drawing';

  override onEnter(): void {
    const { editor } = this;
    const p = editor.inputs.point;
    editor.store.history.mark('lasso');
    editor.update(setSelection({ kind: 'lasso', points: [p.x, p.y], closed: false }));
  }

  override onPointerMove(): void {
    const { editor } = this;
    const shape = editor.doc.selection?.shape;
    if (shape?.kind !== 'lasso') return;
    const p = editor.inputs.point;
    const n = shape.points.length;
    const d = Math.hypot(p.x - shape.points[n - 2], p.y - shape.points[n - 1]) * editor.viewport.zoom;
    if (d >= MIN_STEP_SCREEN) editor.update(appendLassoPoint(p));
  }

  override onPointerUp(): void {
    const { editor } = this;
    this.onPointerMove();
    const shape = editor.doc.selection?.shape;
    if (shape?.kind !== 'lasso' || shape.points.length < 6 || polygonArea(shape.points) < 1) editor.update(setSelection(null));
    else editor.update(closeLasso());
    editor.store.history.commit();
    editor.select(editor.doc.selection ? { kind: 'selection' } : null);
    this.go('idle');
  }

  override onCancel(): void {
    this.editor.store.history.bail();
    this.go('idle');
  }
}
