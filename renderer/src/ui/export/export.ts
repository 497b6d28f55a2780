/**
 * Export: a gallery image's PNG (its `parameters` inside, as generated), the canvas flattened, or
 * the generation frame alone (what lies under it, frame-sized) — the last two carrying the
 * `parameters` of the last generation that produced them (the top-most visible generated layer;
 * for the frame, of those under it), so other tools and this studio's recall read their settings —
 * saved through the engine's save dialog (a download in browser mode) or downloaded when there is
 * no engine. The three are named apart (`driftline-canvas-…`, `driftline-frame-WxH-…`, the
 * gallery's names) and said apart in the status line. Menu "Export PNG" takes the selected gallery
 * image, else the canvas. No DOM: the page hands it `flatten`, `flattenFrame` and `download` (page.ts).
 */
import type { StudioClient } from '../../api/index.js';
import type { AppStore } from '../app-state.js';
import { galleryFileName, type GalleryModule } from '../gallery/gallery.js';
import { errorText, type Say } from '../status.js';
import { withPngText } from '../../../../main/api/png-text.js';
import type { CanvasDocument, Rect } from '../../document/types.js';

/** The `parameters` of the last generation that produced the canvas: its top-most visible generated layer's. */
export function canvasParameters(doc: Pick<CanvasDocument, 'layers'>): string | null {
  for (let i = doc.layers.length - 1; i >= 0; i--) {
    const l = doc.layers[i];
    if (l.visible && l.opacity > 0 && l.parameters) return l.parameters;
  }
  return null;
}

/**
 * The `parameters` of the last generation that produced what lies under `frame`: the top-most
 * visible generated layer that overlaps it (a layer elsewhere on the canvas did not make it).
 */
export function frameParameters(doc: Pick<CanvasDocument, 'layers'>, frame: Rect): string | null {
  return canvasParameters({ layers: layersUnder(doc.layers, frame) });
}

/** The layers whose drawn box (position and scaled size) overlaps `rect` by some area, in order. */
export function layersUnder<L extends CanvasDocument['layers'][number]>(layers: readonly L[], rect: Rect): L[] {
  return layers.filter((l) => l.x < rect.x + rect.width && l.x + l.width * l.scaleX > rect.x && l.y < rect.y + rect.height && l.y + l.height * l.scaleY > rect.y);
}

export interface ExportHost {
  readonly app: AppStore;
  readonly gallery: Pick<GalleryModule, 'item'>;
  client(): Pick<StudioClient, 'saveFile'> | null;
  say: Say;
  /** The visible layers composited at canvas size (no mask), as PNG bytes; null when none shows. */
  flatten(): Promise<Uint8Array | null>;
  /** The frame Generate would use now (document pixels; it may hang off the canvas). */
  frame(): Rect;
  /** The visible layers composited over `frame`, frame-sized, as PNG bytes; null when none shows there. */
  flattenFrame(frame: Rect): Promise<Uint8Array | null>;
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
    const bytes = parameters ? withPngText(flat, { parameters }) : flat;
    await this.save(`driftline-canvas-${Date.now()}.png`, bytes, parameters ? 'the canvas, with the settings of its last generation' : 'the canvas (no generated layer: no settings inside)');
  }

  /** "Export frame": only what lies under the generation frame, at the frame's size, with its settings. */
  async exportFrame(): Promise<void> {
    const frame = this.host.frame();
    const flat = await this.host.flattenFrame(frame);
    if (!flat) return this.host.say('Nothing to export: no visible image lies under the generation frame.', 'warn');
    const parameters = frameParameters(this.host.doc(), frame);
    const bytes = parameters ? withPngText(flat, { parameters }) : flat;
    const size = `${frame.width}×${frame.height}`;
    await this.save(
      `driftline-frame-${frame.width}x${frame.height}-${Date.now()}.png`,
      bytes,
      parameters ? `the generation frame (${size}), with the settings of its last generation` : `the generation frame (${size}; no generated layer under it: no settings inside)`,
    );
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
