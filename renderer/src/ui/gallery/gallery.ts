/**
 * The gallery's items, whatever made them — a generation, an edit, an upscale — each with the
 * PNG the engine wrote (its `parameters` text inside) and what made it; selecting and removing
 * them (a removed item's object URL is revoked). Session state in the app store, not undoable.
 */
import type { EditResult, GeneratedImage, ProviderInfo, UpscaleResult } from '../../../../main/api/contract.js';
import type { AppStore, GalleryItem } from '../app-state.js';
import { settingsForRerun, type GenerateSettings } from '../generate/settings.js';
import { pngBlob } from '../png.js';
import type { UpscaleOrigin } from '../upscale/controller.js';

/** An engine result on its way into the gallery: the image and everything but the ids and URLs. */
export type NewGalleryItem = Omit<GalleryItem, 'id' | 'blob' | 'url' | 'png' | 'seed' | 'parameters' | 'createdAt'> & { image: GeneratedImage };

export class GalleryModule {
  private counter = 0;

  constructor(private readonly app: AppStore) {}

  /** Put new items first, select the first of them, and remember the model's execution providers. */
  add(entries: NewGalleryItem[]): GalleryItem[] {
    const items = entries.map(({ image, ...rest }): GalleryItem => {
      const blob = pngBlob(image.png);
      return { ...rest, id: `g${++this.counter}`, blob, url: URL.createObjectURL(blob), png: image.png, seed: image.seed, parameters: image.parameters, createdAt: Date.now() };
    });
    if (!items.length) return items;
    const state = this.app.getState();
    const providers: Record<string, ProviderInfo[]> = { ...state.providers };
    for (const item of items) if (item.providers.length) providers[item.model] = item.providers;
    this.app.setState({ gallery: [...items, ...state.gallery], selectedGalleryId: items[0].id, providers });
    return items;
  }

  item(id: string): GalleryItem | undefined {
    return this.app.getState().gallery.find((g) => g.id === id);
  }

  select(id: string | null): void {
    this.app.setState({ selectedGalleryId: id });
  }

  remove(id: string): void {
    const state = this.app.getState();
    const item = state.gallery.find((g) => g.id === id);
    if (!item) return;
    URL.revokeObjectURL(item.url);
    this.app.setState({ gallery: state.gallery.filter((g) => g.id !== id), selectedGalleryId: state.selectedGalleryId === id ? null : state.selectedGalleryId });
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
