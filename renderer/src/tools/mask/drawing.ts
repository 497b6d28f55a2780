/**
 * brush.drawing / eraser.drawing: one stroke, recorded live into the document so the canvas draws
 * it, and kept as ONE undo step by a history mark; Escape bails it away.
 */
import { createStroke } from '../../document/create.js';
import type { Point } from '../../document/types.js';
import { addStroke, appendStrokePoint } from '../../store/actions/mask.js';
import type { Editor } from '../editor.js';
import { StateNode } from '../state-node.js';

/** Points closer than this on screen are skipped. */
const MIN_STEP_SCREEN = 1;

export class MaskDrawing extends StateNode {
  readonly id = 'drawing';
  private strokeId = '';
  private last: Point = { x: 0, y: 0 };

  constructor(
    editor: Editor,
    parent: StateNode,
    private readonly mode: 'brush' | 'eraser',
  ) {
    super(editor, parent);
  }

  override onEnter(): void {
    const { editor } = this;
    const { size, hardness } = editor.ui[this.mode];
    const p = round(editor.inputs.point);
    const stroke = createStroke(this.mode, size, hardness, p);
    this.strokeId = stroke.id;
    this.last = p;
    editor.store.history.mark(this.mode);
    editor.update(addStroke(stroke));
  }

  override onPointerMove(): void {
    this.addPoint(false);
  }

  override onPointerUp(): void {
    this.addPoint(true);
    this.editor.store.history.commit();
    this.go('idle');
  }

  override onCancel(): void {
    this.editor.store.history.bail();
    this.go('idle');
  }

  private addPoint(final: boolean): void {
    const { editor } = this;
    const p = round(editor.inputs.point);
    const d = Math.hypot(p.x - this.last.x, p.y - this.last.y) * editor.viewport.zoom;
    if (d === 0 || (!final && d < MIN_STEP_SCREEN)) return;
    this.last = p;
    editor.update(appendStrokePoint(this.strokeId, p));
  }
}

function round(p: Point): Point {
  return { x: Math.round(p.x * 100) / 100, y: Math.round(p.y * 100) / 100 };
}
