/**
 * The gallery methods of the engine host, over the store in the user's data folder, and the steps
 * that save a generation's images, an edit's or an upscale's result there. Saving never fails the
 * job: the images go back to the caller all the same, with the reason they were not kept.
 */
import { ApiError, type EditResult, type GalleryEntry, type GalleryPage, type GenerateResult, type UpscaleResult } from '../api/contract.js';
import { GalleryIdError, GalleryStore, type GalleryOrigin, type GallerySettings } from '../engine/gallery/store.js';
import { dataDir } from '../engine/models/paths.js';
import type { Handlers } from './protocol.js';

export function galleryStore(dataRoot?: string): GalleryStore {
  return new GalleryStore(dataRoot ?? dataDir());
}

const badId = (e: unknown): never => {
  if (e instanceof GalleryIdError) throw new ApiError('BAD_REQUEST', e.message);
  throw e;
};

export function galleryHandlers(store: GalleryStore): Pick<Handlers, 'galleryList' | 'galleryGet' | 'galleryThumbnails' | 'galleryDelete'> {
  return {
    galleryList: async ({ offset, limit, thumbnails }): Promise<GalleryPage> => store.list(offset, limit, { thumbnails }),
    galleryThumbnails: async ({ ids }) => store.thumbnails(ids).catch(badId),
    galleryGet: async ({ id }): Promise<{ entry: GalleryEntry; png: Uint8Array }> => {
      const found = await store.get(id).catch(badId);
      if (!found) throw new ApiError('NOT_FOUND', `no gallery image "${id}"`);
      return found;
    },
    galleryDelete: async ({ id }) => ({ deleted: await store.delete(id).catch(badId) }),
  };
}

/** Save a generation's images as one gallery batch; the result says which ids they got, or why they were not saved. */
export async function saveGenerated(store: GalleryStore, req: { prompt: string; negativePrompt?: string; sampler: string; steps: number; cfgScale: number; init?: { strength: number } }, result: GenerateResult, model: string): Promise<GenerateResult> {
  try {
    const entries = await store.add(result.images.map((image) => ({
      png: image.png, parameters: image.parameters, width: result.width, height: result.height,
      settings: {
        model, prompt: req.prompt, negativePrompt: req.negativePrompt, sampler: req.sampler, steps: req.steps,
        cfgScale: req.cfgScale, seed: image.seed, strength: req.init?.strength,
      },
    })));
    return {
      ...result,
      images: result.images.map((image, i) => ({ ...image, galleryId: entries[i]?.id })),
      gallery: { batch: entries[0]?.batch.id ?? '' },
    };
  } catch (e) {
    return { ...result, gallery: { error: `the images could not be saved to the gallery: ${(e as Error).message}` } };
  }
}

/** Save one image (an edit's or an upscale's result) as a batch of one; the image gets its gallery id, or the result says why it has none. */
async function saveOne<R extends EditResult | UpscaleResult>(store: GalleryStore, result: R, settings: GallerySettings, origin: GalleryOrigin): Promise<R> {
  try {
    const [entry] = await store.add([{ png: result.image.png, parameters: result.image.parameters, width: result.width, height: result.height, settings, origin }]);
    return { ...result, image: { ...result.image, galleryId: entry.id }, gallery: { batch: entry.batch.id } };
  } catch (e) {
    return { ...result, gallery: { error: `the image could not be saved to the gallery: ${(e as Error).message}` } };
  }
}

/** Save an edit's result: its prompt and seed, the task and the preset it ran with. */
export function saveEdited(store: GalleryStore, req: { kind: string; preset: string; prompt: string; negativePrompt?: string; seed: number }, result: EditResult, model: string): Promise<EditResult> {
  const steps = typeof result.settings.steps === 'number' ? result.settings.steps : null;
  const cfgScale = typeof result.settings.cfgScale === 'number' ? result.settings.cfgScale : undefined;
  return saveOne(store, result, { model, prompt: req.prompt, negativePrompt: req.negativePrompt, sampler: 'ddim', steps: steps ?? 0, cfgScale, seed: req.seed }, {
    kind: 'edit', task: req.kind, preset: req.preset, steps, evaluations: result.timings.evaluations,
  });
}

/** Save an upscale's result: the factor, the source's size and which starting noise it used. */
export function saveUpscaled(store: GalleryStore, req: { seed: number }, source: { width: number; height: number }, result: UpscaleResult, model: string): Promise<UpscaleResult> {
  return saveOne(store, result, { model, prompt: '', sampler: result.sampler, steps: result.steps, seed: req.seed }, {
    kind: 'upscale', factor: result.width / source.width, from: source, steps: result.steps, boundary: result.boundary.source, tiles: result.tiles.count,
  });
}
