/**
 * Export: a gallery image's PNG (its `parameters` inside), or the canvas flattened, saved through
 * the engine's save dialog (a download in browser mode) or downloaded when there is no engine.
 * Menu "Export PNG" takes the selected gallery image, else the canvas. No DOM: the page hands it
 * `flatten` and `download` (page.ts).
 */
import type { StudioClient } from '../../api/index.js';
import type { AppStore } from '../app-state.js';
import { galleryFileName, type GalleryModule } from '../gallery/gallery.js';
import { errorText, type Say } from '../status.js';

export interface ExportHost {
  readonly app: AppStore;
  readonly gallery: Pick<GalleryModule, 'item'>;
  client(): Pick<StudioClient, 'saveFile'> | null;
  say: Say;
  /** The visible layers composited at canvas size (no mask), as PNG bytes; null when none shows. */
  flatten(): Promise<Uint8Array | null>;
  /** Let the browser download the bytes (no engine to save them through). */
  download(name: string, bytes: Uint8Array): void;
}

export class ExportModule {
  constructor(private readonly host: ExportHost) {}

  /** Menu "Export PNG": the selected gallery image, else the canvas flattened. */
  async exportPng(): Promise<void> {
    const id = this.host.app.getState().selectedGalleryId;
    if (id && this.host.gallery.item(id)) return this.exportGalleryItem(id);
    const bytes = await this.host.flatten();
    if (!bytes) return this.host.say('Nothing to export: the canvas has no visible images.', 'warn');
    await this.save(`driftline-canvas-${Date.now()}.png`, bytes);
  }

  async exportGalleryItem(id: string): Promise<void> {
    const item = this.host.gallery.item(id);
    if (!item) return;
    await this.save(galleryFileName(item), item.png);
  }

  private async save(name: string, bytes: Uint8Array): Promise<void> {
    const client = this.host.client();
    if (!client) {
      this.host.download(name, bytes);
      return this.host.say(`Downloaded ${name}.`);
    }
    try {
      const r = await client.saveFile({ suggestedName: name, bytes: bytes as Uint8Array<ArrayBuffer> });
      if (r.saved) this.host.say(r.path ? `Saved ${r.path}.` : `Downloaded ${name}.`);
    } catch (e) {
      this.host.say(`Could not export ${name}: ${errorText(e)}`, 'error');
    }
  }
}
