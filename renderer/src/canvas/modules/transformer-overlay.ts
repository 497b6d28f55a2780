/** The transformer: the selected layer's or selection's box and its eight handles (screen space). */
import Konva from 'konva';
import { documentToScreen } from '../../document/viewport.js';
import { itemBox } from '../../tools/hit-test.js';
import { HANDLES, handlePosition } from '../../tools/transform.js';
import type { CanvasModule, RenderContext } from '../types.js';

const HANDLE = 8;

export class TransformerOverlayModule implements CanvasModule {
  private readonly group = new Konva.Group({ listening: false });
  private readonly outline = new Konva.Rect({ stroke: '#4aa3ff', strokeWidth: 1, listening: false });
  private readonly handles = HANDLES.map(() => new Konva.Rect({ width: HANDLE, height: HANDLE, fill: '#fff', stroke: '#4aa3ff', strokeWidth: 1, listening: false }));

  constructor(layer: Konva.Layer) {
    this.group.add(this.outline, ...this.handles);
    layer.add(this.group);
  }

  update({ doc, ui, viewport }: RenderContext): void {
    const box = itemBox(doc, ui.selected);
    if (!box) return void this.group.visible(false);
    const a = documentToScreen(viewport, { x: box.x, y: box.y });
    const b = documentToScreen(viewport, { x: box.x + box.width, y: box.y + box.height });
    this.outline.setAttrs({ x: a.x + 0.5, y: a.y + 0.5, width: b.x - a.x, height: b.y - a.y, dash: ui.tool === 'select' ? undefined : [4, 4] });
    const showHandles = ui.tool === 'select';
    HANDLES.forEach((h, i) => {
      const p = documentToScreen(viewport, handlePosition(box, h));
      this.handles[i].setAttrs({ x: Math.round(p.x - HANDLE / 2) + 0.5, y: Math.round(p.y - HANDLE / 2) + 0.5, visible: showHandles });
    });
    this.group.visible(true);
  }

  destroy(): void {
    this.group.destroy();
  }
}
