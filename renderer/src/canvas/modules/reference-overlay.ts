/** The reference region of appearance edits: an amber dashed box labelled "Reference", screen space. */
import Konva from 'konva';
import type { RectShape } from '../../document/types.js';
import { documentToScreen, type Viewport } from '../../document/viewport.js';
import type { CanvasModule, RenderContext } from '../types.js';

export class ReferenceOverlayModule implements CanvasModule {
  private readonly group = new Konva.Group({ listening: false, visible: false });
  private readonly box = new Konva.Rect({ stroke: '#ffb347', strokeWidth: 1.5, dash: [6, 3], listening: false });
  private readonly label = new Konva.Text({ text: 'Reference', fontSize: 11, fill: '#ffb347', listening: false });
  private last: { ref: RectShape | null; v: Viewport; selected: boolean } | null = null;

  constructor(layer: Konva.Layer) {
    this.group.add(this.box, this.label);
    layer.add(this.group);
  }

  update({ doc, viewport, ui }: RenderContext): void {
    const ref = doc.reference;
    const selected = ui.selected?.kind === 'reference';
    if (this.last && this.last.ref === ref && this.last.v === viewport && this.last.selected === selected) return;
    this.last = { ref, v: viewport, selected };
    if (!ref) {
      this.group.visible(false);
      return;
    }
    const a = documentToScreen(viewport, { x: ref.x, y: ref.y });
    const b = documentToScreen(viewport, { x: ref.x + ref.width, y: ref.y + ref.height });
    this.box.setAttrs({ x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y, strokeWidth: selected ? 2.5 : 1.5 });
    this.label.setAttrs({ x: a.x + 2, y: a.y - 14 });
    this.group.visible(true);
  }

  destroy(): void {
    this.group.destroy();
  }
}
