/** The packs that ship inside the application (models/packs/<name>/), listed when present. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { EmbeddedPack } from '../engine/models/registry.js';

/** The application root: the nearest folder above this file that holds package.json (source or compiled). */
function findAppRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
// In a packaged app the packs are unpacked beside the asar archive: native code cannot read inside it.
const appRoot = findAppRoot().replace(/app\.asar(?=$|[\\/])/, 'app.asar.unpacked');

export function embeddedPacks(root = process.env.DRIFTLINE_PACKS ?? path.join(appRoot, 'models', 'packs')): EmbeddedPack[] {
  return ['emoji-32', 'emoji-sr-64']
    .map((name) => ({ name, path: path.join(root, name) }))
    .filter((p) => existsSync(path.join(p.path, 'model_index.json')));
}
