/** The live preview of a running generation, over the document (RGB → ImageData → offscreen canvas). */
import Konva from 'konva';
import type { PreviewImage } from '../../ui/progress/progress.js';
import type { CanvasModule } from '../types.js';

export class PreviewModule implements CanvasModule {
  private readonly canvas = document.createElement('canvas');
  private readonly node: Konva.Image;
  private readonly frame: Konva.Rect;

  constructor(parent: Konva.Group) {
    this.node = new Konva.Image({ image: this.canvas, visible: false, listening: false });
    this.frame = new Konva.Rect({ stroke: '#6cb4ff', strokeWidth: 1, strokeScaleEnabled: false, dash: [4, 4], visible: false, listening: false });
    parent.add(this.node, this.frame);
  }

  set(p: PreviewImage | null): void {
    if (!p) {
      this.node.visible(false);
      this.frame.visible(false);
      return;
    }
    const { width, height, rgb } = p;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const data = new ImageData(width, height);
    for (let i = 0, o = 0; i < width * height; i++, o += 4) {
      data.data[o] = rgb[3 * i];
      data.data[o + 1] = rgb[3 * i + 1];
      data.data[o + 2] = rgb[3 * i + 2];
      data.data[o + 3] = 255;
    }
    this.canvas.getContext('2d')!.putImageData(data, 0, 0);
    this.node.setAttrs({ image: this.canvas, ...p.rect, visible: true });
    this.frame.setAttrs({ ...p.rect, visible: true });
  }

  update(): void {}

  destroy(): void {
    this.node.destroy();
    this.frame.destroy();
  }
}
