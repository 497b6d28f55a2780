/** select.idle: a press on a handle resizes, on an item selects it (and may move it), elsewhere deselects. */
import { rectContains } from '../../document/geometry.js';
import { handleAt, itemAt, itemBox } from '../hit-test.js';
import { StateNode } from '../state-node.js';

export class SelectIdle extends StateNode {
  readonly id = 'idle';

  override onPointerDown(): void {
    const { editor } = this;
    const selected = editor.ui.selected;
    const box = itemBox(editor.doc, selected);
    if (box && selected) {
      const handle = handleAt(box, editor.inputs.screen, editor.viewport);
      if (handle) return this.go('resizing', { item: selected, handle });
      if (rectContains(box, editor.inputs.point)) return this.go('pointing', { item: selected });
    }
    const item = itemAt(editor.doc, editor.inputs.point);
    editor.select(item);
    if (item) this.go('pointing', { item });
  }
}
