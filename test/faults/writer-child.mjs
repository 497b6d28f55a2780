// Writes successive versions of a file the way the product does, forever, printing `done <n>` after
// each write returns; the fault test kills it with SIGKILL at random moments. Runs the compiled
// code (`npm run build:node` first; `npm test` does). Usage: writer-child.mjs <atomic|json|boundary|gallery> <dir>
import { createHash } from 'node:crypto';
import path from 'node:path';
import { writeFileAtomic } from '../../out/main/engine/io/atomic.js';
import { writeJsonAtomic } from '../../out/main/engine/models/registry.js';
import { saveBoundary } from '../../out/main/engine/sr/store.js';
import { GalleryStore } from '../../out/main/engine/gallery/store.js';
import { withPngText } from '../../out/main/api/png-text.js';
import sharp from 'sharp';

const [kind, dir] = process.argv.slice(2);
const BYTES = 2 << 20;

/** Version n of a 2 MiB file: a header line with n and the body's sha256, then the body. */
function payload(n) {
  const body = Buffer.alloc(BYTES, n % 251);
  const sha = createHash('sha256').update(body).digest('hex');
  return Buffer.concat([Buffer.from(JSON.stringify({ n, sha }) + '\n'), body]);
}

export const KEY = { digest: 'ab'.repeat(32), sampler: 'pack', steps: 4, tile: { width: 64, height: 64 } };
const SHAPE = [1, 3, 128, 128];

// The gallery: each version adds one image (seed n, a 256² PNG with its parameters) and deletes version n − 3 and older.
const gallery = kind === 'gallery' ? new GalleryStore(dir) : undefined;
const galleryPixels = kind === 'gallery' ? await sharp({ create: { width: 256, height: 256, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).png().toBuffer() : undefined;
export const galleryParameters = (n) => `version ${n}\nSteps: 1, Sampler: Euler, Seed: ${n}, Size: 256x256, Model: test`;

async function writeVersion(n) {
  if (kind === 'gallery') {
    const parameters = galleryParameters(n);
    await gallery.add([{ png: withPngText(galleryPixels, { parameters }), parameters, width: 256, height: 256, settings: { model: 'test', prompt: `version ${n}`, sampler: 'euler', steps: 1, seed: n } }]);
    for (const old of (await gallery.list(0, 1000)).entries) if (old.settings.seed <= n - 3) await gallery.delete(old.id);
    return;
  }
  if (kind === 'atomic') return writeFileAtomic(path.join(dir, 'out.bin'), payload(n));
  if (kind === 'json') return writeJsonAtomic(path.join(dir, 'registry.json'), { version: 1, n, packs: Array.from({ length: 2000 }, (_, i) => ({ name: `pack-${i}`, n })) });
  if (kind === 'boundary') {
    const z = { data: new Float32Array(SHAPE.reduce((a, b) => a * b)).fill(n), shape: SHAPE };
    return saveBoundary({
      version: 1, pack: { name: 'test', digest: KEY.digest }, sampler: KEY.sampler, steps: KEY.steps, tile: KEY.tile, shape: SHAPE,
      metric: 'psnr', seed: n, calibration: { source: 'test', digest: 'cd'.repeat(32), count: 1 }, candidates: [], best: 0,
      evaluations: 0, seconds: 0, date: new Date(0).toISOString(),
    }, z, dir);
  }
  throw new Error(`unknown kind ${kind}`);
}

// The gallery keeps its versions across restarts: a new writer goes on from the newest it finds.
const first = gallery ? 1 + Math.max(0, ...(await gallery.list(0, 1000)).entries.map((e) => e.settings.seed)) : 1;
for (let n = first; ; n++) {
  await writeVersion(n);
  process.stdout.write(`done ${n}\n`);
}
