/** The page's EditPixels: layers and masks drawn with canvases and encoded as PNG; results decoded into the PixelBank. */
import type { ImageLayer, Rect } from '../../document/types.js';
import type { PixelBank } from '../pixel-bank.js';
import { pngBlob } from '../png.js';
import type { EditPixels } from './controller.js';
import type { Png } from './plan.js';

export function pagePixels(bank: PixelBank): EditPixels {
  const bitmap = (layer: ImageLayer): ImageBitmap => {
    const image = bank.image(layer.pixelId);
    if (!image) throw new Error(`the pixels of "${layer.name}" are not loaded`);
    return image;
  };
  return {
    async layerOnCanvas(layer, width, height) {
      const [canvas, ctx] = surface(width, height);
      ctx.drawImage(bitmap(layer), layer.x, layer.y, layer.width * layer.scaleX, layer.height * layer.scaleY);
      return encode(canvas);
    },

    async mask(mask, width, height) {
      const [canvas, ctx] = surface(width, height);
      const data = ctx.createImageData(width, height);
      for (let i = 0; i < width * height; i++) {
        const v = Math.round(255 * Math.min(1, Math.max(0, mask[i])));
        data.data.set([v, v, v, 255], 4 * i);
      }
      ctx.putImageData(data, 0, 0);
      return encode(canvas);
    },

    async layerAsReference(layer, factor, width, height) {
      const image = bitmap(layer);
      const box = opaqueBox(image);
      const [canvas, ctx] = surface(width, height);
      ctx.drawImage(image, 0, 0, layer.width * factor, layer.height * factor);
      const rgba = ctx.getImageData(0, 0, width, height).data;
      const [maskCanvas, maskCtx] = surface(width, height);
      const out = maskCtx.createImageData(width, height);
      for (let i = 0; i < width * height; i++) {
        const a = rgba[4 * i + 3];
        out.data.set([a, a, a, 255], 4 * i);
      }
      maskCtx.putImageData(out, 0, 0);
      return { image: await encode(canvas), mask: await encode(maskCanvas), box };
    },

    async addResult(png) {
      const added = await bank.add(pngBlob(png));
      bank.store.pin(added.id);
      return added;
    },

    settle: (id) => bank.store.unpin(id),
  };
}

/** The bounding box of an image's pixels with alpha ≥ 128, in its own pixels; null when there are none. */
function opaqueBox(image: ImageBitmap): Rect | null {
  const { width, height } = image;
  const [, ctx] = surface(width, height);
  ctx.drawImage(image, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  let minX = width, minY = height, maxX = -1, maxY = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (rgba[4 * (y * width + x) + 3] < 128) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  return maxX < 0 ? null : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

function surface(width: number, height: number): [OffscreenCanvas, OffscreenCanvasRenderingContext2D] {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser cannot draw offscreen');
  return [canvas, ctx];
}

async function encode(canvas: OffscreenCanvas): Promise<Png> {
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return new Uint8Array(await blob.arrayBuffer());
}
