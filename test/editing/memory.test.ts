/**
 * The memory bank of attention memory (main/engine/editing/memory.ts), as data: which layers and
 * steps a setting takes, token grids and masks per UNet level, the byte budget and its spill store,
 * and the memory calls that record and inject per task.
 */
import { describe, expect, it } from 'vitest';
import type { LayerKV } from '../../main/engine/samplers/common.js';
import {
  MemoryBank, injectCall, memoryLayers, memoryPlan, memorySteps, recordCall, tokenGrid, tokenMask, type MemoryLayerInfo, type SpillStore,
} from '../../main/engine/editing/memory.js';
import { resolveEditSettings } from '../../main/engine/editing/presets.js';

const layer = (index: number, label: string): MemoryLayerInfo => ({ index, label, channels: 4, valueChannels: 4 });
const EMOJI: MemoryLayerInfo[] = [
  'down_blocks.1.attentions.0', 'down_blocks.2.attentions.0', 'mid_block.attentions.0',
  'up_blocks.0.attentions.0', 'up_blocks.0.attentions.1', 'up_blocks.1.attentions.0', 'up_blocks.1.attentions.1',
].map((b, i) => layer(i, `${b}.transformer_blocks.0.attn1`));

const kv = (tokens: number, fill: number): LayerKV => ({ k: new Float32Array(tokens * 4).fill(fill), v: new Float32Array(tokens * 4).fill(-fill), tokens });

/** A spill store in a Map that counts its writes and reads. */
function mapSpill(): SpillStore & { writes: number; reads: number; disposed: boolean } {
  const m = new Map<string, LayerKV>();
  const s = {
    writes: 0, reads: 0, disposed: false,
    write(key: string, x: LayerKV) { s.writes++; m.set(key, { k: x.k.slice(), v: x.v.slice(), tokens: x.tokens }); },
    read(key: string) { s.reads++; return m.get(key)!; },
    dispose() { s.disposed = true; m.clear(); },
  };
  return s;
}

describe('which layers and steps', () => {
  it('decoder takes the up_blocks layers; all takes every one; unlabelled maps fall back to all', () => {
    expect(memoryLayers(EMOJI, 'decoder')).toEqual([3, 4, 5, 6]);
    expect(memoryLayers(EMOJI, 'all')).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(memoryLayers([layer(0, 'attention.n12'), layer(1, 'attention.n40')], 'decoder')).toEqual([0, 1]);
  });

  it("DiffEditor's schedule: move and drag from step 5 of 50, appearance and paste over steps 0–35", () => {
    expect(memorySteps(resolveEditSettings('move', 'diffeditor').memory, 50)).toEqual(Array.from({ length: 45 }, (_, i) => i + 5));
    expect(memorySteps(resolveEditSettings('paste', 'diffeditor').memory, 50)).toEqual(Array.from({ length: 36 }, (_, i) => i));
    expect(memorySteps(resolveEditSettings('drag', 'fast').memory, 8)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(() => resolveEditSettings('move', 'fast', { memory: { window: [0.9, 0.1] } })).toThrow(/memory\.window/);
  });
});

describe('token grids', () => {
  it('finds the level of a grid, rounding odd sides up as strided convolutions do', () => {
    expect(tokenGrid(64 * 64, 64, 64)).toEqual({ width: 64, height: 64, factor: 1 });
    expect(tokenGrid(16 * 8, 64, 32)).toEqual({ width: 16, height: 8, factor: 4 });
    expect(tokenGrid(3 * 2, 5, 3)).toEqual({ width: 3, height: 2, factor: 2 });
    expect(() => tokenGrid(7, 8, 8)).toThrow(/7 tokens, which is no level of a 8x8 grid/);
  });

  it('a token is inside when any of its cells is', () => {
    const m = new Float32Array(16);
    m[1 * 4 + 2] = 1; // cell (2, 1) → token (1, 0) of the 2×2 level
    expect([...tokenMask(m, 4, 4, 4)]).toEqual([0, 1, 0, 0]);
    expect([...tokenMask(m, 4, 4, 16)]).toEqual([...m]);
  });
});

describe('the bank', () => {
  it('holds entries up to its budget and spills the rest, returning the same numbers either way', () => {
    const spill = mapSpill();
    const bank = new MemoryBank(2 * 32, spill); // each entry: 2 tokens × 4 channels × (k + v) × 4 bytes = 64 B
    bank.put('base', 0, 0, kv(2, 1));
    bank.put('base', 1, 0, kv(2, 2));
    bank.put('base', 2, 0, kv(1, 3));
    expect(bank.report()).toEqual({ entries: 3, recordedBytes: 64 + 64 + 32, residentBytes: 64, peakBytes: 64, spilledBytes: 96 });
    expect(spill.writes).toBe(2);
    expect([...bank.get('base', 1, 0)!.k]).toEqual(new Array(8).fill(2));
    expect([...bank.get('base', 2, 0)!.v]).toEqual(new Array(4).fill(-3));
    expect(spill.reads).toBe(2);
    expect(bank.get('base', 3, 0)).toBeUndefined();
    expect(() => bank.put('base', 0, 0, kv(2, 1))).toThrow(/recorded twice/);
    bank.dispose();
    expect(spill.disposed).toBe(true);
  });

  it('float16 layers are held as half floats: half the bytes, the same numbers back', () => {
    const bank = new MemoryBank(1 << 20, undefined, new Set([1]));
    const x: LayerKV = { k: Float32Array.from([1.5, -2, 0.099975586, 65504]), v: Float32Array.from([0, -0.5, 3, 7]), tokens: 1 };
    bank.put('base', 0, 0, x);
    bank.put('base', 0, 1, x);
    expect(bank.report()).toMatchObject({ recordedBytes: 32 + 16, residentBytes: 48 });
    expect([...bank.get('base', 0, 1)!.k]).toEqual([...x.k]);
    expect([...bank.get('base', 0, 1)!.v]).toEqual([...x.v]);
    expect(bank.get('base', 0, 0)!.k).toBe(x.k);
  });

  it('without a spill store it keeps everything in memory', () => {
    const bank = new MemoryBank(0);
    bank.put('reference', 0, 1, kv(3, 1));
    expect(bank.report()).toMatchObject({ residentBytes: 96, spilledBytes: 0 });
  });
});

describe('memory calls per task', () => {
  const N = 8;
  const settings = (kind: 'move' | 'drag' | 'paste' | 'appearance') => resolveEditSettings(kind, 'fast').memory;

  it('move records the base on the window and injects it in replace mode; outside the window nothing happens', () => {
    const plan = memoryPlan('move', settings('move'), EMOJI, N);
    const bank = new MemoryBank(1 << 20);
    expect(recordCall(plan, bank, 'base', 0)).toBeUndefined();
    expect(recordCall(plan, bank, 'reference', 3)).toBeUndefined();
    const call = recordCall(plan, bank, 'base', 3)!;
    expect(call.record!.layers).toEqual([3, 4, 5, 6]);
    for (const l of call.record!.layers) call.record!.sink(l, kv(4, l));
    expect(injectCall(plan, bank, 0)).toBeUndefined();
    const inj = injectCall(plan, bank, 3)!.inject!;
    expect(inj.map((i) => [i.layer, i.mode, i.reference.k[0], [...i.bias]])).toEqual([3, 4, 5, 6].map((l) => [l, 'replace', l, [0, 0, 0, 0]]));
    expect(() => injectCall(plan, bank, 4)).toThrow(/layer 3 at step 4, was not recorded/);
  });

  it('a move that resizes concatenates the base instead of replacing', () => {
    const plan = memoryPlan('move', settings('move'), EMOJI, N, undefined, true);
    const bank = new MemoryBank(1 << 20);
    const call = recordCall(plan, bank, 'base', 2)!;
    for (const l of call.record!.layers) call.record!.sink(l, kv(4, 1));
    expect(injectCall(plan, bank, 2)!.inject!.every((i) => i.mode === 'concat')).toBe(true);
    expect(memoryPlan('drag', settings('drag'), EMOJI, N, undefined, true).resized).toBe(false);
  });

  it('drag concatenates the base', () => {
    const plan = memoryPlan('drag', settings('drag'), EMOJI, N);
    const bank = new MemoryBank(1 << 20);
    const call = recordCall(plan, bank, 'base', 2)!;
    for (const l of call.record!.layers) call.record!.sink(l, kv(4, 1));
    expect(injectCall(plan, bank, 2)!.inject!.every((i) => i.mode === 'concat')).toBe(true);
  });

  it('paste and appearance record the reference and concatenate only its tokens inside the reference region', () => {
    const region = new Float32Array(16);
    region[0] = 1; // cell (0, 0) of a 4×4 grid
    for (const kind of ['paste', 'appearance'] as const) {
      const plan = memoryPlan(kind, settings(kind), EMOJI, N, { mask: region, width: 4, height: 4 });
      const bank = new MemoryBank(1 << 20);
      expect(recordCall(plan, bank, 'base', 0)).toBeUndefined();
      const call = recordCall(plan, bank, 'reference', 0)!;
      // Two levels: 16 tokens (the grid itself) and 4 (half resolution).
      for (const l of call.record!.layers) call.record!.sink(l, kv(l < 5 ? 4 : 16, 1));
      const inj = injectCall(plan, bank, 0)!.inject!;
      expect(inj.every((i) => i.mode === 'concat')).toBe(true);
      expect([...inj[0].bias]).toEqual([0, -1e4, -1e4, -1e4]);
      expect([...inj[3].bias]).toEqual([0, ...new Array(15).fill(-1e4)]);
    }
    expect(() => memoryPlan('paste', settings('paste'), EMOJI, N)).toThrow(/needs the reference region/);
  });
});
