/**
 * The mask over the image: its tint (the user's colour at the mask's opacity, hatched when chosen)
 * and, on top at full opacity, a dashed outline in the colour and a contrasting black or white, so
 * the mask can be told apart from any image. Both are rasterised by MaskRaster with the document's
 * own stroke rasteriser into offscreen canvases; only the changed region is re-uploaded. Document space.
 */
import Konva from 'konva';
import type { MaskStroke, Rect } from '../../document/types.js';
import type { MaskStyle } from '../../store/state.js';
import { hexColour, MaskRaster } from '../mask-raster.js';
import type { CanvasModule, RenderContext } from '../types.js';

/** One raster's offscreen canvas and the Konva image drawing it. */
class RasterImage {
  readonly canvas = document.createElement('canvas');
  private readonly ctx2d = this.canvas.getContext('2d')!;
  private data: ImageData | null = null;
  readonly node: Konva.Image;

  constructor(parent: Konva.Group) {
    this.node = new Konva.Image({ image: this.canvas, listening: false });
    parent.add(this.node);
  }

  /** Point at `rgba` (a new buffer after a resize) and upload `dirty`. */
  upload(rgba: Uint8ClampedArray, width: number, height: number, dirty: Rect | null): void {
    if (!this.data || this.data.data.buffer !== rgba.buffer || this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.data = new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, width, height);
      dirty = { x: 0, y: 0, width, height };
    }
    if (dirty && dirty.width > 0 && dirty.height > 0) this.ctx2d.putImageData(this.data, 0, 0, dirty.x, dirty.y, dirty.width, dirty.height);
  }
}

export class MaskOverlayModule implements CanvasModule {
  private readonly raster = new MaskRaster();
  private readonly tint: RasterImage;
  private readonly outline: RasterImage;
  private lastStrokes: readonly MaskStroke[] | null = null;
  private lastStyle: MaskStyle | null = null;

  constructor(parent: Konva.Group) {
    this.tint = new RasterImage(parent);
    this.outline = new RasterImage(parent);
  }

  update({ doc, ui }: RenderContext): void {
    const { width, height } = doc.canvas;
    const { mask } = doc;
    const shown = mask.visible && mask.strokes.length > 0;
    this.tint.node.setAttrs({ image: this.tint.canvas, opacity: mask.opacity, visible: shown, width, height });
    this.outline.node.setAttrs({ image: this.outline.canvas, visible: shown, width, height });
    const style = ui.maskStyle;
    const restyled = style !== this.lastStyle && this.raster.setStyle({ colour: hexColour(style.colour), hatch: style.hatch });
    this.lastStyle = style;
    if (!restyled && mask.strokes === this.lastStrokes && width === this.raster.width && height === this.raster.height) return;
    this.lastStrokes = mask.strokes;
    const dirty = restyled ? { x: 0, y: 0, width, height } : this.raster.update(mask.strokes, width, height);
    if (restyled) this.raster.update(mask.strokes, width, height);
    this.tint.upload(this.raster.rgba, width, height, dirty);
    this.outline.upload(this.raster.edge, width, height, dirty);
  }

  destroy(): void {
    this.tint.node.destroy();
    this.outline.node.destroy();
  }
}
