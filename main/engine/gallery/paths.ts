/**
 * Where the gallery lives in the user's data folder, and the ids that may name its files. Kept
 * apart from the store (no image library here) so the desktop front door can find an image to
 * reveal without loading one.
 */
import path from 'node:path';

export const GALLERY_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class GalleryIdError extends Error {
  constructor(id: string) {
    super(`"${id.slice(0, 80)}" is not a gallery id`);
    this.name = 'GalleryIdError';
  }
}

export function checkGalleryId(id: string): string {
  if (!GALLERY_ID.test(id)) throw new GalleryIdError(id);
  return id;
}

/** `<data>/gallery`. */
export function galleryDir(dataRoot: string): string {
  return path.join(dataRoot, 'gallery');
}

/** `<data>/gallery/images/<id>.png`, the id checked first: no id names a path outside the folder. */
export function galleryImageFile(dataRoot: string, id: string): string {
  return path.join(galleryDir(dataRoot), 'images', `${checkGalleryId(id)}.png`);
}
