/**
 * `npm run bench:memory [-- --preset fast|diffeditor] [--seeds N] [--only NAME] [--set key=value …]`:
 * attention memory on the embedded emoji-32 pack (docs/attention-memory.md).
 * 1. Surgery: seconds to derive the attention-memory UNet (a fresh cache) and to reuse it, for
 *    emoji-32 and the SD-shaped test packs in every attention form, fp32 and fp16.
 * 2. No-op reconstruction (a move by (0, 0), no noise) of every scene's image: mean PSNR with plain
 *    DDIM inversion (with and without the preset's region guidance) and with exact inversion,
 *    memory off vs on.
 * 3. Per synthetic scene (`test/fixtures/edit-scenes.ts`, the scenes the editing tests hold), memory
 *    off vs on: the edited object's identity (colour statistics distance to the source object,
 *    lower is better; PSNR inside the target against the ideal result where it is known), the
 *    scene's own measures, model evaluations, seconds per edit, bytes recorded per step and the
 *    most held at once — means over the seeds.
 * Timings are benchmark figures, never test assertions.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { openPack } from '../main/engine/packs/pack.js';
import { editImage, type EditPipelineRequest } from '../main/engine/pipelines/edit.js';
import { attentionMemoryModel } from '../main/engine/onnx/surgery/cache.js';
import { resolveEditSettings, type EditOverrides, type EditPresetName } from '../main/engine/editing/presets.js';
import { appRoot } from '../main/app-root.js';
import { editOverrides } from './edit-overrides.js';
import { editScenarios, psnr, type EditScenario } from '../test/fixtures/edit-scenes.js';
import { ATTENTION_UNET_FORMS, buildAttentionPack } from '../test/fixtures/attention-unets.js';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'fast' }, only: { type: 'string' }, set: { type: 'string', multiple: true }, seeds: { type: 'string', default: '3' } } });
const preset = values.preset as EditPresetName;
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const overrides = (): EditOverrides => editOverrides(values.set);

const dir = path.join(appRoot(), 'models', 'packs', 'emoji-32');
const dataDir = mkdtempSync(path.join(tmpdir(), 'driftline-bench-memory-'));
const S = 32;
const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;

try {
  {
    const unet = path.join(dir, 'unet', 'model.onnx');
    let t = performance.now();
    const built = await attentionMemoryModel(unet, { dataDir });
    const build = performance.now() - t;
    t = performance.now();
    await attentionMemoryModel(unet, { dataDir });
    const reuse = performance.now() - t;
    console.log(`surgery emoji-32: ${built.map.layers.length} self-attention layers; derive ${build.toFixed(0)} ms (surgery itself ${built.map.buildMs.toFixed(0)} ms), reuse ${reuse.toFixed(0)} ms`);
    for (const form of ATTENTION_UNET_FORMS) {
      for (const fp16 of [false, true]) {
        const packDir = await buildAttentionPack(mkdtempSync(path.join(dataDir, 'pack-')), { form, fp16 });
        const t0 = performance.now();
        const d = await attentionMemoryModel(path.join(packDir, 'unet', 'model.onnx'), { dataDir });
        console.log(`surgery SD-shaped ${form} ${fp16 ? 'fp16' : 'fp32'}: ${d.map.layers.length} layers; derive ${(performance.now() - t0).toFixed(0)} ms`);
      }
    }
  }

  const pack = await openPack(dir, { dataDir });
  const run = async (req: EditPipelineRequest) => {
    const t = performance.now();
    const r = await editImage(pack, req);
    return { r, secs: (performance.now() - t) / 1000 };
  };

  {
    const scenes = editScenarios().filter((sc) => sc.kind === 'move');
    const noOps = [{ inversion: 'ddim', guided: false }, { inversion: 'ddim', guided: true }, { inversion: 'exact', guided: true }] as const;
    for (const { inversion, guided } of noOps) {
      const line: string[] = [];
      for (const enabled of [false, true]) {
        const values: number[] = [];
        for (const sc of scenes) {
          const o = overrides();
          const settings = resolveEditSettings('move', preset, { ...o, inversion, eta: 0, composite: false, memory: { ...o.memory, enabled }, ...(guided ? {} : { guidance: { scale: 0 } }) });
          const { r } = await run({ kind: 'move', image: sc.image, width: S, height: S, mask: sc.mask, offset: { x: 0, y: 0 }, prompt: sc.prompt, seed: 1, settings });
          values.push(psnr(r.uncomposited, sc.image));
        }
        line.push(`memory ${enabled ? 'on ' : 'off'} ${mean(values).toFixed(2)} dB`);
      }
      console.log(`no-op ${inversion.padEnd(5)} ${guided ? 'with region guidance' : 'no region guidance  '} reconstruction PSNR (mean of ${scenes.length} scenes): ${line.join(', ')}`);
    }
  }

  console.log(`\n| scene | memory | colour stats distance | PSNR in target dB | measures passed | evaluations | s/edit | per step | peak |`);
  console.log('|---|---|---|---|---|---|---|---|---|');
  const request = (sc: EditScenario, enabled: boolean, seed: number): EditPipelineRequest => ({
    kind: sc.kind, image: sc.image, width: S, height: S, mask: sc.mask, offset: sc.offset, scale: sc.scale, drag: sc.drag,
    reference: sc.reference ? { image: sc.reference.image, width: S, height: S, mask: sc.reference.mask } : undefined,
    prompt: sc.prompt, seed, settings: resolveEditSettings(sc.kind, preset, { ...overrides(), composite: false, memory: { ...overrides().memory, enabled } }),
  });
  for (const sc of editScenarios().filter((x) => !values.only || x.name.includes(values.only))) {
    for (const enabled of [false, true]) {
      const rows = [];
      for (const seed of seeds) {
        const { r, secs } = await run(request(sc, enabled, seed));
        const measures = sc.measure(r.uncomposited);
        rows.push({ r, secs, id: sc.identity(r.uncomposited), passed: measures.filter((x) => x.pass).length, of: measures.length });
      }
      const m = rows[0].r.memory;
      const p = rows.map((x) => x.id.psnr).filter((x): x is number => x !== undefined);
      console.log(`| ${sc.name} | ${m.used ? 'on' : 'off'} | ${mean(rows.map((x) => x.id.colour)).toFixed(3)} | ${p.length ? mean(p).toFixed(2) : '–'} | ${rows.reduce((a, x) => a + x.passed, 0)}/${rows.reduce((a, x) => a + x.of, 0)} | ${rows[0].r.evaluations} | ${mean(rows.map((x) => x.secs)).toFixed(2)} | ${m.used ? kib(m.bytesPerStep) : '–'} | ${m.used ? kib(m.peakBytes) : '–'} |`);
    }
  }
  await pack.release();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
