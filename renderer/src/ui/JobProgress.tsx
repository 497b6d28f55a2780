/** A running job's progress bar and its caption, as every panel shows them (a polite live region for screen readers). */
import type { ReactNode } from 'react';

export interface JobProgressProps {
  progress: { step: number; total: number };
  /** The bar's accessible name ("Upscale progress"). */
  label: string;
  caption: ReactNode;
  captionClass?: string;
  /** The job's phase on the caption (`data-phase`), for panels whose caption changes with it. */
  phase?: string;
  id?: string;
  testId?: string;
}

export function JobProgress({ progress, label, caption, captionClass, phase, id, testId }: JobProgressProps) {
  return (
    <div className="progress" role="status" aria-live="polite" data-testid={testId}>
      <progress id={id} value={progress.step} max={Math.max(1, progress.total)} aria-label={label} />
      <span className={captionClass} data-phase={phase}>{caption}</span>
    </div>
  );
}
