/** frame.idle: a press on a handle resizes the frame, inside it moves it, outside it brings it there. */
import { rectContains } from '../../document/geometry.js';
import { handleAt } from '../hit-test.js';
import { StateNode } from '../state-node.js';
import { currentFrame } from './current.js';

export class FrameIdle extends StateNode {
  readonly id = 'idle';

  override onPointerDown(): void {
    const { editor } = this;
    const frame = currentFrame(editor);
    const handle = handleAt(frame, editor.inputs.screen, editor.viewport);
    if (handle) return this.go('resizing', { handle });
    this.go('moving', { recentre: !rectContains(frame, editor.inputs.point) });
  }
}
