/**
 * The selection as marching ants in screen space: where it is (the target, after any move or
 * resize) and, when moved, a faint outline of where it came from.
 */
import Konva from 'konva';
import { isSelectionTransformed, selectionTargetPolygon, shapePolygon } from '../../document/geometry.js';
import type { Selection } from '../../document/types.js';
import { documentToScreen, type Viewport } from '../../document/viewport.js';
import type { CanvasModule, RenderContext } from '../types.js';

function toScreen(points: readonly number[], v: Viewport): number[] {
  const out = new Array<number>(points.length);
  for (let i = 0; i + 1 < points.length; i += 2) {
    const s = documentToScreen(v, { x: points[i], y: points[i + 1] });
    out[i] = s.x;
    out[i + 1] = s.y;
  }
  return out;
}

export class SelectionOverlayModule implements CanvasModule {
  private readonly group = new Konva.Group({ listening: false });
  private readonly source: Konva.Line = new Konva.Line({ stroke: '#ffffff88', strokeWidth: 1, dash: [3, 3], listening: false });
  private readonly base: Konva.Line = new Konva.Line({ stroke: '#fff', strokeWidth: 1, listening: false });
  private readonly ants: Konva.Line = new Konva.Line({ stroke: '#000', strokeWidth: 1, dash: [5, 5], listening: false });
  private timer: ReturnType<typeof setInterval> | undefined;
  private last: { sel: Selection | null; v: Viewport } | null = null;

  constructor(private readonly layer: Konva.Layer) {
    this.group.add(this.source, this.base, this.ants);
    layer.add(this.group);
  }

  update({ doc, viewport }: RenderContext): void {
    const sel = doc.selection;
    if (this.last && this.last.sel === sel && this.last.v === viewport) return;
    this.last = { sel, v: viewport };
    if (!sel) {
      this.group.visible(false);
      this.animate(false);
      return;
    }
    const closed = sel.shape.kind === 'rect' || sel.shape.closed;
    const target = toScreen(selectionTargetPolygon(sel), viewport);
    this.base.setAttrs({ points: target, closed });
    this.ants.setAttrs({ points: target, closed });
    const moved = isSelectionTransformed(sel);
    this.source.setAttrs({ points: moved ? toScreen(shapePolygon(sel.shape), viewport) : [], closed, visible: moved });
    this.group.visible(true);
    this.animate(true);
  }

  /** March the ants at ~8 fps while there is a selection (cheap: one small layer redraw). */
  private animate(on: boolean): void {
    if (on && this.timer === undefined) {
      this.timer = setInterval(() => {
        this.ants.dashOffset((this.ants.dashOffset() + 1) % 10);
        this.layer.batchDraw();
      }, 120);
    } else if (!on && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  destroy(): void {
    this.animate(false);
    this.group.destroy();
  }
}
