/** The canvas area: a checkerboard (transparent pixels) with a one-pixel border. Document space. */
import Konva from 'konva';
import type { CanvasModule, RenderContext } from '../types.js';

function checkerboard(): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = c.height = 16;
  const g = c.getContext('2d')!;
  g.fillStyle = '#3a3a40';
  g.fillRect(0, 0, 16, 16);
  g.fillStyle = '#4a4a52';
  g.fillRect(0, 0, 8, 8);
  g.fillRect(8, 8, 8, 8);
  return c;
}

export class BackgroundModule implements CanvasModule {
  private readonly rect: Konva.Rect;

  constructor(parent: Konva.Group) {
    this.rect = new Konva.Rect({ fillPatternImage: checkerboard() as unknown as HTMLImageElement, stroke: '#000', strokeWidth: 1, strokeScaleEnabled: false, listening: false });
    parent.add(this.rect);
  }

  update({ doc, viewport }: RenderContext): void {
    const inv = 1 / viewport.zoom;
    this.rect.setAttrs({ width: doc.canvas.width, height: doc.canvas.height, fillPatternScaleX: inv, fillPatternScaleY: inv });
  }

  destroy(): void {
    this.rect.destroy();
  }
}
