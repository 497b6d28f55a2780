/** The side-by-side comparison: one scale for every image, and the settings split into those that differ and those shared. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../renderer/src/ui/generate/settings.js';
import { compareScale, compareTable } from '../../renderer/src/ui/gallery/compare.js';

const item = (seed: number, over: Record<string, unknown> = {}) => ({
  model: 'emoji-32', seed, width: 32, height: 32, settings: { ...DEFAULT_SETTINGS, prompt: 'a cat', steps: 4, cfgScale: 3, sampler: 'euler', seed }, batch: { id: 'b', index: seed - 1, size: 2 }, ...over,
});

describe('compareTable', () => {
  it('lists only the settings that differ as rows, one value per item, and the rest as shared', () => {
    const t = compareTable([item(1), item(2)]);
    expect(t.differing).toEqual([{ label: 'Seed', values: ['1', '2'] }, { label: 'Batch', values: ['1 of 2', '2 of 2'] }]);
    expect(t.shared).toContainEqual({ label: 'Prompt', value: 'a cat' });
    expect(t.shared).toContainEqual({ label: 'Size', value: '32×32' });
    expect(t.shared).toContainEqual({ label: 'Made by', value: 'generation' });
  });

  it('tells a generation from its upscale by what made them and their size', () => {
    const up = item(1, { width: 64, height: 64, batch: undefined, upscale: { factor: 2, from: { width: 32, height: 32 }, steps: 3, boundary: { source: 'random' }, tiles: 1 } });
    const t = compareTable([item(1, { batch: undefined }), up]);
    const rows = Object.fromEntries(t.differing.map((r) => [r.label, r.values]));
    expect(rows['Made by']).toEqual(['generation', 'upscale ×2 from 32×32']);
    expect(rows.Size).toEqual(['32×32', '64×64']);
    expect(rows.Steps).toEqual(['4', '3']);
    expect(rows.Seed).toBeUndefined();
  });
});

describe('compareScale', () => {
  it('fits the largest image to its cell and draws every image at that one scale', () => {
    // 64 px wide in a 256 px cell: 4×; the 32 px image is then drawn 128 px, half the other.
    expect(compareScale([{ width: 32, height: 32 }, { width: 64, height: 64 }], { width: 256, height: 400 })).toBe(4);
    expect(compareScale([{ width: 100, height: 400 }], { width: 300, height: 200 })).toBe(0.5);
    expect(compareScale([{ width: 8, height: 8 }], { width: 1000, height: 1000 })).toBe(8);
  });
});
