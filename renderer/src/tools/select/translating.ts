/** select.translating: moving a layer or the selection region; one undo step; Shift locks to an axis. */
import type { Point } from '../../document/types.js';
import { placeLayer } from '../../store/actions/layers.js';
import { transformSelection } from '../../store/actions/selection.js';
import type { SelectedItem } from '../../store/state.js';
import { GestureState } from '../gesture-state.js';
import type { EnterInfo } from '../state-node.js';

export class SelectTranslating extends GestureState {
  readonly id = 'translating';
  private item: SelectedItem | null = null;
  private start: Point = { x: 0, y: 0 };

  override onEnter(info: EnterInfo): void {
    const { editor } = this;
    this.item = info.item as SelectedItem;
    const doc = editor.doc;
    if (this.item.kind === 'layer') {
      const id = this.item.id;
      const layer = doc.layers.find((l) => l.id === id);
      this.start = layer ? { x: layer.x, y: layer.y } : { x: 0, y: 0 };
    } else {
      this.start = doc.selection ? { x: doc.selection.dx, y: doc.selection.dy } : { x: 0, y: 0 };
    }
    editor.store.history.mark('move');
    this.apply();
  }

  protected apply(): void {
    const { inputs } = this.editor;
    let dx = inputs.point.x - inputs.origin.x;
    let dy = inputs.point.y - inputs.origin.y;
    if (inputs.shiftKey) {
      if (Math.abs(dx) >= Math.abs(dy)) dy = 0;
      else dx = 0;
    }
    const x = Math.round(this.start.x + dx), y = Math.round(this.start.y + dy);
    const item = this.item;
    if (item?.kind === 'layer') this.editor.update(placeLayer(item.id, { x, y }));
    else if (item?.kind === 'selection') this.editor.update(transformSelection({ dx: x, dy: y }));
  }
}
