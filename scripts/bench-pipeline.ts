/**
 * `npm run bench:pipeline [-- --model NAME|PATH …] [--steps N] [--size WxH]`: generation timings
 * for a tiny pack built on the spot and for each real pack given (or installed): per-step time,
 * the engine's overhead as a percentage of pure `session.run` time (everything outside the model
 * calls: tokenising, sampler arithmetic, guidance, conversions, VAE excluded), and peak RSS.
 * Timings are benchmark figures, never test assertions.
 */
import { parseArgs } from 'node:util';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildTinyPack } from '../test/fixtures/tiny-packs.js';
import { openPack } from '../main/engine/packs/pack.js';
import type { LoadedPack } from '../main/engine/packs/types.js';
import { generate } from '../main/engine/pipelines/generate.js';
import { planFor } from '../main/engine/pipelines/plan.js';
import { ModelRegistry } from '../main/engine/models/registry.js';

const { values } = parseArgs({ options: { model: { type: 'string', multiple: true }, steps: { type: 'string' }, size: { type: 'string' }, sampler: { type: 'string' } } });
const steps = Number(values.steps ?? 20);

async function bench(label: string, dir: string): Promise<void> {
  const pack = await openPack(dir);
  const size = values.size?.split('x').map(Number) ?? [pack.info.defaultSize, pack.info.defaultSize];
  let unetMs = 0;
  let unetCalls = 0;
  const timed: LoadedPack = {
    ...pack,
    info: pack.info,
    providers: pack.providers,
    encodePrompt: (p) => pack.encodePrompt(p),
    unet: async (...args) => {
      const t = performance.now();
      try { return await pack.unet(...args); } finally { unetMs += performance.now() - t; unetCalls++; }
    },
    vaeEncode: pack.vaeEncode?.bind(pack),
    vaeDecode: pack.vaeDecode?.bind(pack),
    release: () => pack.release(),
  };
  let peak = process.memoryUsage().rss;
  const req = { prompt: 'a photo of a cat', negativePrompt: 'blurry', width: size[0], height: size[1], steps, cfgScale: 7, seed: 1 };
  await generate(timed, { ...req, steps: 2 }, planFor(pack.info, values.sampler)); // warm-up
  unetMs = 0; unetCalls = 0;
  let firstStep = 0, lastStep = 0;
  const t0 = performance.now();
  await generate(timed, req, planFor(pack.info, values.sampler), {
    onProgress: (p) => {
      const now = performance.now();
      if (p.step === 1) firstStep = now;
      lastStep = now;
      peak = Math.max(peak, process.memoryUsage().rss);
    },
  });
  const total = performance.now() - t0;
  const sampling = lastStep - firstStep; // steps 2 … N: only sampler steps, no text encoder or VAE
  const unetPerCall = unetMs / unetCalls;
  const perStep = sampling / (steps - 1);
  const overhead = ((perStep - unetPerCall * (unetCalls / steps)) / (unetPerCall * (unetCalls / steps))) * 100;
  console.log(`| ${label} | ${pack.providers.find((p) => p.component === 'unet')?.provider} | ${size[0]}x${size[1]} | ${steps} | ${perStep.toFixed(2)} | ${unetPerCall.toFixed(2)} | ${overhead.toFixed(1)}% | ${total.toFixed(0)} | ${(peak / 2 ** 20).toFixed(0)} |`);
  await pack.release();
}

console.log('| pack | provider | size | steps | ms/step | session.run ms | engine overhead | total ms | peak RSS MiB |');
console.log('|---|---|---|---|---|---|---|---|---|');
const tiny = await buildTinyPack(await mkdtemp(path.join(tmpdir(), 'driftline-bench-')), 'sd1');
await bench('tiny sd1 (test pack)', tiny);
const models = values.model ?? (await new ModelRegistry().list()).filter((m) => !m.missing).map((m) => m.name);
const installed = await new ModelRegistry().list();
for (const m of models) {
  const dir = path.isAbsolute(m) ? m : installed.find((e) => e.name === m)?.path;
  if (dir) await bench(m, dir);
  else console.log(`| ${m} | not found | | | | | | | |`);
}
