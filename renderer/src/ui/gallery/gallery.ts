/**
 * The gallery's items, whatever made them — a generation, an edit, an upscale — each with the
 * PNG the engine wrote (its `parameters` text inside) and what made it; selecting and removing
 * them (a removed item's object URL is revoked). Session state in the app store, not undoable.
 *
 * Generations are kept by the engine in the gallery on disk: whenever the engine's connection
 * opens, the newest page of it is loaded (items this page already shows are kept as they are), and
 * removing a kept item deletes it there too. Edits and upscales stay in this page's session.
 */
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

/** How many of the newest kept images a page loads. */
export const GALLERY_PAGE = 60;

type GalleryClient = Pick<StudioClient, 'galleryList' | 'galleryGet' | 'galleryDelete'>;

export class GalleryModule implements StudioModule {
  private counter = 0;
  private off: (() => void) | null = null;
  private loading: Promise<void> | null = null;

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

  /** Load the newest page of the gallery on disk; items already shown stay as they are. */
  load(): Promise<void> {
    this.loading ??= this.loadPage().finally(() => { this.loading = null; });
    return this.loading;
  }

  private async loadPage(): Promise<void> {
    const client = this.client();
    if (!client) return;
    try {
      const page = await client.galleryList({ offset: 0, limit: GALLERY_PAGE });
      if (page.damaged) this.say(`The gallery was repaired: ${page.damaged}.`, 'warn');
      const shown = new Set(this.app.getState().gallery.map((g) => g.id));
      const fresh = page.entries.filter((e) => !shown.has(e.id));
      const items = await Promise.all(fresh.map(async (e) => this.storedItem(e, (await client.galleryGet({ id: e.id })).png)));
      if (!items.length) return;
      const state = this.app.getState();
      const known = new Set(state.gallery.map((g) => g.id));
      const gallery = [...state.gallery, ...items.filter((i) => !known.has(i.id))].sort((a, b) => b.createdAt - a.createdAt);
      this.app.setState({ gallery });
    } catch (e) {
      this.say(`Could not load the gallery: ${e instanceof Error ? e.message : String(e)}`, 'error');
    }
  }

  /** A kept image as a gallery item; its settings fill the Generate panel as they were (seed locked). */
  private storedItem(e: GalleryEntry, png: Uint8Array): GalleryItem {
    const blob = pngBlob(png);
    const current = this.app.getState().settings;
    const s = e.settings;
    const settings: GenerateSettings = {
      ...current, model: s.model || current.model, prompt: s.prompt, negativePrompt: s.negativePrompt ?? '', sampler: s.sampler || current.sampler,
      steps: s.steps || current.steps, cfgScale: s.cfgScale ?? current.cfgScale, seed: s.seed, seedLocked: true, sizeMode: 'custom', width: e.width, height: e.height, batch: 1,
    };
    return {
      id: e.id, blob, url: URL.createObjectURL(blob), png, width: e.width, height: e.height, seed: s.seed, parameters: e.parameters, settings, model: s.model,
      providers: [], createdAt: e.createdAt, batch: e.batch, stored: true,
    };
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

  select(id: string | null): void {
    this.app.setState({ selectedGalleryId: id });
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
    URL.revokeObjectURL(item.url);
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
