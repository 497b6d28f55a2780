/**
 * The mask as a semi-transparent red overlay, rasterised by the document's own stroke rasteriser
 * (MaskRaster) into an offscreen canvas; only the changed region is re-uploaded. Document space.
 */
import Konva from 'konva';
import type { MaskStroke } from '../../document/types.js';
import { MaskRaster } from '../mask-raster.js';
import type { CanvasModule, RenderContext } from '../types.js';

export class MaskOverlayModule implements CanvasModule {
  private readonly raster = new MaskRaster();
  private readonly canvas = document.createElement('canvas');
  private readonly ctx2d = this.canvas.getContext('2d')!;
  private imageData: ImageData | null = null;
  private readonly node: Konva.Image;
  private lastStrokes: readonly MaskStroke[] | null = null;

  constructor(parent: Konva.Group) {
    this.node = new Konva.Image({ image: this.canvas, listening: false });
    parent.add(this.node);
  }

  update({ doc }: RenderContext): void {
    const { width, height } = doc.canvas;
    const { mask } = doc;
    this.node.setAttrs({ image: this.canvas, opacity: mask.opacity, visible: mask.visible && mask.strokes.length > 0, width, height });
    if (mask.strokes === this.lastStrokes && width === this.raster.width && height === this.raster.height) return;
    this.lastStrokes = mask.strokes;
    const resized = width !== this.raster.width || height !== this.raster.height;
    const dirty = this.raster.update(mask.strokes, width, height);
    if (resized || !this.imageData) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.imageData = new ImageData(this.raster.rgba as Uint8ClampedArray<ArrayBuffer>, width, height);
    }
    if (dirty) this.ctx2d.putImageData(this.imageData, 0, 0, dirty.x, dirty.y, dirty.width, dirty.height);
  }

  destroy(): void {
    this.node.destroy();
  }
}
