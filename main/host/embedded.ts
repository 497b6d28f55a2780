/** The packs that ship inside the application (models/packs/<name>/), listed when present. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EmbeddedPack } from '../engine/models/registry.js';
import { appRoot } from '../app-root.js';

// In a packaged app the packs are unpacked beside the asar archive: native code cannot read inside it.
const packagedRoot = appRoot().replace(/app\.asar(?=$|[\\/])/, 'app.asar.unpacked');

export function embeddedPacks(root = process.env.DRIFTLINE_PACKS ?? path.join(packagedRoot, 'models', 'packs')): EmbeddedPack[] {
  return ['emoji-32', 'emoji-sr-64', 'emoji-sr-x4']
    .map((name) => ({ name, path: path.join(root, name) }))
    .filter((p) => existsSync(path.join(p.path, 'model_index.json')));
}
