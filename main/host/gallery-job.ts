/**
 * The gallery methods of the engine host, over the store in the user's data folder, and the step
 * that saves a generation's images there. Saving never fails a generation: the images go back to
 * the caller all the same, with the reason they were not kept.
 */
import { ApiError, type GalleryEntry, type GalleryPage, type GenerateResult } from '../api/contract.js';
import { GalleryIdError, GalleryStore } from '../engine/gallery/store.js';
import { dataDir } from '../engine/models/paths.js';
import type { Handlers } from './protocol.js';

export function galleryStore(dataRoot?: string): GalleryStore {
  return new GalleryStore(dataRoot ?? dataDir());
}

const badId = (e: unknown): never => {
  if (e instanceof GalleryIdError) throw new ApiError('BAD_REQUEST', e.message);
  throw e;
};

export function galleryHandlers(store: GalleryStore): Pick<Handlers, 'galleryList' | 'galleryGet' | 'galleryDelete'> {
  return {
    galleryList: async ({ offset, limit }): Promise<GalleryPage> => store.list(offset, limit),
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
