/** select.pointing: pressed on an item; dragging past the threshold starts a move. */
import type { SelectedItem } from '../../store/state.js';
import { StateNode, type EnterInfo } from '../state-node.js';

export class SelectPointing extends StateNode {
  readonly id = 'pointing';
  private item: SelectedItem | null = null;

  override onEnter(info: EnterInfo): void {
    this.item = info.item as SelectedItem;
  }

  override onPointerMove(): void {
    if (this.editor.inputs.isDragging) this.go('translating', { item: this.item });
  }

  override onPointerUp(): void {
    this.go('idle');
  }

  override onCancel(): void {
    this.go('idle');
  }
}
