/**
 * The generation frame: a dashed outline (white over a dark line, visible on any image) with its
 * size above it, and its eight handles while the frame tool is active. Screen space.
 */
import Konva from 'konva';
import { effectiveFrame, FALLBACK_FRAME_RULES } from '../../document/frame.js';
import { documentToScreen } from '../../document/viewport.js';
import { HANDLES, handlePosition } from '../../tools/transform.js';
import type { CanvasModule, RenderContext } from '../types.js';

const HANDLE = 8;
const COLOUR = '#7dffb0';

export class FrameOverlayModule implements CanvasModule {
  private readonly group = new Konva.Group({ listening: false });
  private readonly under = new Konva.Rect({ stroke: '#000', strokeWidth: 3, opacity: 0.6, listening: false });
  private readonly outline = new Konva.Rect({ stroke: COLOUR, strokeWidth: 1, dash: [6, 4], listening: false });
  private readonly label = new Konva.Text({ fontSize: 11, fill: COLOUR, shadowColor: '#000', shadowBlur: 2, shadowOpacity: 0.9, listening: false });
  private readonly handles = HANDLES.map(() => new Konva.Rect({ width: HANDLE, height: HANDLE, fill: '#fff', stroke: COLOUR, strokeWidth: 1, listening: false }));

  constructor(layer: Konva.Layer) {
    this.group.add(this.under, this.outline, this.label, ...this.handles);
    layer.add(this.group);
  }

  update({ doc, ui, viewport }: RenderContext): void {
    const frame = effectiveFrame(doc, ui.frameRules ?? FALLBACK_FRAME_RULES);
    const a = documentToScreen(viewport, { x: frame.x, y: frame.y });
    const b = documentToScreen(viewport, { x: frame.x + frame.width, y: frame.y + frame.height });
    const box = { x: Math.round(a.x) + 0.5, y: Math.round(a.y) + 0.5, width: Math.round(b.x - a.x), height: Math.round(b.y - a.y) };
    const active = ui.tool === 'frame';
    this.under.setAttrs(box);
    this.outline.setAttrs({ ...box, strokeWidth: active ? 1.5 : 1 });
    this.label.setAttrs({ text: `${frame.width} × ${frame.height}`, x: box.x, y: box.y - 15 });
    HANDLES.forEach((h, i) => {
      const p = documentToScreen(viewport, handlePosition(frame, h));
      this.handles[i].setAttrs({ x: Math.round(p.x - HANDLE / 2) + 0.5, y: Math.round(p.y - HANDLE / 2) + 0.5, visible: active });
    });
  }

  destroy(): void {
    this.group.destroy();
  }
}
