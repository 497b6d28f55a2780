/**
 * Autosave in the studio: at the start the last canvas is restored (its document and the pixels
 * it references; lost images are counted), then every change to the document is saved once it
 * has settled — or at once when the page is hidden or unloaded (a reload right after a change loses
 * nothing). Saving starts only after the restore, so restoring never saves. Where the page's
 * store cannot be opened, an in-memory one stands in and the user is told autosave is off.
 * No DOM: the page hands it `openIndexedDbBackend`, tests a MemoryBackend.
 */
import { DocumentLoadError, deserialize } from '../../document/serialize.js';
import type { Editor } from '../../tools/editor.js';
import type { AppStore } from '../app-state.js';
import type { StudioModule } from '../module.js';
import { errorText, type Say } from '../status.js';
import { Autosaver, MemoryBackend, type AutosaveBackend, type StoredPixels } from './autosave.js';

/** How long the document must be still before it is saved. */
export const AUTOSAVE_DEBOUNCE_MS = 800;

export interface AutosaveHost {
  readonly app: AppStore;
  readonly editor: { readonly store: Pick<Editor['store'], 'onChange' | 'save' | 'load' | 'doc'>; zoomToFit(): void };
  /** The page's PixelBank: restored pixels go in under their saved ids; saves read their encoded images. */
  readonly bank: {
    add(blob: Blob, id: string): Promise<unknown>;
    get(id: string): StoredPixels<Blob> | undefined;
  };
  say: Say;
  openBackend(): Promise<AutosaveBackend>;
  /** Call `listener` when the page is being hidden or unloaded (`pagehide`, `visibilitychange` to hidden); returns the unsubscribe. */
  onPageHide?(listener: () => void): () => void;
}

export class AutosaveModule implements StudioModule {
  private saver: Autosaver<Blob> | null = null;
  private off: (() => void) | null = null;
  private offHide: (() => void) | null = null;
  private live = false;
  /** The document last handed to a save (by reference: documents are immutable). */
  private savedDoc: unknown = null;
  /** Settles once the last canvas is restored (or there was none) and saving has started. */
  ready: Promise<void> = Promise.resolve();

  constructor(private readonly host: AutosaveHost) {}

  initialize(): void {
    this.live = true;
    this.ready = this.restore().then(() => {
      if (!this.live) return;
      this.savedDoc = this.host.editor.store.doc;
      this.off = this.host.editor.store.onChange(() => this.save(), AUTOSAVE_DEBOUNCE_MS);
      this.offHide = this.host.onPageHide?.(() => this.flush()) ?? null;
    });
  }

  /** Save now if the document changed since the last save (the page is going away: no waiting for it to settle). */
  flush(): void {
    if (this.live && this.saver && this.host.editor.store.doc !== this.savedDoc) this.save(true);
  }

  /** Stops saving (a save under way finishes); a restore still running restores but never starts saving. */
  destroy(): void {
    this.live = false;
    this.off?.();
    this.off = null;
    this.offHide?.();
    this.offHide = null;
  }

  private async restore(): Promise<void> {
    const { app, editor, bank } = this.host;
    const say: Say = (t, l) => this.host.say(t, l);
    let backend: AutosaveBackend;
    try {
      backend = await this.host.openBackend();
    } catch (e) {
      say(`Autosave is off: ${errorText(e)}`, 'warn');
      backend = new MemoryBackend();
    }
    this.saver = new Autosaver<Blob>(backend);
    let saved;
    try {
      saved = await this.saver.restore();
    } catch (e) {
      return say(`Could not read the last canvas: ${errorText(e)}`, 'warn');
    }
    if (!saved) return;
    try {
      const doc = deserialize(saved.json);
      for (const [id, p] of saved.pixels) {
        try {
          await bank.add(p.blob, id);
        } catch {
          saved.missing.push(id);
        }
      }
      editor.store.load(doc);
      editor.zoomToFit();
      app.setState({ savedAt: saved.savedAt });
      const lost = saved.missing.length;
      say(lost ? `Restored the last canvas, but ${lost} image${lost === 1 ? ' was' : 's were'} lost.` : `Restored the last canvas (saved ${new Date(saved.savedAt).toLocaleString()}).`, lost ? 'warn' : 'info');
    } catch (e) {
      say(e instanceof DocumentLoadError ? `The last canvas could not be restored: ${e.message}` : `Restore failed: ${errorText(e)}`, 'warn');
    }
  }

  private save(urgent = false): void {
    const saver = this.saver;
    if (!saver) return;
    this.savedDoc = this.host.editor.store.doc;
    const { json, pixelIds } = this.host.editor.store.save();
    const pixel = (id: string): StoredPixels<Blob> | undefined => {
      const a = this.host.bank.get(id);
      return a ? { blob: a.blob, width: a.width, height: a.height } : undefined;
    };
    (urgent ? saver.saveUrgently(json, pixelIds, pixel) : saver.save(json, pixelIds, pixel)).then(
      () => this.host.app.setState({ savedAt: Date.now() }),
      (e: unknown) => this.host.say(`Autosave failed (the previous save is kept): ${errorText(e)}`, 'warn'),
    );
  }
}
