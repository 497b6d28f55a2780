/**
 * A running job's progress bar and its caption, as every panel shows them (a polite live region
 * for screen readers). While a step runs long it says so, and that a cancel waits for the step.
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { ProgressSnapshot } from './generate/progress.js';
import { longStepMsFrom, longStepNote } from './progress/long-step.js';

/** How often the long-step note is re-read while a job runs. */
const TICK_MS = 100;
/** When a step counts as long (the page address may say; see `longStepMsFrom`). */
const LONG_STEP = longStepMsFrom(globalThis.location?.search ?? '');

export interface JobProgressProps {
  progress: Pick<ProgressSnapshot, 'step' | 'total'> & Partial<Pick<ProgressSnapshot, 'perStepMs' | 'stepStartedAt'>>;
  /** The bar's accessible name ("Upscale progress"). */
  label: string;
  caption: ReactNode;
  captionClass?: string;
  /** The job's phase on the caption (`data-phase`), for panels whose caption changes with it. */
  phase?: string;
  id?: string;
  testId?: string;
  /** Cancel was pressed: the long-step note says the engine stops when the step ends. */
  cancelling?: boolean;
}

/** `performance.now()`, re-read every `TICK_MS` while `running`. */
function useNow(running: boolean): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(performance.now()), TICK_MS);
    return () => clearInterval(timer);
  }, [running]);
  return now;
}

export function JobProgress({ progress, label, caption, captionClass, phase, id, testId, cancelling }: JobProgressProps) {
  const now = useNow(progress.total > 0 && progress.step < progress.total);
  const note = longStepNote({ perStepMs: null, ...progress }, now, cancelling, LONG_STEP);
  return (
    <div className="progress" role="status" aria-live="polite" data-testid={testId}>
      <progress id={id} value={progress.step} max={Math.max(1, progress.total)} aria-label={label} />
      <span className={captionClass} data-phase={phase}>{caption}</span>
      {note && <span className="long-step" data-testid="long-step">{note}</span>}
    </div>
  );
}
