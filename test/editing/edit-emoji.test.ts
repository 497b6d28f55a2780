/**
 * DiffEditor-style edits on the embedded emoji-32 pack, over synthetic scenes it never saw
 * (objects on white, `test/fixtures/edit-scenes.ts`): the no-op reconstruction of both inversions,
 * every task's measured result with the fast preset (before compositing), the energies falling
 * over the guided steps, the evaluation budget, compositing, and what the pack-level editor refuses.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPack } from '../../main/engine/packs/pack.js';
import type { LoadedPack } from '../../main/engine/packs/types.js';
import { editImage, type EditPipelineRequest } from '../../main/engine/pipelines/edit.js';
import { editEvaluations, resolveEditSettings } from '../../main/engine/editing/presets.js';
import { editScenarios, psnr, renderScene, type EditScenario } from '../fixtures/edit-scenes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const S = 32;
let pack: LoadedPack;
beforeAll(async () => { pack = await openPack(path.join(root, 'models', 'packs', 'emoji-32'), { provider: 'cpu' }); });
afterAll(async () => { await pack?.release(); });

const request = (sc: EditScenario, settings = resolveEditSettings(sc.kind, 'fast', { composite: false })): EditPipelineRequest => ({
  kind: sc.kind, image: sc.image, width: S, height: S, mask: sc.mask, offset: sc.offset, scale: sc.scale, drag: sc.drag,
  reference: sc.reference ? { image: sc.reference.image, width: S, height: S, mask: sc.reference.mask } : undefined,
  prompt: sc.prompt, seed: 1, settings,
});

describe('emoji-32: inversion', () => {
  it('exact inversion + a no-op edit returns the image (≥ 45 dB); plain DDIM inversion is measured and far below', async () => {
    const { image, masks } = renderScene(S, [{ kind: 'face', cx: 16, cy: 16, r: 8 }]);
    const noop = (inversion: 'exact' | 'ddim') => editImage(pack, {
      kind: 'move', image, width: S, height: S, mask: masks[0].map((v) => (v >= 0.5 ? 1 : 0)), offset: { x: 0, y: 0 }, prompt: 'grinning face', seed: 1,
      settings: resolveEditSettings('move', 'fast', { inversion, eta: 0, composite: false }),
    });
    const exact = psnr((await noop('exact')).uncomposited, image);
    const ddim = psnr((await noop('ddim')).uncomposited, image);
    console.log(`no-op reconstruction on emoji-32 (fast preset, CFG 4): exact ${exact.toFixed(1)} dB, plain DDIM ${ddim.toFixed(1)} dB`);
    expect(exact).toBeGreaterThanOrEqual(45);
    expect(ddim).toBeLessThan(exact);
    expect(ddim).toBeGreaterThan(10);
  });
});

describe('emoji-32: edits on synthetic scenes (fast preset, before compositing)', () => {
  for (const sc of editScenarios()) {
    it(`${sc.name}: every measure holds, within 40 model evaluations`, async () => {
      const req = request(sc);
      const r = await editImage(pack, req);
      const measures = sc.measure(r.uncomposited);
      expect(measures.filter((m) => !m.pass).map((m) => `${m.name} = ${m.value.toFixed(3)}`)).toEqual([]);
      expect(r.memory.used).toBe(true);
      expect(r.evaluations).toBe(editEvaluations(req.settings, sc.kind, true));
      expect(r.evaluations).toBeLessThanOrEqual(40);
    });
  }

  it('the guidance energy falls over the guided steps of a move', async () => {
    const sc = editScenarios()[0];
    const r = await editImage(pack, request(sc));
    expect(r.energies.length).toBeGreaterThan(3);
    const first = r.energies[0].value, last = r.energies[r.energies.length - 1].value;
    expect(last).toBeLessThan(0.5 * first);
  });

  it('compositing keeps every pixel outside the edit region and takes the model\'s inside it', async () => {
    const sc = editScenarios()[1];
    const r = await editImage(pack, request(sc, resolveEditSettings(sc.kind, 'fast')));
    const n = S * S;
    let inside = 0;
    for (let j = 0; j < n; j++) {
      for (let c = 0; c < 3; c++) {
        const v = r.image.data[c * n + j];
        if (!r.region[j]) expect(v).toBe(sc.image.data[c * n + j]);
      }
      if (r.region[j]) inside++;
    }
    expect(inside).toBeGreaterThan(0);
    expect(psnr(r.image, r.uncomposited, r.region)).toBeGreaterThan(20);
  });

  it('cancels between steps', async () => {
    const ctl = new AbortController();
    const sc = editScenarios()[0];
    await expect(editImage(pack, request(sc), { signal: ctl.signal, onProgress: (p) => { if (p.phase === 'sample' && p.step === 2) ctl.abort(); } }))
      .rejects.toThrow(/cancel|abort/i);
  });
});

describe('emoji-32: what the pack-level editor refuses', () => {
  it('names the problem: sizes, masks, a super-resolution pack', async () => {
    const sc = editScenarios()[0];
    await expect(editImage(pack, { ...request(sc), mask: new Float32Array(10) })).rejects.toThrow(/mask has 10 values/);
    await expect(editImage(pack, { ...request(sc), mask: new Float32Array(S * S) })).rejects.toThrow(/mask is empty/);
    const sr = await openPack(path.join(root, 'models', 'packs', 'emoji-sr-64'), { provider: 'cpu' });
    try {
      await expect(editImage(sr, request(sc))).rejects.toThrow(/upscaling model cannot edit/);
    } finally {
      await sr.release();
    }
  });
});
