/** The page's UpscalePixels: a layer's own encoded image as PNG (re-encoded when it is not one); results into the PixelBank. */
import type { EditPixels } from '../edit/controller.js';
import type { Png } from '../edit/plan.js';
import type { PixelBank } from '../pixel-bank.js';
import type { UpscalePixels } from './controller.js';

export function pageUpscalePixels(bank: PixelBank, results: Pick<EditPixels, 'addResult' | 'settle'>): UpscalePixels {
  return {
    async layerPng(layer) {
      const asset = bank.get(layer.pixelId);
      if (!asset) throw new Error(`the pixels of "${layer.name}" are not loaded`);
      if (asset.blob.type === 'image/png') return new Uint8Array(await asset.blob.arrayBuffer());
      const image = bank.image(layer.pixelId);
      if (!image) throw new Error(`the pixels of "${layer.name}" are not decoded`);
      const canvas = new OffscreenCanvas(image.width, image.height);
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('this browser cannot draw offscreen');
      ctx.drawImage(image, 0, 0);
      const blob = await canvas.convertToBlob({ type: 'image/png' });
      return new Uint8Array(await blob.arrayBuffer()) as Png;
    },
    addResult: (png) => results.addResult(png),
    settle: (id) => results.settle(id),
  };
}
