/**
 * The gallery on disk, in the user's data folder: every image as the PNG generation wrote (its
 * `parameters` text chunk inside), a small thumbnail beside it, and one JSON index of the entries.
 *
 *   <data>/gallery/index.json          { version: 1, entries: [...] }, newest first
 *   <data>/gallery/images/<id>.png     the image, as generated
 *   <data>/gallery/thumbs/<id>.png     at most THUMB_SIDE pixels a side, made when the image is
 *                                      added (and again, on first asking, for one that is missing)
 *
 * Every file is written with the one atomic write; an image goes to disk before the index names
 * it, and a delete removes the image before the index forgets it. So whatever moment a process is
 * killed at, loading finds a whole index and images: an image the index does not name (killed in
 * between) is taken back from its own `parameters` chunk, an entry whose image is gone is dropped.
 * A damaged index is set aside under its own name (`index.json.damaged-<time>`), reported, and
 * rebuilt from the images the same way — the images themselves are never lost.
 *
 * Ids are `[A-Za-z0-9_-]{1,64}` and checked on every call: no id names a path outside the folder.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { writeFileAtomic } from '../io/atomic.js';
import { parseParameters } from '../../api/parameters.js';
import { readPngText } from '../../api/png-text.js';
import { GALLERY_ID, GalleryIdError, checkGalleryId, galleryDir, galleryImageFile } from './paths.js';

export const THUMB_SIDE = 128;
export { GALLERY_ID, GalleryIdError, checkGalleryId, galleryDir, galleryImageFile };

/** What generated an image, as the request said it (a recovered image: as its `parameters` text says). */
export const GallerySettings = z.object({
  model: z.string().max(4096),
  prompt: z.string().max(20_000),
  negativePrompt: z.string().max(20_000).optional(),
  sampler: z.string().max(200),
  steps: z.number().int().min(0),
  cfgScale: z.number().optional(),
  seed: z.number().int().min(0),
  strength: z.number().optional(),
});
export type GallerySettings = z.infer<typeof GallerySettings>;

/** What made an image other than a generation: an edit of an image, or an upscale of one. */
export const GalleryOrigin = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('edit'), task: z.string().max(100), preset: z.string().max(100), steps: z.number().int().min(0).nullable(), evaluations: z.number().int().min(0) }),
  z.object({
    kind: z.literal('upscale'), factor: z.number().positive(), from: z.object({ width: z.number().int().min(1), height: z.number().int().min(1) }),
    steps: z.number().int().min(0).nullable(), boundary: z.enum(['searched', 'random']), tiles: z.number().int().min(1),
  }),
]);
export type GalleryOrigin = z.infer<typeof GalleryOrigin>;

export const GalleryEntry = z.object({
  id: z.string().regex(GALLERY_ID),
  /** Milliseconds since the epoch. */
  createdAt: z.number(),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  /** The `parameters` text inside the PNG. */
  parameters: z.string(),
  settings: GallerySettings,
  /** The batch it came from: the images of one request share its id; `index` of `size`. */
  batch: z.object({ id: z.string().regex(GALLERY_ID), index: z.number().int().min(0), size: z.number().int().min(1) }),
  /** Set for an edit's or an upscale's result; a generation's has none. */
  origin: GalleryOrigin.optional(),
  /** Set when the index was rebuilt from the image's own `parameters`. */
  recovered: z.boolean().optional(),
});
export type GalleryEntry = z.infer<typeof GalleryEntry>;

const GalleryIndex = z.object({ version: z.literal(1), entries: z.array(GalleryEntry) });
type GalleryIndex = z.infer<typeof GalleryIndex>;

export interface NewGalleryImage {
  png: Uint8Array;
  parameters: string;
  width: number;
  height: number;
  settings: GallerySettings;
  origin?: GalleryOrigin;
}

export interface GalleryPage {
  /** Each with its thumbnail, unless the listing asked for none. */
  entries: (GalleryEntry & { thumbnail?: Uint8Array })[];
  total: number;
  /** Set when the index was found damaged on load: what happened, by file name. */
  damaged?: string;
}

/** A new id: time-ordered, then random (unique across processes writing the same folder). */
export function newGalleryId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}-${randomBytes(5).toString('hex')}`;
}


export class GalleryStore {
  readonly dir: string;
  private index: GalleryIndex | undefined;
  private damaged: string | undefined;
  /** Writes to the folder, one after another (one process owns a data folder's gallery). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(dataRoot: string) {
    this.dir = galleryDir(dataRoot);
  }

  private get indexFile(): string {
    return path.join(this.dir, 'index.json');
  }
  imageFile(id: string): string {
    return galleryImageFile(path.dirname(this.dir), id);
  }
  thumbFile(id: string): string {
    return path.join(this.dir, 'thumbs', `${checkGalleryId(id)}.png`);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Save one batch of images; returns their entries in the batch's order. */
  add(images: NewGalleryImage[], now = Date.now()): Promise<GalleryEntry[]> {
    return this.serial(async () => {
      const index = await this.load();
      await mkdir(path.join(this.dir, 'images'), { recursive: true });
      await mkdir(path.join(this.dir, 'thumbs'), { recursive: true });
      const batch = newGalleryId(now);
      const entries: GalleryEntry[] = [];
      for (const [i, img] of images.entries()) {
        const id = newGalleryId(now);
        await writeFileAtomic(this.imageFile(id), img.png);
        await writeFileAtomic(this.thumbFile(id), await thumbnail(img.png));
        entries.push(GalleryEntry.parse({
          id, createdAt: now, width: img.width, height: img.height, parameters: img.parameters, settings: img.settings,
          batch: { id: batch, index: i, size: images.length }, ...(img.origin ? { origin: img.origin } : {}),
        }));
      }
      // Newest first; within a batch, in the batch's order.
      const next: GalleryIndex = { version: 1, entries: [...entries, ...index.entries] };
      await this.write(next);
      return entries;
    });
  }

  /** A page of entries, newest first, each with its thumbnail unless `thumbnails` is false. */
  list(offset = 0, limit = 50, { thumbnails = true }: { thumbnails?: boolean } = {}): Promise<GalleryPage> {
    return this.serial(async () => {
      const index = await this.load();
      const slice = index.entries.slice(offset, offset + limit);
      const entries = thumbnails ? await Promise.all(slice.map(async (e) => ({ ...e, thumbnail: new Uint8Array(await this.readThumb(e.id)) }))) : slice;
      return { entries, total: index.entries.length, ...(this.damaged ? { damaged: this.damaged } : {}) };
    });
  }

  /**
   * The thumbnails of these entries, in the order asked; an id the gallery does not hold is listed
   * in `missing`. A thumbnail lost or never made (an entry older than thumbnails) is made now.
   */
  async thumbnails(ids: string[]): Promise<{ thumbnails: { id: string; png: Uint8Array }[]; missing: string[] }> {
    for (const id of ids) checkGalleryId(id);
    return this.serial(async () => {
      const known = new Set((await this.load()).entries.map((e) => e.id));
      const thumbnails: { id: string; png: Uint8Array }[] = [];
      const missing: string[] = [];
      for (const id of new Set(ids)) {
        if (!known.has(id)) missing.push(id);
        else thumbnails.push({ id, png: new Uint8Array(await this.readThumb(id)) });
      }
      return { thumbnails, missing };
    });
  }

  /** One entry and its full PNG; undefined when there is none. */
  async get(id: string): Promise<{ entry: GalleryEntry; png: Uint8Array } | undefined> {
    checkGalleryId(id);
    return this.serial(async () => {
      const entry = (await this.load()).entries.find((e) => e.id === id);
      if (!entry) return undefined;
      return { entry, png: new Uint8Array(await readFile(this.imageFile(id))) };
    });
  }

  /** Remove an entry and its files; false when there was none. */
  async delete(id: string): Promise<boolean> {
    checkGalleryId(id);
    return this.serial(async () => {
      const index = await this.load();
      if (!index.entries.some((e) => e.id === id)) return false;
      // The image goes first: a kill before the index is written leaves an entry with no image, which loading drops.
      await rm(this.imageFile(id), { force: true });
      await rm(this.thumbFile(id), { force: true });
      await this.write({ version: 1, entries: index.entries.filter((e) => e.id !== id) });
      return true;
    });
  }

  private async write(index: GalleryIndex): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.indexFile, JSON.stringify(index));
    this.index = index;
  }

  private async readThumb(id: string): Promise<Buffer> {
    try {
      return await readFile(this.thumbFile(id));
    } catch {
      // A thumbnail lost (killed between the image and its thumbnail): made again from the image.
      const thumb = await thumbnail(await readFile(this.imageFile(id)));
      await mkdir(path.join(this.dir, 'thumbs'), { recursive: true });
      await writeFileAtomic(this.thumbFile(id), thumb);
      return thumb;
    }
  }

  /** The index, read once and reconciled with the images on disk. */
  private async load(): Promise<GalleryIndex> {
    if (this.index) return this.index;
    let index: GalleryIndex = { version: 1, entries: [] };
    let changed = false;
    let text: string | undefined;
    try {
      text = await readFile(this.indexFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== undefined) {
      let why: string | undefined;
      try {
        const parsed = GalleryIndex.safeParse(JSON.parse(text));
        if (parsed.success) index = parsed.data;
        else why = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ');
      } catch (e) {
        why = (e as Error).message;
      }
      if (why !== undefined) {
        const aside = `index.json.damaged-${Date.now()}`;
        await rename(this.indexFile, path.join(this.dir, aside));
        this.damaged = `the gallery index ${this.indexFile} was damaged (${why}); it was kept as ${aside} and the gallery was rebuilt from its images`;
        changed = true;
      }
    }
    const onDisk = await this.imageIds();
    const kept = index.entries.filter((e) => onDisk.has(e.id));
    if (kept.length !== index.entries.length) changed = true;
    const known = new Set(kept.map((e) => e.id));
    const recovered: GalleryEntry[] = [];
    for (const id of onDisk) {
      if (known.has(id)) continue;
      const entry = await this.recover(id);
      if (entry) recovered.push(entry);
    }
    if (recovered.length) changed = true;
    const entries = [...kept, ...recovered].sort((a, b) => b.createdAt - a.createdAt || (a.batch.id === b.batch.id ? a.batch.index - b.batch.index : 0));
    index = { version: 1, entries };
    if (changed) await this.write(index);
    this.index = index;
    return index;
  }

  private async imageIds(): Promise<Set<string>> {
    const names = await readdir(path.join(this.dir, 'images')).catch(() => [] as string[]);
    return new Set(names.filter((n) => n.endsWith('.png')).map((n) => n.slice(0, -4)).filter((id) => GALLERY_ID.test(id)));
  }

  /** An entry for an image the index does not name, from the image's own `parameters`; undefined for a file that is no readable PNG. */
  private async recover(id: string): Promise<GalleryEntry | undefined> {
    const file = this.imageFile(id);
    try {
      const png = await readFile(file);
      const parameters = readPngText(png).get('parameters') ?? '';
      const meta = await sharp(png).metadata();
      const createdAt = idTime(id) ?? (await stat(file)).mtimeMs;
      let settings: GallerySettings = { model: '', prompt: '', sampler: '', steps: 0, seed: 0 };
      try {
        const p = parseParameters(parameters);
        settings = {
          model: p.model ?? '', prompt: p.prompt, negativePrompt: p.negativePrompt, sampler: p.sampler, steps: Number.isFinite(p.steps) ? p.steps : 0,
          cfgScale: Number.isFinite(p.cfgScale) ? p.cfgScale : undefined, seed: Number.isSafeInteger(p.seed) && p.seed >= 0 ? p.seed : 0, strength: p.denoisingStrength,
        };
      } catch {
        // No generation settings in it: kept with empty settings rather than lost.
      }
      return GalleryEntry.parse({ id, createdAt, width: meta.width ?? 1, height: meta.height ?? 1, parameters, settings, batch: { id, index: 0, size: 1 }, recovered: true });
    } catch {
      return undefined;
    }
  }
}

/** The creation time an id carries (its first part, base 36). */
function idTime(id: string): number | undefined {
  const t = parseInt(id.split('-')[0] ?? '', 36);
  return Number.isFinite(t) && t > 0 && t < 8.64e15 ? t : undefined;
}

async function thumbnail(png: Uint8Array): Promise<Buffer> {
  return sharp(png).resize(THUMB_SIDE, THUMB_SIDE, { fit: 'inside', withoutEnlargement: true }).png().toBuffer();
}
