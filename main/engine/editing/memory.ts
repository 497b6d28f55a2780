/**
 * The memory bank of attention memory for editing (DragonDiffusion and DiffEditor, Mou et al. 2023,
 * 2024, §3.2 "memory bank"; MasaCtrl's mutual self-attention, Cao et al. 2023): the keys and values
 * of the UNet's self-attention layers are recorded while the source is inverted (conditional
 * branch, one entry per step and layer) and attended to while the edit is sampled, so the edited
 * object keeps its identity. Per task, following DiffEditor's pipelines:
 * - move: the edit's queries attend to the source's K, V instead of their own (replace); a move that
 *   resizes concatenates [own ‖ source] instead — replaced, the queries at the new scale attend only
 *   to keys recorded at the old one, which measured worse than no memory on an enlargement (colour
 *   statistics distance 0.24 vs 0.10), concatenated 0.13, with plain moves better replaced (0.11 vs
 *   0.23 concatenated on the blue square; `bench:memory`, two seeds);
 * - drag: to [own ‖ source] (concatenate);
 * - appearance, paste: to [own ‖ reference tokens inside the reference region] — a masked
 *   concatenation, made by an additive key bias (0 takes part, −1e4 does not) on the reference
 *   keys. DiffEditor's own pipelines replace instead, with [base tokens outside the base region ‖
 *   reference tokens inside the reference region]; measured on the synthetic scenes of
 *   `bench:memory` that pulled the edited region towards the background (appearance: colour
 *   statistics distance 2.78 against 0.53 without memory), while the concatenation kept what the
 *   region's own tokens carry and improved on no memory (0.48).
 * Injection runs on a window of steps: from an early step on for move and drag (DiffEditor: i ≥ 5
 * of 50), over the first 70 % for appearance and paste (0 ≤ i ≤ 35 of 50). Only the sources, steps
 * and layers used are recorded (the base image for move and drag, the reference for appearance and
 * paste); entries past the byte budget go to a spill store (disk, supplied by the caller).
 *
 * Everything here is data: the network calls carry it as `MemoryCall`s (samplers/common.ts).
 */
import type { LayerInjection, LayerKV, MemoryCall } from '../samplers/common.js';
import { stepAt, type EditTaskKind } from './presets.js';
import { float16ToFloat32, float32ToFloat16 } from '../fp16.js';

export interface MemorySettings {
  enabled: boolean;
  /** decoder: the `up_blocks` self-attention layers DiffEditor records (all layers where none is labelled so); all: every layer. */
  layers: 'decoder' | 'all';
  /** Steps (fractions of the step count) injected, inclusive. */
  window: [number, number];
}

/** A self-attention layer as the bank needs it (the pack's attention-memory map). */
export interface MemoryLayerInfo {
  index: number;
  label: string;
  channels: number | null;
  valueChannels: number | null;
  /** float16 layers' keys and values are kept as half floats (they came out of the model as such: exact). */
  dtype?: 'float32' | 'float16';
}

/** Where entries over the budget go: written once, read on every injected step, dropped at the end. */
export interface SpillStore {
  write(key: string, kv: LayerKV): void;
  read(key: string): LayerKV;
  dispose(): void;
}

export type MemorySource = 'base' | 'reference';

/** The layers a setting takes: DiffEditor's decoder layers (`up_blocks…`), or all of them where none is labelled so. */
export function memoryLayers(layers: readonly MemoryLayerInfo[], which: MemorySettings['layers']): number[] {
  const decoder = layers.filter((l) => /(^|\.)up_blocks\./.test(l.label));
  return (which === 'decoder' && decoder.length ? decoder : layers).map((l) => l.index);
}

/** The steps a setting injects on (and so records), for N steps. */
export function memorySteps(s: MemorySettings, N: number): number[] {
  const [a, b] = [stepAt(s.window[0], N), stepAt(s.window[1], N)];
  const out: number[] = [];
  for (let k = a; k <= b; k++) out.push(k);
  return out;
}

/** What the bank holds and held. */
export interface MemoryStats {
  entries: number;
  /** Bytes recorded in all (resident and spilled). */
  recordedBytes: number;
  /** Bytes held in memory now, the most held at once, and bytes written to the spill store. */
  residentBytes: number;
  peakBytes: number;
  spilledBytes: number;
}

/** An entry as held: float32, or float16 bit patterns for half-float layers. */
interface Held {
  k: Float32Array | Uint16Array;
  v: Float32Array | Uint16Array;
  tokens: number;
  rows?: number;
}

const bytesOf = (h: Held): number => h.k.byteLength + h.v.byteLength;

/**
 * Recorded K, V per (source, step, layer), in memory up to `budgetBytes`, past it in the spill
 * store. Layers in `halfLayers` are held as float16 (half the bytes; exact for a float16 model,
 * whose keys and values are float16 to begin with).
 */
export class MemoryBank {
  private readonly resident = new Map<string, Held>();
  private readonly spilled = new Set<string>();
  private readonly stats: MemoryStats = { entries: 0, recordedBytes: 0, residentBytes: 0, peakBytes: 0, spilledBytes: 0 };

  constructor(private readonly budgetBytes: number, private readonly spill?: SpillStore, private readonly halfLayers: ReadonlySet<number> = new Set()) {}

  static key(source: MemorySource, step: number, layer: number): string {
    return `${source}.${step}.${layer}`;
  }

  put(source: MemorySource, step: number, layer: number, kv: LayerKV): void {
    const key = MemoryBank.key(source, step, layer);
    if (this.resident.has(key) || this.spilled.has(key)) throw new Error(`attention memory ${key} was recorded twice`);
    const held: Held = this.halfLayers.has(layer) ? { k: float32ToFloat16(kv.k), v: float32ToFloat16(kv.v), tokens: kv.tokens, rows: kv.rows } : { k: kv.k, v: kv.v, tokens: kv.tokens, rows: kv.rows };
    const bytes = bytesOf(held);
    this.stats.entries++;
    this.stats.recordedBytes += bytes;
    if (this.spill && this.stats.residentBytes + bytes > this.budgetBytes) {
      this.spill.write(key, kv);
      this.spilled.add(key);
      this.stats.spilledBytes += bytesOf(kv);
      return;
    }
    this.resident.set(key, held);
    this.stats.residentBytes += bytes;
    this.stats.peakBytes = Math.max(this.stats.peakBytes, this.stats.residentBytes);
  }

  get(source: MemorySource, step: number, layer: number): LayerKV | undefined {
    const key = MemoryBank.key(source, step, layer);
    const h = this.resident.get(key);
    if (h) return h.k instanceof Uint16Array ? { k: float16ToFloat32(h.k), v: float16ToFloat32(h.v as Uint16Array), tokens: h.tokens, rows: h.rows } : (h as LayerKV);
    return this.spilled.has(key) ? this.spill!.read(key) : undefined;
  }

  report(): MemoryStats {
    return { ...this.stats };
  }

  dispose(): void {
    this.resident.clear();
    this.spilled.clear();
    this.stats.residentBytes = 0;
    this.spill?.dispose();
  }
}

/** The side of a token grid: the power-of-two factor f with ⌈w/f⌉·⌈h/f⌉ = tokens (a UNet level's resolution). */
export function tokenGrid(tokens: number, width: number, height: number): { width: number; height: number; factor: number } {
  for (let f = 1; f <= 1 << 12; f *= 2) {
    const w = Math.ceil(width / f), h = Math.ceil(height / f);
    if (w * h === tokens) return { width: w, height: h, factor: f };
    if (w * h < tokens) break;
  }
  throw new RangeError(`an attention layer has ${tokens} tokens, which is no level of a ${width}x${height} grid`);
}

/** 1 for tokens whose f×f cells touch the mask (≥ 0.5), else 0. */
export function tokenMask(mask: Float32Array, width: number, height: number, tokens: number): Float32Array {
  const g = tokenGrid(tokens, width, height);
  const out = new Float32Array(tokens);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (mask[y * width + x] >= 0.5) out[Math.floor(y / g.factor) * g.width + Math.floor(x / g.factor)] = 1;
  }
  return out;
}

/** The reference region on its grid, for the masked concatenation of appearance and paste. */
export interface MemoryRegion {
  mask: Float32Array;
  width: number;
  height: number;
}

/** Everything one edit needs to record and inject. */
export interface MemoryPlan {
  kind: EditTaskKind;
  layers: number[];
  steps: number[];
  /** The source recorded: the base image for move and drag, the reference for appearance and paste. */
  source: MemorySource;
  region?: MemoryRegion;
  /** A move that resizes: concatenated, not replaced (see the module docstring). */
  resized?: boolean;
}

export function memoryPlan(kind: EditTaskKind, s: MemorySettings, layers: readonly MemoryLayerInfo[], N: number, region?: MemoryRegion, resized = false): MemoryPlan {
  const fromReference = kind === 'appearance' || kind === 'paste';
  if (fromReference && !region) throw new RangeError(`a ${kind} edit's attention memory needs the reference region`);
  return { kind, layers: memoryLayers(layers, s.layers), steps: memorySteps(s, N), source: fromReference ? 'reference' : 'base', region, resized: kind === 'move' && resized };
}

/** The memory call that records `source`'s K, V at `step` into the bank (none where the plan does not use the step). */
export function recordCall(plan: MemoryPlan, bank: MemoryBank, source: MemorySource, step: number): MemoryCall | undefined {
  if (!plan.steps.includes(step) || source !== plan.source) return undefined;
  return { record: { layers: plan.layers, sink: (layer, kv) => bank.put(source, step, layer, kv) } };
}

const OUT = -1e4;

/** The memory call that injects the bank's entries at `step` as the task wants them (none outside the window). */
export function injectCall(plan: MemoryPlan, bank: MemoryBank, step: number): MemoryCall | undefined {
  if (!plan.steps.includes(step)) return undefined;
  const inject: LayerInjection[] = [];
  for (const layer of plan.layers) {
    const kv = bank.get(plan.source, step, layer);
    if (!kv) throw new Error(`attention memory of the ${plan.source} image, layer ${layer} at step ${step}, was not recorded`);
    if (plan.region) {
      const inside = tokenMask(plan.region.mask, plan.region.width, plan.region.height, kv.tokens);
      inject.push({ layer, mode: 'concat', reference: kv, bias: inside.map((v) => (v ? 0 : OUT)) });
    } else {
      inject.push({ layer, mode: plan.kind === 'move' && !plan.resized ? 'replace' : 'concat', reference: kv, bias: new Float32Array(kv.tokens) });
    }
  }
  return { inject };
}
