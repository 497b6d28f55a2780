/**
 * The page's side of the PixelStore: each pixel id has its encoded image (a Blob, kept for
 * autosave and export), an object URL (what the PixelStore records) and, once decoded, an
 * ImageBitmap the canvas draws. Evicting an id revokes its URL and closes its bitmap.
 */
import { PixelStore, type PixelEntry } from '../document/pixels.js';

export interface PixelAsset {
  blob: Blob;
  url: string;
  width: number;
  height: number;
  bitmap: ImageBitmap | null;
}

export class PixelBank {
  readonly store: PixelStore;
  private readonly assets = new Map<string, PixelAsset>();
  private readonly listeners = new Set<() => void>();

  constructor() {
    this.store = new PixelStore((id, entry) => this.evicted(id, entry));
  }

  /** Decode an image blob and register it; resolves with its id and natural size. */
  async add(blob: Blob, id?: string): Promise<{ id: string; width: number; height: number }> {
    const bitmap = await decodeImage(blob);
    const url = URL.createObjectURL(blob);
    const asset: PixelAsset = { blob, url, width: bitmap.width, height: bitmap.height, bitmap };
    const pixelId = this.store.put({ width: asset.width, height: asset.height, url }, id);
    this.assets.set(pixelId, asset);
    this.emit();
    return { id: pixelId, width: asset.width, height: asset.height };
  }

  get(id: string): PixelAsset | undefined {
    return this.assets.get(id);
  }

  image(id: string): ImageBitmap | null {
    return this.assets.get(id)?.bitmap ?? null;
  }

  /** Called when a bitmap arrives (the canvas redraws). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }

  private evicted(id: string, entry: PixelEntry): void {
    const asset = this.assets.get(id);
    if (entry.url) URL.revokeObjectURL(entry.url);
    if (asset && asset.url === entry.url) {
      asset.bitmap?.close();
      this.assets.delete(id);
    }
  }
}

/** Decode PNG/JPEG/WebP bytes; the message says what failed. */
export async function decodeImage(blob: Blob): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(blob);
  } catch (e) {
    throw new Error(`could not decode the image (${blob.type || 'unknown type'}, ${blob.size} bytes): ${e instanceof Error ? e.message : String(e)}`);
  }
}
