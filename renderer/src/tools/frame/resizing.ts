/**
 * frame.resizing: dragging one of the frame's handles; the opposite side stays put and each side
 * that moves snaps to the model's multiple (at least one multiple, at most the largest side the
 * model makes); Shift on a corner keeps the proportions. One undo step.
 */
import { clampFramePosition, snapResizedFrame } from '../../document/frame.js';
import type { Point, Rect } from '../../document/types.js';
import { setFrame } from '../../store/actions/frame.js';
import { GestureState } from '../gesture-state.js';
import type { EnterInfo } from '../state-node.js';
import { handlePosition, handleSides, resizeBox, type HandleId } from '../transform.js';
import { currentFrame, frameRules } from './current.js';

export class FrameResizing extends GestureState {
  readonly id = 'resizing';
  private handle: HandleId = 'se';
  private start: Rect = { x: 0, y: 0, width: 0, height: 0 };
  private handleStart: Point = { x: 0, y: 0 };

  override onEnter(info: EnterInfo): void {
    this.handle = info.handle as HandleId;
    this.start = currentFrame(this.editor);
    this.handleStart = handlePosition(this.start, this.handle);
    this.editor.store.history.mark('resize frame');
  }

  protected apply(): void {
    const { inputs, doc } = this.editor;
    const rules = frameRules(this.editor);
    const p = { x: this.handleStart.x + inputs.point.x - inputs.origin.x, y: this.handleStart.y + inputs.point.y - inputs.origin.y };
    const { sx, sy } = handleSides(this.handle);
    const box = resizeBox(this.start, this.handle, p, inputs.shiftKey, rules.multiple);
    this.editor.update(setFrame(clampFramePosition(snapResizedFrame(box, sx, sy, rules), doc.canvas)));
  }
}
