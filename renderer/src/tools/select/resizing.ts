/**
 * select.resizing: dragging a transformer handle; the opposite side stays put; Shift on a corner
 * keeps the aspect ratio (pressing or releasing Shift mid-drag re-applies at once). One undo step.
 */
import { shapeBounds } from '../../document/geometry.js';
import type { Point, Rect } from '../../document/types.js';
import { placeLayer } from '../../store/actions/layers.js';
import { transformSelection } from '../../store/actions/selection.js';
import type { SelectedItem } from '../../store/state.js';
import { itemBox } from '../hit-test.js';
import { GestureState } from '../gesture-state.js';
import type { EnterInfo } from '../state-node.js';
import { handlePosition, resizeBox, type HandleId } from '../transform.js';

export class SelectResizing extends GestureState {
  readonly id = 'resizing';
  private item: SelectedItem | null = null;
  private handleId: HandleId = 'se';
  private startBox: Rect = { x: 0, y: 0, width: 0, height: 0 };
  private handleStart: Point = { x: 0, y: 0 };

  override onEnter(info: EnterInfo): void {
    this.item = info.item as SelectedItem;
    this.handleId = info.handle as HandleId;
    this.startBox = itemBox(this.editor.doc, this.item) ?? this.startBox;
    this.handleStart = handlePosition(this.startBox, this.handleId);
    this.editor.store.history.mark('resize');
  }

  protected apply(): void {
    const { inputs, doc } = this.editor;
    const p = { x: this.handleStart.x + inputs.point.x - inputs.origin.x, y: this.handleStart.y + inputs.point.y - inputs.origin.y };
    const box = resizeBox(this.startBox, this.handleId, p, inputs.shiftKey);
    const item = this.item;
    if (item?.kind === 'layer') {
      const layer = doc.layers.find((l) => l.id === item.id);
      if (layer) this.editor.update(placeLayer(item.id, { x: box.x, y: box.y, scaleX: box.width / layer.width, scaleY: box.height / layer.height }));
    } else if (item?.kind === 'selection' && doc.selection) {
      const src = shapeBounds(doc.selection.shape);
      if (src.width <= 0 || src.height <= 0) return;
      this.editor.update(transformSelection({ dx: box.x - src.x, dy: box.y - src.y, scaleX: box.width / src.width, scaleY: box.height / src.height }));
    }
  }
}
