/**
 * When a step is long, and what the progress caption says then. The engine checks for a cancel
 * between model calls and cannot interrupt one (onnxruntime-node runs it synchronously and does
 * not read `RunOptions.terminate`), so while a step runs long the user is told that a cancel takes
 * effect when it ends. A step is long once it has run `LONG_STEP_MS`, or — sooner — three times
 * the pace of the steps before it (never under `MIN_UNEXPECTED_MS`, so fast steps do not flicker).
 * Pure: the caller passes the time now, on the same clock as the snapshot.
 */
import type { ProgressSnapshot } from '../generate/progress.js';

/** A step that has run this long is long, whatever the pace before it. */
export const LONG_STEP_MS = 3000;
/** A step this many times slower than the steps before it is long too… */
export const UNEXPECTED_FACTOR = 3;
/** …once it has run at least this long. */
export const MIN_UNEXPECTED_MS = 1000;

/**
 * `LONG_STEP_MS`, or the page address's `longStepMs` (100 … 60,000) — for a studio on a machine
 * where steps are always slow, and for tests that need a step to count as long whatever the
 * machine's speed.
 */
export function longStepMsFrom(search: string): number {
  const v = Number(new URLSearchParams(search).get('longStepMs'));
  return Number.isFinite(v) && v >= 100 && v <= 60_000 ? v : LONG_STEP_MS;
}

/** How long the running step has to run before it counts as long, given the pace so far. */
export function longStepThreshold(perStepMs: number | null, longMs = LONG_STEP_MS): number {
  if (perStepMs === null || !Number.isFinite(perStepMs)) return longMs;
  return Math.min(longMs, Math.max(MIN_UNEXPECTED_MS, UNEXPECTED_FACTOR * perStepMs));
}

/**
 * The note for a step that runs long ("Step 8 is taking long (5 s) — a cancel takes effect when
 * it ends"), or null: before the first step is reported, after the last, or while the step is
 * still within its threshold.
 */
export function longStepNote(p: Pick<ProgressSnapshot, 'step' | 'total' | 'perStepMs' | 'stepStartedAt'>, now: number, cancelling = false, longMs = LONG_STEP_MS): string | null {
  if (p.stepStartedAt === undefined || p.total <= 0 || p.step >= p.total) return null;
  const running = now - p.stepStartedAt;
  if (running < longStepThreshold(p.perStepMs, longMs)) return null;
  const step = p.step + 1;
  const secs = `${Math.floor(running / 1000)} s`;
  return cancelling
    ? `Cancelling — step ${step} is still running (${secs}); the engine stops when it ends`
    : `Step ${step} is taking long (${secs}) — a cancel takes effect when it ends`;
}
