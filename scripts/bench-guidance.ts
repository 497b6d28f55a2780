/**
 * `npm run bench:guidance [-- --preset diffeditor|fast] [--only NAME] [--seeds N] [--set key=value …]`:
 * region guidance on the embedded emoji-32 pack over the synthetic scenes of the editing tests
 * (`test/fixtures/edit-scenes.ts`): none, x̂₀ guidance (energies on the predicted image, no backward
 * pass) and feature guidance (DiffEditor's energies on the UNet's decoder features through its
 * generated VJP model, at the pack's declared step) — per scene the measures passed, the edited
 * object's identity (colour statistics distance, lower is better), model evaluations and seconds per
 * edit. Timings are benchmark figures, never test assertions.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openPack } from '../main/engine/packs/pack.js';
import { editImage } from '../main/engine/pipelines/edit.js';
import { resolveEditSettings, type EditOverrides, type EditPresetName } from '../main/engine/editing/presets.js';
import { appRoot } from '../main/app-root.js';
import { editOverrides } from './edit-overrides.js';
import { editScenarios } from '../test/fixtures/edit-scenes.js';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'diffeditor' }, only: { type: 'string' }, set: { type: 'string', multiple: true }, seeds: { type: 'string', default: '1' } } });
const preset = values.preset as EditPresetName;
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
const S = 32;

const pack = await openPack(path.join(appRoot(), 'models', 'packs', 'emoji-32'));
const step = pack.info.featureGuidanceStep;
const modes: { name: string; guidance: EditOverrides['guidance'] }[] = [
  { name: 'none', guidance: { scale: 0 } },
  { name: 'x0', guidance: { kind: 'x0' } },
  { name: `features (c = ${step ?? 'DiffEditor\'s'})`, guidance: { kind: 'features', featureStep: step } },
];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

console.log(`preset ${preset}, seeds ${seeds.join(', ')}`);
console.log('| scene | guidance | measures passed | colour stats distance | evaluations | s/edit |');
console.log('|---|---|---|---|---|---|');
const totals = new Map<string, { passed: number; of: number; secs: number[] }>();
for (const sc of editScenarios().filter((x) => !values.only || x.name.includes(values.only))) {
  for (const mode of modes) {
    let passed = 0, of = 0, evaluations = 0;
    const colour: number[] = [], secs: number[] = [];
    for (const seed of seeds) {
      const o = editOverrides(values.set);
      const t = performance.now();
      const r = await editImage(pack, {
        kind: sc.kind, image: sc.image, width: S, height: S, mask: sc.mask, offset: sc.offset, scale: sc.scale, drag: sc.drag,
        reference: sc.reference ? { image: sc.reference.image, width: S, height: S, mask: sc.reference.mask } : undefined,
        prompt: sc.prompt, seed, settings: resolveEditSettings(sc.kind, preset, { ...o, composite: false, guidance: { ...mode.guidance, ...o.guidance } }),
      });
      secs.push((performance.now() - t) / 1000);
      const m = sc.measure(r.uncomposited);
      passed += m.filter((x) => x.pass).length;
      of += m.length;
      colour.push(sc.identity(r.uncomposited).colour);
      evaluations = r.evaluations;
    }
    const tot = totals.get(mode.name) ?? { passed: 0, of: 0, secs: [] };
    totals.set(mode.name, { passed: tot.passed + passed, of: tot.of + of, secs: [...tot.secs, ...secs] });
    console.log(`| ${sc.name} | ${mode.name} | ${passed}/${of} | ${mean(colour).toFixed(3)} | ${evaluations} | ${mean(secs).toFixed(2)} |`);
  }
}
console.log('\n| guidance | measures passed | mean s/edit |');
console.log('|---|---|---|');
for (const [name, t] of totals) console.log(`| ${name} | ${t.passed}/${t.of} | ${mean(t.secs).toFixed(2)} |`);
await pack.release();
