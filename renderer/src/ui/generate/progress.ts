/**
 * Progress and ETA of a generation. The rate is measured from the first progress event, so model
 * loading (before step 1) does not inflate the estimate. Pure.
 */

export interface ProgressSnapshot {
  step: number;
  total: number;
  /** 0 … 1. */
  fraction: number;
  /** Milliseconds per step once two events have arrived, else null. */
  perStepMs: number | null;
  /** Estimated milliseconds left, or null while unknown. */
  etaMs: number | null;
  /** Since the job started. */
  elapsedMs: number;
  /** When the step now running began (the last progress event, on the clock's timeline); absent before any. */
  stepStartedAt?: number;
}

export class JobClock {
  private first: { step: number; at: number } | null = null;
  private last: ProgressSnapshot;

  constructor(private readonly startedAt: number, total = 0) {
    this.last = { step: 0, total, fraction: 0, perStepMs: null, etaMs: null, elapsedMs: 0 };
  }

  tick(step: number, total: number, now: number): ProgressSnapshot {
    if (!this.first || step < this.first.step) this.first = { step, at: now };
    const done = step - this.first.step;
    const perStepMs = done > 0 ? (now - this.first.at) / done : null;
    const left = Math.max(0, total - step);
    this.last = {
      step,
      total,
      fraction: total > 0 ? Math.min(1, Math.max(0, step / total)) : 0,
      perStepMs,
      etaMs: perStepMs === null ? null : left * perStepMs,
      elapsedMs: now - this.startedAt,
      stepStartedAt: now,
    };
    return this.last;
  }

  get snapshot(): ProgressSnapshot {
    return this.last;
  }
}

/** "4 s", "1 min 05 s", "2 h 03 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** The progress bar's caption: "Step 7 / 20 · 3 s left". */
export function progressCaption(p: ProgressSnapshot): string {
  if (p.total === 0) return 'Loading the model…';
  const eta = p.etaMs === null ? 'estimating…' : `${formatDuration(p.etaMs)} left`;
  return p.step >= p.total ? `Step ${p.step} / ${p.total} · encoding` : `Step ${p.step} / ${p.total} · ${eta}`;
}
