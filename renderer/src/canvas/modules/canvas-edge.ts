/**
 * The canvas's edge, drawn so it cannot be missed: everything outside the canvas is dimmed (layers
 * hanging over the edge included: they are not part of the picture), the edge is a white line over
 * a dark one (visible on any image and on the checkerboard), and the canvas's size sits under its
 * bottom-left corner. Screen space, under the other overlays.
 */
import Konva from 'konva';
import { documentToScreen } from '../../document/viewport.js';
import type { CanvasModule, RenderContext } from '../types.js';

/** The dimming outside the canvas. */
export const OUTSIDE_DIM = 'rgba(12, 12, 16, 0.6)';

export class CanvasEdgeModule implements CanvasModule {
  private readonly group = new Konva.Group({ listening: false });
  /** Above, below, left of and right of the canvas. */
  private readonly dims = [0, 1, 2, 3].map(() => new Konva.Rect({ fill: OUTSIDE_DIM, listening: false }));
  private readonly under = new Konva.Rect({ stroke: '#000', strokeWidth: 3, opacity: 0.7, listening: false });
  private readonly edge = new Konva.Rect({ stroke: '#fff', strokeWidth: 1, listening: false });
  private readonly label = new Konva.Text({ fontSize: 11, fill: '#ddd', shadowColor: '#000', shadowBlur: 2, shadowOpacity: 0.9, listening: false });

  constructor(layer: Konva.Layer) {
    this.group.add(...this.dims, this.under, this.edge, this.label);
    layer.add(this.group);
  }

  update({ doc, viewport, screen }: RenderContext): void {
    const a = documentToScreen(viewport, { x: 0, y: 0 });
    const b = documentToScreen(viewport, { x: doc.canvas.width, y: doc.canvas.height });
    const x0 = Math.round(a.x), y0 = Math.round(a.y), x1 = Math.round(b.x), y1 = Math.round(b.y);
    const W = screen.width, H = screen.height;
    const clampX = (v: number) => Math.min(W, Math.max(0, v)), clampY = (v: number) => Math.min(H, Math.max(0, v));
    const top = clampY(y0), bottom = clampY(y1), left = clampX(x0), right = clampX(x1);
    this.dims[0].setAttrs({ x: 0, y: 0, width: W, height: top });
    this.dims[1].setAttrs({ x: 0, y: bottom, width: W, height: H - bottom });
    this.dims[2].setAttrs({ x: 0, y: top, width: left, height: bottom - top });
    this.dims[3].setAttrs({ x: right, y: top, width: W - right, height: bottom - top });
    const box = { x: x0 - 0.5, y: y0 - 0.5, width: x1 - x0 + 1, height: y1 - y0 + 1 };
    this.under.setAttrs(box);
    this.edge.setAttrs(box);
    this.label.setAttrs({ text: `Canvas ${doc.canvas.width} × ${doc.canvas.height}`, x: x0, y: y1 + 5 });
  }

  destroy(): void {
    this.group.destroy();
  }
}
