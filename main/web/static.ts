/** Where the built renderer lives: `renderer/dist` once built, else the source folder's page. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { appRoot } from '../app-root.js';

export function rendererDir(): string {
  const dist = path.join(appRoot(), 'renderer', 'dist');
  return existsSync(path.join(dist, 'index.html')) ? dist : path.join(appRoot(), 'renderer');
}
