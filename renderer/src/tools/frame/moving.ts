/**
 * frame.moving: the frame follows the pointer in whole pixels, kept in touch with the canvas; Shift
 * locks it to one axis. Pressed outside the frame, it is first centred on the pointer. One undo step.
 */
import { clampFramePosition } from '../../document/frame.js';
import type { Rect } from '../../document/types.js';
import { setFrame } from '../../store/actions/frame.js';
import { GestureState } from '../gesture-state.js';
import type { EnterInfo } from '../state-node.js';
import { currentFrame } from './current.js';

export class FrameMoving extends GestureState {
  readonly id = 'moving';
  private start: Rect = { x: 0, y: 0, width: 0, height: 0 };
  private recentre = false;

  override onEnter(info: EnterInfo): void {
    const { editor } = this;
    const frame = currentFrame(editor);
    this.recentre = info.recentre === true;
    const p = editor.inputs.origin;
    this.start = this.recentre ? { ...frame, x: p.x - frame.width / 2, y: p.y - frame.height / 2 } : frame;
    editor.store.history.mark('move frame');
    this.apply();
  }

  protected apply(): void {
    const { inputs, doc } = this.editor;
    // A click inside the frame leaves it (and the history) alone.
    if (!this.recentre && !inputs.isDragging) return;
    let dx = inputs.point.x - inputs.origin.x;
    let dy = inputs.point.y - inputs.origin.y;
    if (inputs.shiftKey) {
      if (Math.abs(dx) >= Math.abs(dy)) dy = 0;
      else dx = 0;
    }
    this.editor.update(setFrame(clampFramePosition({ ...this.start, x: this.start.x + dx, y: this.start.y + dy }, doc.canvas)));
  }
}
