/**
 * Images onto the canvas, whatever brings them — a generation's result, a gallery item, dropped or
 * pasted files, Open… — each decoded into the pixel bank and added as a new top layer (one undo
 * step); on an empty canvas the canvas takes the image's size, and an image larger than the
 * canvas is scaled down to fit inside it, centred. No DOM beyond the Blobs it is given.
 */
import type { StudioClient } from '../../api/index.js';
import { fitImagePlacement } from '../../document/canvas-size.js';
import type { Point } from '../../document/types.js';
import type { Recipe } from '../../store/document-store.js';
import type { Editor } from '../../tools/editor.js';
import type { GalleryModule } from '../gallery/gallery.js';
import { errorText, type Say } from '../status.js';

export interface ImportHost {
  readonly editor: Editor;
  /** Decodes and registers an image (the page's PixelBank): its pixel id and natural size. */
  readonly bank: { add(blob: Blob): Promise<{ id: string; width: number; height: number }> };
  readonly gallery: Pick<GalleryModule, 'item'>;
  client(): Pick<StudioClient, 'openImage'> | null;
  say: Say;
}

export const IMAGE_TYPES = /^image\/(png|jpeg|webp|gif|bmp|avif)$/;

export class ImportModule {
  constructor(private readonly host: ImportHost) {}

  /**
   * Decode an image and add it as a new top layer centred on `at` (document pixels; default the
   * canvas centre); resolves with the layer's id, or null after saying why it could not.
   */
  async addImage(blob: Blob, opts: { at?: Point; name?: string } = {}): Promise<string | null> {
    const { editor } = this.host;
    const say: Say = (t, l) => this.host.say(t, l);
    if (blob.type && !IMAGE_TYPES.test(blob.type)) {
      say(`${opts.name ?? 'That file'} is not an image this studio can open (${blob.type}).`, 'error');
      return null;
    }
    let added: { id: string; width: number; height: number };
    try {
      added = await this.host.bank.add(blob);
    } catch (e) {
      say(errorText(e), 'error');
      return null;
    }
    const empty = editor.doc.layers.length === 0;
    if (empty) editor.update(setCanvasSize(added.width, added.height), { undoable: false });
    // An image larger than the canvas is fitted inside it, centred; one that fits lands where it was dropped.
    const place = fitImagePlacement(added, editor.doc.canvas, empty ? undefined : opts.at);
    const centre = { x: place.x + (added.width * place.scale) / 2, y: place.y + (added.height * place.scale) / 2 };
    const id = editor.addImageLayer(added.id, added.width, added.height, centre, opts.name, place.scale);
    if (empty) editor.zoomToFit();
    else if (place.scale < 1) this.host.say(`${opts.name ?? 'The image'} (${added.width} × ${added.height}) is larger than the canvas: fitted inside it at ${Math.round(place.scale * 100)}%.`);
    return id;
  }

  /** Dropped or pasted files: each image as a new layer (other files are named and skipped). */
  async addFiles(files: Iterable<File>, at?: Point): Promise<void> {
    let n = 0, fitted = 0;
    for (const f of files) {
      if (!IMAGE_TYPES.test(f.type)) {
        this.host.say(`${f.name} is not a PNG, JPEG or WebP image.`, 'warn');
        continue;
      }
      const id = await this.addImage(f, { at, name: f.name });
      if (!id) continue;
      n++;
      if ((this.host.editor.doc.layers.find((l) => l.id === id)?.scaleX ?? 1) < 1) fitted++;
    }
    const fit = fitted ? ` (${fitted === n ? (n === 1 ? 'fitted' : 'all fitted') : `${fitted} fitted`} inside the canvas)` : '';
    if (n) this.host.say(`Added ${n} image${n === 1 ? '' : 's'} as new layer${n === 1 ? '' : 's'}${fit}.`);
  }

  /** A gallery item as a new layer. */
  async addGalleryItem(id: string, at?: Point): Promise<void> {
    const item = this.host.gallery.item(id);
    if (item) await this.addImage(item.blob, { at, name: `Seed ${item.seed}` });
  }

  /** Open…: the file dialog (a file input in browser mode), its image as a new layer. */
  async openImage(): Promise<void> {
    const client = this.host.client();
    if (!client) return;
    try {
      const file = await client.openImage({});
      if (!file) return;
      const ext = file.name.split('.').pop()?.toLowerCase();
      const type = ext === 'jpg' || ext === 'jpeg' ? 'image/jpeg' : ext === 'webp' ? 'image/webp' : 'image/png';
      if (await this.addImage(new Blob([file.bytes.slice() as Uint8Array<ArrayBuffer>], { type }), { name: file.name })) this.host.say(`Opened ${file.name}.`);
    } catch (e) {
      this.host.say(`Could not open the image: ${errorText(e)}`, 'error');
    }
  }
}

function setCanvasSize(width: number, height: number): Recipe {
  return (doc) => {
    doc.canvas = { width, height };
  };
}
