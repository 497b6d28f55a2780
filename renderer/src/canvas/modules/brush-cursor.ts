/** The brush / eraser outline under the pointer, sized to the brush in screen pixels. */
import Konva from 'konva';
import type { CanvasModule, RenderContext } from '../types.js';

export class BrushCursorModule implements CanvasModule {
  private readonly outer = new Konva.Circle({ stroke: '#000', strokeWidth: 1, listening: false, visible: false });
  private readonly inner = new Konva.Circle({ stroke: '#fff', strokeWidth: 1, listening: false, visible: false });

  constructor(layer: Konva.Layer) {
    layer.add(this.outer, this.inner);
  }

  update({ ui, viewport, pointer }: RenderContext): void {
    const mode = ui.tool === 'brush' || ui.tool === 'eraser' ? ui.tool : null;
    const visible = !!mode && !!pointer;
    this.outer.visible(visible);
    this.inner.visible(visible);
    if (!visible || !mode || !pointer) return;
    const r = Math.max(1, (ui[mode].size / 2) * viewport.zoom);
    this.outer.setAttrs({ x: pointer.x, y: pointer.y, radius: r + 0.5, dash: mode === 'eraser' ? [4, 3] : undefined });
    this.inner.setAttrs({ x: pointer.x, y: pointer.y, radius: Math.max(0.5, r - 0.5) });
  }

  destroy(): void {
    this.outer.destroy();
    this.inner.destroy();
  }
}
