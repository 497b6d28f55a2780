/**
 * What the Upscale and Boundary search panels say, in words: which starting noise an upscale
 * used, progress captions by phase, and the failures. Pure.
 */
import type { BcMode, BoundaryUse } from '../../../../main/api/contract.js';
import { formatDuration, type ProgressSnapshot } from '../generate/progress.js';

/** "2026-12-06" of an ISO date (locale-free; the raw text when it is not a date). */
export function formatDay(iso: string | undefined): string {
  if (!iso) return 'an unknown date';
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 10) : iso;
}

/** Which boundary condition an upscale started from, for the status line and the gallery. */
export function boundaryText(b: BoundaryUse, asked: { bc: BcMode; seed: number }): string {
  if (b.source === 'searched') {
    const on = b.calibration ? ` on ${b.calibration}` : '';
    return `searched boundary condition (${b.metric ?? 'metric unknown'}, ${formatDay(b.searchedOn)}${on})`;
  }
  return asked.bc === 'auto'
    ? `random boundary condition (seed ${asked.seed}; no search is stored for this model, sampler and steps)`
    : `random boundary condition (seed ${asked.seed})`;
}

/** The short form for a gallery line: "BC searched (ssim)" / "BC random". */
export function boundaryShort(b: BoundaryUse): string {
  return b.source === 'searched' ? `BC searched${b.metric ? ` (${b.metric})` : ''}` : 'BC random';
}

/** The progress caption of an upscale or a search: the phase, then the count and the time left. */
export function srProgressCaption(phase: 'invert' | 'sample' | 'search' | undefined, p: ProgressSnapshot): string {
  if (p.total === 0) return 'Loading the model…';
  const searching = phase === 'search';
  const what = searching ? `Searching · ${p.step} / ${p.total} image evaluations` : `Upscaling · step ${p.step} / ${p.total}`;
  if (p.step >= p.total) return `${what} · finishing`;
  return `${what} · ${p.etaMs === null ? 'estimating…' : `${formatDuration(p.etaMs)} left`}`;
}

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
}

export function isCancelled(e: unknown): boolean {
  return errorCode(e) === 'CANCELLED';
}

const FAILED_JOBS = { upscale: 'upscale', search: 'boundary search', lab: 'solver lab measurement' } as const;

/** The status line's words for a failed upscale, boundary search or solver lab measurement. */
export function srFailure(e: unknown, what: keyof typeof FAILED_JOBS, unchanged: string): string {
  const msg = e instanceof Error ? e.message : String(e);
  const job = FAILED_JOBS[what];
  switch (errorCode(e)) {
    case 'BAD_REQUEST':
      return `The engine could not run this ${job}: ${msg}. ${unchanged}`;
    case 'MODEL_CANNOT_UPSCALE':
    case 'UNKNOWN_SAMPLER':
      return `${msg}. ${unchanged}`;
    case 'ENGINE_CRASHED':
      return `The engine stopped during the ${job} and is restarting: ${msg}. ${unchanged} Try again.`;
    case 'DISCONNECTED':
    case 'CLOSED':
      return `The connection to the engine was lost during the ${job}: ${msg}. ${unchanged}`;
    default:
      return `The ${job} failed: ${msg}. ${unchanged}`;
  }
}
