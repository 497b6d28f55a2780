/** brush.idle / eraser.idle: a press starts a stroke. */
import { StateNode } from '../state-node.js';

export class MaskIdle extends StateNode {
  readonly id = 'idle';

  override onPointerDown(): void {
    this.go('drawing');
  }
}
