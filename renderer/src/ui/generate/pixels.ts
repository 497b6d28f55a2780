/** The page's GeneratePixels: the layers under the frame read back from a canvas (export's flattening), PNGs encoded with canvases, results decoded into the PixelBank. */
import type { EditPixels } from '../edit/controller.js';
import { flattenRegion } from '../export/page.js';
import type { PixelBank } from '../pixel-bank.js';
import type { GeneratePixels } from './generation.js';

export function pageGeneratePixels(bank: PixelBank, edit: Pick<EditPixels, 'mask' | 'addResult' | 'settle'>): GeneratePixels {
  return {
    async composite(doc, rect) {
      return flattenRegion(doc, bank, rect);
    },

    async png({ width, height, data }) {
      const canvas = new OffscreenCanvas(width, height);
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('this browser cannot draw offscreen');
      ctx.putImageData(new ImageData(data.slice(), width, height), 0, 0);
      const blob = await canvas.convertToBlob({ type: 'image/png' });
      return new Uint8Array(await blob.arrayBuffer());
    },

    mask: (mask, width, height) => edit.mask(mask, width, height),
    addResult: (png) => edit.addResult(png),
    settle: (id) => edit.settle(id),
  };
}
