/**
 * `npm run build:node && node out/scripts/sr-samples.js [--pack emoji-sr-x4] [--steps 5] [--out docs/emoji-sr-x4-samples.png]`:
 * a picture of what the boundary search changes, on held-out emoji the search never saw — per row:
 * the low-resolution input (nearest-neighbour enlarged), bicubic, the model from random x_T, the
 * model from the searched x̃_T (searched here on the pack's calibration set, 32 candidates, SSIM),
 * and the true image.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import sharp from 'sharp';
import { openPack } from '../main/engine/packs/pack.js';
import { planFor } from '../main/engine/pipelines/plan.js';
import { generate } from '../main/engine/pipelines/generate.js';
import { tileShape, trainedTile } from '../main/engine/pipelines/upscale.js';
import { loadCalibration } from '../main/engine/sr/calibration.js';
import { candidateNoise, searchBoundary, stackRows } from '../main/engine/sr/search.js';
import { tensorToRgb } from '../main/engine/image/io.js';
import type { Tensor } from '../main/engine/tensor.js';
import { appRoot } from '../main/app-root.js';
import { heldOutPairs } from '../test/fixtures/sr-sets.js';

const { values } = parseArgs({ options: { pack: { type: 'string', default: 'emoji-sr-x4' }, steps: { type: 'string', default: '5' }, out: { type: 'string' }, rows: { type: 'string', default: '8' } } });
const dir = path.join(appRoot(), 'models', 'packs', values.pack!);
const pack = await openPack(dir);
const f = pack.info.upscaleFactor, steps = Number(values.steps);
const tile = trainedTile(pack.info);
const plan = planFor(pack.info);
const cal = await loadCalibration(path.join(dir, 'calibration'), tile, f, undefined, pack.info.degradation);
const found = await searchBoundary(pack, { pairs: cal.pairs, candidates: 32, steps, metric: 'ssim', seed: 0 }, plan);
const pairs = (await heldOutPairs(f)).filter((_, i) => i % 12 === 0).slice(0, Number(values.rows));
const low = stackRows(pairs.map((p) => p.low));
const run = async (noise: Float32Array) => (await generate(pack, { prompt: '', width: tile.width, height: tile.height, steps, cfgScale: 0, seed: 0, batch: pairs.length, init: { image: low, strength: 1 }, noise }, plan)).images;
const searched = await run(found.boundary.data);
const random = await run(candidateNoise(tileShape(pack.info), 1, 0));

const S = tile.width;
const png = (t: Tensor, b: number) => sharp(Buffer.from(tensorToRgb(t, b)), { raw: { width: t.shape[3], height: t.shape[2], channels: 3 } });
const cells: { input: Buffer; left: number; top: number }[] = [];
for (let r = 0; r < pairs.length; r++) {
  const lowPng = await png(low, r).png().toBuffer();
  const columns = [
    await sharp(lowPng).resize(S, S, { kernel: 'nearest' }).png().toBuffer(),
    await sharp(lowPng).resize(S, S, { kernel: 'cubic' }).png().toBuffer(),
    await png(random, r).png().toBuffer(),
    await png(searched, r).png().toBuffer(),
    await png(pairs[r].high, 0).png().toBuffer(),
  ];
  columns.forEach((input, c) => cells.push({ input, left: c * (S + 4), top: r * (S + 4) }));
}
const out = values.out ?? path.join(appRoot(), 'docs', `${values.pack}-samples.png`);
await sharp({ create: { width: 5 * (S + 4) - 4, height: pairs.length * (S + 4) - 4, channels: 3, background: '#ffffff' } }).composite(cells).png().toFile(out);
console.log(`${out}: columns input (nearest), bicubic, ${steps} steps from random x_T, from the searched x_T (candidate ${found.best} of 32), truth`);
await pack.release();
