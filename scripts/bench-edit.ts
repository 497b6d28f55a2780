/**
 * `npm run bench:edit [-- --preset fast|diffeditor|both] [--only NAME] [--set key=value …]`:
 * DiffEditor-style edits on the embedded emoji-32 pack over synthetic scenes (objects on white,
 * `test/fixtures/edit-scenes.ts`): per task, model evaluations, seconds per edit and the quality
 * measures the tests hold (before compositing), for DiffEditor's full schedule and the fast preset;
 * plus the no-op reconstruction PSNR of exact and plain DDIM inversion. Timings are benchmark
 * figures, never test assertions.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openPack } from '../main/engine/packs/pack.js';
import { editImage } from '../main/engine/pipelines/edit.js';
import { resolveEditSettings, type EditOverrides, type EditPresetName } from '../main/engine/editing/presets.js';
import { appRoot } from '../main/app-root.js';
import { editOverrides } from './edit-overrides.js';
import { editScenarios, psnr, renderScene } from '../test/fixtures/edit-scenes.js';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'both' }, only: { type: 'string' }, set: { type: 'string', multiple: true } } });
const presets: EditPresetName[] = values.preset === 'both' ? ['fast', 'diffeditor'] : [values.preset as EditPresetName];

const overrides = (): EditOverrides => editOverrides(values.set);

const pack = await openPack(path.join(appRoot(), 'models', 'packs', 'emoji-32'));
const S = 32;

// No-op reconstruction: a move by (0, 0) with no noise injected, exact vs plain DDIM inversion.
{
  const { image, masks } = renderScene(S, [{ kind: 'face', cx: 16, cy: 16, r: 8 }]);
  for (const inversion of ['exact', 'ddim'] as const) {
    for (const preset of presets) {
      const settings = resolveEditSettings('move', preset, { inversion, eta: 0, composite: false });
      const r = await editImage(pack, { kind: 'move', image, width: S, height: S, mask: masks[0].map((v) => (v >= 0.5 ? 1 : 0)), offset: { x: 0, y: 0 }, prompt: 'grinning face', seed: 1, settings });
      console.log(`no-op ${inversion.padEnd(5)} ${preset.padEnd(10)} reconstruction PSNR ${psnr(r.uncomposited, image).toFixed(2)} dB (${r.evaluations} evaluations)`);
    }
  }
}

console.log('\n| preset | scene | evaluations | s/edit | measures |');
console.log('|---|---|---|---|---|');
for (const preset of presets) {
  for (const sc of editScenarios().filter((x) => !values.only || x.name.includes(values.only))) {
    const settings = resolveEditSettings(sc.kind, preset, { ...overrides(), composite: false });
    const t = performance.now();
    const r = await editImage(pack, {
      kind: sc.kind, image: sc.image, width: S, height: S, mask: sc.mask, offset: sc.offset, scale: sc.scale, drag: sc.drag,
      reference: sc.reference ? { image: sc.reference.image, width: S, height: S, mask: sc.reference.mask } : undefined,
      prompt: sc.prompt, seed: 1, settings,
    });
    const secs = (performance.now() - t) / 1000;
    const m = sc.measure(r.uncomposited).map((x) => `${x.name} ${x.value.toFixed(2)}${x.pass ? '' : ' ✗'}`).join('; ');
    console.log(`| ${preset} | ${sc.name} | ${r.evaluations} | ${secs.toFixed(2)} | ${m} |`);
  }
}
await pack.release();
