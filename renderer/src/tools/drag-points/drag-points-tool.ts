/**
 * D: drag points. Click a handle, then click its target (or press on the handle and release on
 * the target); the pair is one undo step and Escape before the target removes it. Pressing on an
 * existing handle or target drags that end (pairs stay editable); Delete removes the selected pair.
 */
import { createDragPair } from '../../document/create.js';
import { addDragPair, moveDragPoint } from '../../store/actions/drag-points.js';
import type { Editor } from '../editor.js';
import { dragPointAt } from '../hit-test.js';
import { GestureState } from '../gesture-state.js';
import { StateNode, type EnterInfo } from '../state-node.js';
import { Tool, type ToolDefinition } from '../tool.js';

export const dragPointsTool: ToolDefinition = {
  id: 'dragPoints',
  key: 'd',
  cursor: 'crosshair',
  toolbar: { label: 'Drag points', icon: 'Drag' },
  status: {
    idle: 'Drag points — click a point of the image, then where it should go',
    targeting: 'Drag points — click where the point should go (Esc removes it)',
    dragging: 'Dragging a point',
  },
  create: (editor, definition) => new DragPointsTool(editor, definition),
};

export class DragPointsTool extends Tool {
  override readonly initial = 'idle';

  constructor(editor: Editor, definition: ToolDefinition) {
    super(editor, definition);
    this.addChildren(new DragIdle(editor, this), new DragTargeting(editor, this), new DragDragging(editor, this));
  }
}

class DragIdle extends StateNode {
  readonly id = 'idle';

  override onPointerDown(): void {
    const { editor } = this;
    const hit = dragPointAt(editor.doc, editor.inputs.screen, editor.viewport);
    if (hit) {
      editor.select({ kind: 'dragPair', id: hit.id });
      return this.go('dragging', hit);
    }
    const pair = createDragPair(editor.inputs.point);
    editor.store.history.mark('drag point');
    editor.update(addDragPair(pair));
    editor.select({ kind: 'dragPair', id: pair.id });
    this.go('targeting', { id: pair.id });
  }
}

/** The handle is placed; the target follows the pointer until the next click. */
class DragTargeting extends StateNode {
  readonly id = 'targeting';
  private pairId = '';

  override onEnter(info: EnterInfo): void {
    this.pairId = info.id as string;
  }

  override onPointerMove(): void {
    this.editor.update(moveDragPoint(this.pairId, 'target', this.editor.inputs.point));
  }

  override onPointerDown(): void {
    this.finish();
  }

  override onPointerUp(): void {
    // Releasing the handle's own press far from it sets the target there (press–drag–release).
    if (this.editor.inputs.isDragging) this.finish();
  }

  override onCancel(): void {
    this.editor.store.history.bail();
    this.go('idle');
  }

  private finish(): void {
    this.editor.update(moveDragPoint(this.pairId, 'target', this.editor.inputs.point));
    this.editor.store.history.commit();
    this.go('idle');
  }
}

/** Moving one end of an existing pair. */
class DragDragging extends GestureState {
  readonly id = 'dragging';
  private pairId = '';
  private end: 'handle' | 'target' = 'handle';

  override onEnter(info: EnterInfo): void {
    this.pairId = info.id as string;
    this.end = info.end as 'handle' | 'target';
    this.editor.store.history.mark('move drag point');
  }

  protected apply(): void {
    if (this.editor.inputs.isDragging) this.editor.update(moveDragPoint(this.pairId, this.end, this.editor.inputs.point));
  }
}
