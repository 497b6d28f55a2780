/**
 * The one engine job the studio runs at a time (a generation, an edit, an upscale, a boundary
 * search or a solver lab measurement): its state in the app store, its progress clock and phase,
 * and cancelling it. Shared by every panel so all show progress, previews and Cancel the same way.
 * No DOM.
 */
import type { ProgressEvent } from '../../../main/api/contract.js';
import type { StudioClient } from '../api/types.js';
import type { AppStore, JobKind } from './app-state.js';
import { JobClock } from './generate/progress.js';

export class Jobs {
  private clock: JobClock | null = null;

  constructor(
    private readonly app: AppStore,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get current() {
    return this.app.getState().job;
  }

  begin(kind: JobKind, id: string, seed: number): void {
    this.clock = new JobClock(this.now());
    this.app.setState({ job: { id, kind, seed, progress: this.clock.snapshot, cancelling: false } });
  }

  /** Apply a progress event of the running job; returns whether it was this job's (and still wanted). */
  progress(p: ProgressEvent): boolean {
    const job = this.app.getState().job;
    if (!job || p.jobId !== job.id || !this.clock) return false;
    const ticked = this.clock.tick(p.step, p.total, this.now());
    // The page's own pace starts at the first event; the engine's (long jobs send one) counts the
    // loading of the model and the calibration set too, so it only fills in until the page has one.
    const engineEta = p.etaMs !== undefined && Number.isFinite(p.etaMs) && p.step < p.total ? Math.max(0, p.etaMs) : null;
    const progress = ticked.etaMs === null && engineEta !== null ? { ...ticked, etaMs: engineEta } : ticked;
    this.app.setState({ job: { ...job, progress, phase: p.phase ?? job.phase } });
    return !job.cancelling;
  }

  /** "An edit is already running; …" when a job runs (null when none does). */
  busy(): string | null {
    const job = this.current;
    return job ? `${JOB_NOUNS[job.kind]} is already running; cancel it or wait for it to finish.` : null;
  }

  /**
   * Whether a new job may start: the engine's client when it can, else null after saying why — the
   * engine cannot be reached (`what` names the job: "Upscaling needs the engine…"), or a job runs.
   */
  ready<C>(client: C | null, what: string, say: (text: string, level: 'warn' | 'error') => void): C | null {
    if (!client) {
      say(`${what} needs the engine, which cannot be reached.`, 'error');
      return null;
    }
    const busy = this.busy();
    if (busy) {
      say(busy, 'warn');
      return null;
    }
    return client;
  }

  /** Cancel was pressed for job `id` (the result, if one still arrives, is dropped). */
  isCancelled(id: string): boolean {
    const job = this.app.getState().job;
    return job?.id === id && job.cancelling;
  }

  end(id: string): void {
    if (this.app.getState().job?.id !== id) return;
    this.app.setState({ job: null });
    this.clock = null;
  }

  /** Cancel the running job; retried briefly in case the engine has not registered it yet. */
  async cancel(client: Pick<StudioClient, 'cancel'> | null, say: (text: string, level?: 'info' | 'error') => void, retryMs = 250): Promise<void> {
    const job = this.app.getState().job;
    if (!job || !client) return;
    this.app.setState({ job: { ...job, cancelling: true } });
    say('Cancelling…');
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const { cancelled } = await client.cancel({ jobId: job.id });
        if (cancelled) return;
      } catch (e) {
        return say(`Could not cancel: ${e instanceof Error ? e.message : String(e)}`, 'error');
      }
      if (this.app.getState().job?.id !== job.id) return;
      await new Promise((r) => setTimeout(r, retryMs));
    }
  }
}

/** Each job kind as the start of a sentence. */
export const JOB_NOUNS: Record<JobKind, string> = {
  generate: 'A generation',
  edit: 'An edit',
  upscale: 'An upscale',
  search: 'A boundary search',
  lab: 'A solver lab measurement',
};
