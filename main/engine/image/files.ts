/** Image files in a folder, by the extensions this studio decodes (through sharp). */
import { readdir } from 'node:fs/promises';

const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?|gif|avif)$/i;

/** The names of the image files directly in `dir`, sorted. */
export async function listImageFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && IMAGE_EXT.test(e.name)).map((e) => e.name).sort();
}
