/**
 * The gallery's items, whatever made them — a generation, an edit, an upscale — each with the
 * PNG the engine wrote (its `parameters` text inside) and what made it; selecting and removing
 * them (a removed item's object URLs are revoked). Session state in the app store, not undoable.
 *
 * The engine keeps generations, edits and upscales in the gallery on disk. Whenever its
 * connection opens, every entry there is listed (settings only, in pages); the grid asks for
 * thumbnails as items scroll into view (`wantThumbnail`, batched), and an item's full PNG is
 * fetched only when something needs it (`full`). Removing a kept item deletes it on disk too.
 */
import { createStore } from 'zustand/vanilla';
import type { EditResult, GalleryEntry, GeneratedImage, ProviderInfo, UpscaleResult } from '../../../../main/api/contract.js';
import type { StudioClient } from '../../api/types.js';
import type { AppStore, GalleryItem } from '../app-state.js';
import { settingsForRerun, type GenerateSettings } from '../generate/settings.js';
import type { StudioModule } from '../module.js';
import { pngBlob } from '../png.js';
import type { Say } from '../status.js';
import type { UpscaleOrigin } from '../upscale/controller.js';

/** An engine result on its way into the gallery: the image and everything but the ids and URLs. */
export type NewGalleryItem = Omit<GalleryItem, 'id' | 'blob' | 'url' | 'png' | 'seed' | 'parameters' | 'createdAt'> & { image: GeneratedImage };

/** Entries per listing call (the contract's most). */
export const GALLERY_PAGE = 200;
/** Thumbnails per call (the contract's most). */
export const THUMBNAIL_BATCH = 100;

type GalleryClient = Pick<StudioClient, 'galleryList' | 'galleryGet' | 'galleryThumbnails' | 'galleryDelete'>;

/** Items picked to be compared side by side, and whether the comparison is showing. */
export interface CompareState {
  picked: string[];
  open: boolean;
}

const EMPTY_PNG = new Uint8Array(0);

export class GalleryModule implements StudioModule {
  /** The compare picks: session state of the gallery alone. */
  readonly compare = createStore<CompareState>()(() => ({ picked: [], open: false }));
  private counter = 0;
  private off: (() => void) | null = null;
  private loading: Promise<void> | null = null;
  /** Thumbnails asked for and not yet sent for; those asked once (not asked again unless their call failed). */
  private wanted = new Set<string>();
  private asked = new Set<string>();
  private flushing: Promise<void> | null = null;
  private fetching = new Map<string, Promise<GalleryItem | undefined>>();

  constructor(private readonly app: AppStore, private readonly client: () => GalleryClient | null = () => null, private readonly say: Say = () => {}) {}

  initialize(): void {
    let was = this.app.getState().connection;
    if (was === 'open') void this.load();
    this.off = this.app.subscribe((s) => {
      if (s.connection === 'open' && was !== 'open') void this.load();
      was = s.connection;
    });
  }

  destroy(): void {
    this.off?.();
    this.off = null;
  }

  /** List the whole gallery on disk (settings only); items already shown stay as they are. */
  load(): Promise<void> {
    this.loading ??= this.loadAll().finally(() => { this.loading = null; });
    return this.loading;
  }

  private async loadAll(): Promise<void> {
    const client = this.client();
    if (!client) return;
    try {
      const entries: GalleryEntry[] = [];
      let damaged: string | undefined;
      for (;;) {
        const page = await client.galleryList({ offset: entries.length, limit: GALLERY_PAGE, thumbnails: false });
        damaged ??= page.damaged;
        entries.push(...page.entries);
        if (!page.entries.length || entries.length >= page.total) break;
      }
      if (damaged) this.say(`The gallery was repaired: ${damaged}.`, 'warn');
      const shown = new Set(this.app.getState().gallery.map((g) => g.id));
      const items = entries.filter((e) => !shown.has(e.id)).map((e) => this.storedItem(e));
      if (!items.length) return;
      const state = this.app.getState();
      const known = new Set(state.gallery.map((g) => g.id));
      const gallery = [...state.gallery, ...items.filter((i) => !known.has(i.id))].sort((a, b) => b.createdAt - a.createdAt);
      this.app.setState({ gallery });
    } catch (e) {
      this.say(`Could not load the gallery: ${e instanceof Error ? e.message : String(e)}`, 'error');
    }
  }

  /** A kept image as a gallery item, its PNG not fetched yet; its settings fill the Generate panel as they were (seed locked). */
  private storedItem(e: GalleryEntry): GalleryItem {
    const current = this.app.getState().settings;
    const s = e.settings;
    const settings: GenerateSettings = {
      ...current, model: s.model || current.model, prompt: s.prompt, negativePrompt: s.negativePrompt ?? '', sampler: s.sampler || current.sampler,
      steps: s.steps || current.steps, cfgScale: s.cfgScale ?? current.cfgScale, seed: s.seed, seedLocked: true, sizeMode: 'custom', width: e.width, height: e.height, batch: 1,
    };
    const o = e.origin;
    return {
      id: e.id, blob: new Blob([]), url: '', png: EMPTY_PNG, pending: true, width: e.width, height: e.height, seed: s.seed, parameters: e.parameters, settings, model: s.model,
      providers: [], createdAt: e.createdAt, batch: e.batch, stored: true,
      ...(o?.kind === 'edit' ? { edit: { task: o.task, preset: o.preset, steps: o.steps, evaluations: o.evaluations } } : {}),
      ...(o?.kind === 'upscale' ? { upscale: { factor: o.factor, from: o.from, steps: o.steps, boundary: { source: o.boundary }, tiles: o.tiles } } : {}),
    };
  }

  /**
   * The grid shows this item: fetch its thumbnail if it is a kept image whose PNG is not here.
   * Asks made in one turn go out together, at most THUMBNAIL_BATCH ids a call.
   */
  wantThumbnail(id: string): void {
    const item = this.item(id);
    if (!item?.pending || item.thumbUrl || this.asked.has(id)) return;
    this.wanted.add(id);
    this.asked.add(id);
    this.scheduleFlush();
  }

  /** One flush at a time; asks that came in as one ended get a flush of their own. */
  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = Promise.resolve().then(() => this.flushThumbnails()).finally(() => {
      this.flushing = null;
      if (this.wanted.size && this.client()) this.scheduleFlush();
    });
  }

  private async flushThumbnails(): Promise<void> {
    const client = this.client();
    while (this.wanted.size) {
      const ids = [...this.wanted].slice(0, THUMBNAIL_BATCH);
      for (const id of ids) this.wanted.delete(id);
      if (!client) {
        for (const id of ids) this.asked.delete(id);
        return;
      }
      try {
        const { thumbnails } = await client.galleryThumbnails({ ids });
        const urls = new Map(thumbnails.map((t) => [t.id, URL.createObjectURL(pngBlob(t.png))]));
        const state = this.app.getState();
        for (const [id, url] of urls) if (!state.gallery.some((g) => g.id === id)) URL.revokeObjectURL(url);
        this.app.setState({ gallery: state.gallery.map((g) => (urls.has(g.id) && !g.thumbUrl ? { ...g, thumbUrl: urls.get(g.id) } : g)) });
      } catch (e) {
        // Asked again when the grid next shows them.
        for (const id of ids) this.asked.delete(id);
        this.say(`Could not load the gallery's thumbnails: ${e instanceof Error ? e.message : String(e)}`, 'warn');
      }
    }
  }

  /** The item with its full PNG, fetched from the gallery on disk the first time it is needed; undefined when it cannot be had (the reason is said). */
  full(id: string): Promise<GalleryItem | undefined> {
    const item = this.item(id);
    if (!item?.pending) return Promise.resolve(item);
    let fetching = this.fetching.get(id);
    if (!fetching) {
      fetching = this.fetchFull(id).finally(() => this.fetching.delete(id));
      this.fetching.set(id, fetching);
    }
    return fetching;
  }

  private async fetchFull(id: string): Promise<GalleryItem | undefined> {
    const client = this.client();
    if (!client) {
      this.say('The gallery on disk cannot be reached: the image could not be loaded.', 'error');
      return undefined;
    }
    try {
      const { png } = await client.galleryGet({ id });
      const state = this.app.getState();
      const now = state.gallery.find((g) => g.id === id);
      if (!now) return undefined;
      if (!now.pending) return now;
      const blob = pngBlob(png);
      const loaded: GalleryItem = { ...now, png, blob, url: URL.createObjectURL(blob), pending: undefined };
      this.app.setState({ gallery: state.gallery.map((g) => (g.id === id ? loaded : g)) });
      return loaded;
    } catch (e) {
      this.say(`Could not load the gallery image: ${e instanceof Error ? e.message : String(e)}`, 'error');
      return undefined;
    }
  }

  /** Put new items first, select the first of them, and remember the model's execution providers. */
  add(entries: NewGalleryItem[]): GalleryItem[] {
    const now = Date.now();
    const items = entries.map(({ image, ...rest }): GalleryItem => {
      const blob = pngBlob(image.png);
      const stored = image.galleryId ? { id: image.galleryId, stored: true } : { id: `g${++this.counter}` };
      return { ...rest, ...stored, blob, url: URL.createObjectURL(blob), png: image.png, seed: image.seed, parameters: image.parameters, createdAt: now };
    });
    if (!items.length) return items;
    const state = this.app.getState();
    const providers: Record<string, ProviderInfo[]> = { ...state.providers };
    for (const item of items) if (item.providers.length) providers[item.model] = item.providers;
    const ids = new Set(items.map((i) => i.id));
    this.app.setState({ gallery: [...items, ...state.gallery.filter((g) => !ids.has(g.id))], selectedGalleryId: items[0].id, providers });
    return items;
  }

  item(id: string): GalleryItem | undefined {
    return this.app.getState().gallery.find((g) => g.id === id);
  }

  /** Select an item; a kept one's PNG is fetched now, so Export and the canvas find it ready. */
  select(id: string | null): void {
    this.app.setState({ selectedGalleryId: id });
    if (id) void this.full(id);
  }

  /** Add an item to the comparison, or take it out. */
  togglePick(id: string): void {
    const { picked } = this.compare.getState();
    this.compare.setState({ picked: picked.includes(id) ? picked.filter((p) => p !== id) : [...picked, id] });
  }

  /** Pick the items of one batch (those shown), replacing the picks. */
  pickBatch(batchId: string): void {
    this.compare.setState({ picked: this.app.getState().gallery.filter((g) => g.batch?.id === batchId).map((g) => g.id) });
  }

  /** Show the picked items side by side, their PNGs fetched first; false (and the reason said) when fewer than two can be shown. */
  async openCompare(): Promise<boolean> {
    const ids = this.compare.getState().picked;
    if (ids.length < 2) {
      this.say('Pick two or more gallery images to compare them.', 'warn');
      return false;
    }
    const items = await Promise.all(ids.map((id) => this.full(id)));
    if (items.filter(Boolean).length < 2) return false;
    this.compare.setState({ open: true });
    return true;
  }

  closeCompare(clear = false): void {
    this.compare.setState(clear ? { open: false, picked: [] } : { open: false });
  }

  /** Remove an item from the page, and a kept one from the gallery on disk. */
  async remove(id: string): Promise<void> {
    const state = this.app.getState();
    const item = state.gallery.find((g) => g.id === id);
    if (!item) return;
    if (item.stored) {
      const client = this.client();
      if (!client) {
        this.say('The gallery on disk cannot be reached: the image was not deleted.', 'error');
        return;
      }
      try {
        await client.galleryDelete({ id });
      } catch (e) {
        this.say(`Could not delete the image: ${e instanceof Error ? e.message : String(e)}`, 'error');
        return;
      }
    }
    if (item.url) URL.revokeObjectURL(item.url);
    if (item.thumbUrl) URL.revokeObjectURL(item.thumbUrl);
    const { picked } = this.compare.getState();
    if (picked.includes(id)) this.compare.setState({ picked: picked.filter((p) => p !== id) });
    const now = this.app.getState();
    this.app.setState({ gallery: now.gallery.filter((g) => g.id !== id), selectedGalleryId: now.selectedGalleryId === id ? null : now.selectedGalleryId });
  }
}

/**
 * An edit's result as a gallery item (it is on the canvas already): `task` names the edit, the
 * Generate panel's `settings` (the model it used) rerun it with the result's seed.
 */
export function editEntry(result: EditResult, task: string, settings: GenerateSettings, preset: string): NewGalleryItem {
  const steps = typeof result.settings.steps === 'number' ? result.settings.steps : null;
  return {
    image: result.image, width: result.width, height: result.height, settings: settingsForRerun(settings, result.image.seed), model: settings.model, providers: result.providers,
    edit: { task, preset, steps, evaluations: result.timings.evaluations },
  };
}

/** An upscale's result as a gallery item; `settings` are those of what was upscaled (the prompt it showed). */
export function upscaleEntry(result: UpscaleResult, origin: UpscaleOrigin, settings: GenerateSettings): NewGalleryItem {
  return {
    image: result.image, width: result.width, height: result.height, settings, model: origin.model, providers: result.providers,
    upscale: { factor: origin.factor, from: origin.from, steps: origin.steps, boundary: result.boundary, tiles: result.tiles.count },
  };
}

export function galleryFileName(item: { seed: number; model: string; upscale?: { factor: number } }): string {
  const model = item.model.replace(/[^\w.-]+/g, '_').slice(0, 40) || 'image';
  return `driftline-${model}-${item.seed}${item.upscale ? `-x${item.upscale.factor}` : ''}.png`;
}
