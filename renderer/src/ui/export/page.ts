/** The page's side of export: the visible layers flattened with a 2D canvas, and a download link. */
import type { CanvasDocument, Rect } from '../../document/types.js';
import type { PixelBank } from '../pixel-bank.js';
import { pngBlob } from '../png.js';
import { layersUnder } from './export.js';

type Context2d = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/**
 * Draw the visible layers that have pixels, bottom to top with their opacity, onto `ctx` whose
 * top-left is the document point (`origin.x`, `origin.y`); returns how many were drawn.
 */
export function drawVisibleLayers(ctx: Context2d, doc: CanvasDocument, bank: Pick<PixelBank, 'image'>, origin: { x: number; y: number } = { x: 0, y: 0 }): number {
  const layers = doc.layers.filter((l) => l.visible && bank.image(l.pixelId));
  for (const l of layers) {
    ctx.globalAlpha = l.opacity;
    ctx.drawImage(bank.image(l.pixelId)!, l.x - origin.x, l.y - origin.y, l.width * l.scaleX, l.height * l.scaleY);
  }
  ctx.globalAlpha = 1;
  return layers.length;
}

/** The visible layers composited at canvas size (no mask), as PNG bytes; null when none has pixels. */
export async function flattenCanvas(doc: CanvasDocument, bank: Pick<PixelBank, 'image'>): Promise<Uint8Array | null> {
  const canvas = document.createElement('canvas');
  canvas.width = doc.canvas.width;
  canvas.height = doc.canvas.height;
  const ctx = canvas.getContext('2d');
  if (!ctx || !drawVisibleLayers(ctx, doc, bank)) return null;
  const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/png'));
  return blob ? new Uint8Array(await blob.arrayBuffer()) : null;
}

/**
 * The visible layers composited over `rect` (document pixels, which may lie partly off the canvas):
 * straight-alpha RGBA, rect-sized, transparent wherever no layer is.
 */
export function flattenRegion(doc: CanvasDocument, bank: Pick<PixelBank, 'image'>, rect: Rect): ImageData {
  const canvas = new OffscreenCanvas(rect.width, rect.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser cannot draw offscreen');
  drawVisibleLayers(ctx, doc, bank, rect);
  return ctx.getImageData(0, 0, rect.width, rect.height);
}

/** The visible layers composited over `rect`, rect-sized, as PNG bytes; null when no layer with pixels shows there. */
export async function flattenFrame(doc: CanvasDocument, bank: Pick<PixelBank, 'image'>, rect: Rect): Promise<Uint8Array | null> {
  const canvas = new OffscreenCanvas(rect.width, rect.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser cannot draw offscreen');
  if (!drawVisibleLayers(ctx, { ...doc, layers: layersUnder(doc.layers, rect) }, bank, rect)) return null;
  return new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
}

export function downloadBytes(name: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(pngBlob(bytes));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
