/**
 * Pixel buffers live here, beside the document, referenced by id; they never enter the document
 * or undo history. Unreferenced buffers are dropped by `gc(liveIds)` (the store calls it on save
 * with the ids the document and its history still reference).
 */
import { makeId } from './ids.js';
import type { CanvasDocument } from './types.js';

export interface PixelEntry {
  width: number;
  height: number;
  /** RGBA, width·height·4 bytes … */
  bytes?: Uint8Array;
  /** … or an object/blob URL the UI layer made (it revokes it in `onEvict`). */
  url?: string;
}

export class PixelStore {
  private readonly entries = new Map<string, PixelEntry>();
  private readonly pinned = new Set<string>();

  constructor(private readonly onEvict?: (id: string, entry: PixelEntry) => void) {}

  put(entry: PixelEntry, id: string = makeId('px')): string {
    if (!entry.bytes && !entry.url) throw new Error('a pixel entry needs bytes or a url');
    if (entry.bytes && entry.bytes.length !== entry.width * entry.height * 4) {
      throw new Error(`pixel bytes length ${entry.bytes.length} ≠ ${entry.width}×${entry.height}×4`);
    }
    const old = this.entries.get(id);
    if (old && old !== entry) this.onEvict?.(id, old);
    this.entries.set(id, entry);
    return id;
  }

  get(id: string): PixelEntry | undefined {
    return this.entries.get(id);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Keep `id` through `gc` although nothing references it yet (a result on its way into the
   * document); `unpin` when it has landed or been given up.
   */
  pin(id: string): void {
    this.pinned.add(id);
  }
  unpin(id: string): void {
    this.pinned.delete(id);
  }

  /** Drop every entry whose id is neither in `live` nor pinned; returns the dropped ids. */
  gc(live: Iterable<string>): string[] {
    const keep = new Set([...live, ...this.pinned]);
    const dropped: string[] = [];
    for (const [id, entry] of this.entries) {
      if (keep.has(id)) continue;
      this.entries.delete(id);
      this.onEvict?.(id, entry);
      dropped.push(id);
    }
    return dropped;
  }
}

/** The pixel ids a document references. */
export function documentPixelIds(doc: CanvasDocument): Set<string> {
  return new Set(doc.layers.map((l) => l.pixelId));
}

/** Ids the document references that the store lacks (for a restore that lost files). */
export function missingPixelIds(doc: CanvasDocument, pixels: PixelStore): string[] {
  return [...documentPixelIds(doc)].filter((id) => !pixels.has(id));
}
