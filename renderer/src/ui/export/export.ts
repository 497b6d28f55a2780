/**
 * Export: a gallery image's PNG (its `parameters` inside, as generated), or the canvas flattened
 * — carrying the `parameters` of the last generation that produced it (its top-most visible
 * generated layer), so other tools and this studio's recall read its settings — saved through the
 * engine's save dialog (a download in browser mode) or downloaded when there is no engine. The two
 * are named apart (`driftline-canvas-…` vs the gallery's names) and said apart in the status line.
 * Menu "Export PNG" takes the selected gallery image, else the canvas. No DOM: the page hands it
 * `flatten` and `download` (page.ts).
 */
import type { StudioClient } from '../../api/index.js';
import type { AppStore } from '../app-state.js';
import { galleryFileName, type GalleryModule } from '../gallery/gallery.js';
import { errorText, type Say } from '../status.js';
import { withPngText } from '../recall/png-text.js';
import type { CanvasDocument } from '../../document/types.js';

/** The `parameters` of the last generation that produced the canvas: its top-most visible generated layer's. */
export function canvasParameters(doc: Pick<CanvasDocument, 'layers'>): string | null {
  for (let i = doc.layers.length - 1; i >= 0; i--) {
    const l = doc.layers[i];
    if (l.visible && l.opacity > 0 && l.parameters) return l.parameters;
  }
  return null;
}

export interface ExportHost {
  readonly app: AppStore;
  readonly gallery: Pick<GalleryModule, 'item'>;
  client(): Pick<StudioClient, 'saveFile'> | null;
  say: Say;
  /** The visible layers composited at canvas size (no mask), as PNG bytes; null when none shows. */
  flatten(): Promise<Uint8Array | null>;
  /** The document being exported (for the settings of its last generation). */
  doc(): Pick<CanvasDocument, 'layers'>;
  /** Let the browser download the bytes (no engine to save them through). */
  download(name: string, bytes: Uint8Array): void;
}

export class ExportModule {
  constructor(private readonly host: ExportHost) {}

  /** Menu "Export PNG": the selected gallery image, else the canvas flattened. */
  async exportPng(): Promise<void> {
    const id = this.host.app.getState().selectedGalleryId;
    if (id && this.host.gallery.item(id)) return this.exportGalleryItem(id);
    const flat = await this.host.flatten();
    if (!flat) return this.host.say('Nothing to export: the canvas has no visible images.', 'warn');
    const parameters = canvasParameters(this.host.doc());
    const bytes = parameters ? withPngText(flat, 'parameters', parameters) : flat;
    await this.save(`driftline-canvas-${Date.now()}.png`, bytes, parameters ? 'the canvas, with the settings of its last generation' : 'the canvas (no generated layer: no settings inside)');
  }

  async exportGalleryItem(id: string): Promise<void> {
    const item = this.host.gallery.item(id);
    if (!item) return;
    await this.save(galleryFileName(item), item.png, 'the gallery image, as generated');
  }

  private async save(name: string, bytes: Uint8Array, what: string): Promise<void> {
    const client = this.host.client();
    if (!client) {
      this.host.download(name, bytes);
      return this.host.say(`Downloaded ${name}: ${what}.`);
    }
    try {
      const r = await client.saveFile({ suggestedName: name, bytes: bytes as Uint8Array<ArrayBuffer> });
      if (r.saved) this.host.say(r.path ? `Saved ${r.path}: ${what}.` : `Downloaded ${name}: ${what}.`);
    } catch (e) {
      this.host.say(`Could not export ${name}: ${errorText(e)}`, 'error');
    }
  }
}
