/**
 * Attention memory in an edit (`memory.ts` holds the bank and the calls; this wires them to the
 * edit's denoisers): the plan for the task, the bank within its budget, the inversion denoisers
 * that record (the base image's, or the reference's for appearance and paste — with the denoiser
 * that evaluates both guidance branches where one is given) and the sampling denoiser that injects,
 * and what the memory held when the edit ends.
 */
import type { Denoiser } from '../samplers/common.js';
import type { EditModels, EditTask } from './edit.js';
import { injectCall, MemoryBank, memoryPlan, recordCall, type MemoryLayerInfo, type MemoryPlan, type MemoryRegion, type MemorySettings, type MemorySource, type MemoryStats } from './memory.js';

export type MemoryModels = EditModels & { recordReference?: Denoiser };

/** What attention memory did in an edit. */
export interface EditMemoryOutcome {
  /** Layer labels recorded and injected. */
  layers: string[];
  /** Steps recorded (each injected while sampling). */
  steps: number;
  /** Bytes recorded per step (all layers and sources). */
  bytesPerStep: number;
  stats: MemoryStats;
}

/** An edit's attention memory: its denoisers, plan, and what it held. */
export interface EditMemory {
  models: MemoryModels;
  /** Absent where the edit runs without memory. */
  plan?: MemoryPlan;
  outcome(): EditMemoryOutcome | undefined;
  dispose(): void;
}

/** The memory of an edit of N steps, where the models support it and the settings enable it. */
export function editMemory(models: EditModels, task: EditTask, N: number, s: MemorySettings): EditMemory {
  const m = models.memory;
  if (!m || !s.enabled) return { models, outcome: () => undefined, dispose: () => undefined };
  const resized = !!task.move && (task.move.scale.x !== 1 || task.move.scale.y !== 1);
  const plan = memoryPlan(task.kind, s, m.layers, N, memoryRegion(task), resized);
  const half = new Set(m.layers.filter((l) => l.dtype === 'float16').map((l) => l.index));
  const bank = new MemoryBank(m.budgetBytes, m.spill, half);
  return {
    models: withMemory(models, plan, bank),
    plan,
    outcome: () => memoryOutcome(plan, bank, m.layers),
    dispose: () => bank.dispose(),
  };
}

/** The denoisers with attention memory: inversion calls record (base, and the reference with its own denoiser); sampling calls inject. */
function withMemory(models: EditModels, plan: MemoryPlan, bank: MemoryBank): MemoryModels {
  const recording = (plain: Denoiser, recorder: Denoiser | undefined, source: MemorySource): Denoiser => (x, sigma, ctx) => {
    const call = ctx && recordCall(plan, bank, source, ctx.step);
    return call ? (recorder ?? plain)(x, sigma, { ...ctx, memory: call }) : plain(x, sigma, ctx);
  };
  const injecting = (d: Denoiser): Denoiser => (x, sigma, ctx) => d(x, sigma, ctx && { ...ctx, memory: injectCall(plan, bank, ctx.step) });
  const m = models.memory;
  return {
    ...models,
    sample: injecting(models.sample),
    invert: recording(models.invert, m?.invert, 'base'),
    recordReference: plan.source === 'reference' ? recording(models.invertReference ?? models.invert, m?.invertReference ?? m?.invert, 'reference') : undefined,
  };
}

/** The reference region of appearance's and paste's masked concatenation. */
function memoryRegion(task: EditTask): MemoryRegion | undefined {
  const rf = task.reference;
  if (!rf || (task.kind !== 'appearance' && task.kind !== 'paste')) return undefined;
  return { mask: rf.region, width: rf.grid.width, height: rf.grid.height };
}

function memoryOutcome(plan: MemoryPlan, bank: MemoryBank, all: readonly MemoryLayerInfo[]): EditMemoryOutcome {
  const stats = bank.report();
  return {
    layers: plan.layers.map((i) => all.find((l) => l.index === i)?.label ?? `layer ${i}`),
    steps: plan.steps.length,
    bytesPerStep: plan.steps.length ? stats.recordedBytes / plan.steps.length : 0,
    stats,
  };
}
