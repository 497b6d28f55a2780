/** The page's side of export: the canvas flattened with a 2D canvas, and a download link. */
import type { CanvasDocument } from '../../document/types.js';
import type { PixelBank } from '../pixel-bank.js';
import { pngBlob } from '../png.js';

/** The visible layers composited at canvas size (no mask), as PNG bytes; null when none has pixels. */
export async function flattenCanvas(doc: CanvasDocument, bank: Pick<PixelBank, 'image'>): Promise<Uint8Array | null> {
  const layers = doc.layers.filter((l) => l.visible && bank.image(l.pixelId));
  if (!layers.length) return null;
  const canvas = document.createElement('canvas');
  canvas.width = doc.canvas.width;
  canvas.height = doc.canvas.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  for (const l of layers) {
    ctx.globalAlpha = l.opacity;
    ctx.drawImage(bank.image(l.pixelId)!, l.x, l.y, l.width * l.scaleX, l.height * l.scaleY);
  }
  const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/png'));
  return blob ? new Uint8Array(await blob.arrayBuffer()) : null;
}

export function downloadBytes(name: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(pngBlob(bytes));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
