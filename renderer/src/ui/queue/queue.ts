/**
 * The generation queue: Generate pressed while a job runs waits here, in order, with the settings
 * it was pressed with; the user can reorder or remove waiting ones. One job runs at a time (the
 * engine runs one anyway): whenever the studio's job ends — done, failed or cancelled — the first
 * waiting generation starts. Each runs on what is under the frame when it starts, not when it was
 * pressed: a result that grows the canvas left or up shifts the document, and the frame with it,
 * so a rectangle remembered at the press could point at the wrong pixels by then. No DOM; its own
 * store, which the Generate panel draws.
 */
import { createStore } from 'zustand/vanilla';
import type { AppStore } from '../app-state.js';
import type { GenerateSettings } from '../generate/settings.js';
import type { StudioModule } from '../module.js';

export interface QueuedGeneration {
  id: string;
  /** The Generate panel's settings when Generate was pressed. */
  settings: GenerateSettings;
}

export interface QueueState {
  /** Waiting generations, the next to run first. */
  waiting: QueuedGeneration[];
}

export interface QueueHost {
  readonly app: Pick<AppStore, 'getState' | 'subscribe'>;
  /** Run one generation; resolves when it has landed, failed or been cancelled. */
  run(settings: GenerateSettings): Promise<void>;
  /** Defer a start until the ending job has finished tidying up (the page: a microtask). */
  defer?: (f: () => void) => void;
}

let counter = 0;

export class GenerationQueue implements StudioModule {
  readonly store = createStore<QueueState>()(() => ({ waiting: [] }));
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly host: QueueHost) {}

  initialize(): void {
    this.unsubscribe = this.host.app.subscribe((s, prev) => {
      if (prev.job && !s.job) this.schedule();
    });
  }

  destroy(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  get waiting(): readonly QueuedGeneration[] {
    return this.store.getState().waiting;
  }

  /** Whether a generation pressed now must wait: a job runs, or others wait already. */
  get mustWait(): boolean {
    return !!this.host.app.getState().job || this.waiting.length > 0;
  }

  /** Put a generation at the end of the queue (it starts at once when nothing runs); returns its id. */
  add(settings: GenerateSettings): string {
    const id = `queued-${++counter}`;
    this.store.setState({ waiting: [...this.waiting, { id, settings }] });
    this.schedule();
    return id;
  }

  /** Move a waiting generation to position `to` (clamped); returns whether it was waiting. */
  move(id: string, to: number): boolean {
    const list = [...this.waiting];
    const from = list.findIndex((q) => q.id === id);
    if (from < 0) return false;
    const [item] = list.splice(from, 1);
    list.splice(Math.max(0, Math.min(list.length, to)), 0, item);
    this.store.setState({ waiting: list });
    return true;
  }

  /** Move a waiting generation one place earlier (-1) or later (+1). */
  shift(id: string, by: -1 | 1): boolean {
    const at = this.waiting.findIndex((q) => q.id === id);
    return at >= 0 && this.move(id, at + by);
  }

  /** Take a waiting generation out of the queue (it never runs); returns whether it was waiting. */
  remove(id: string): boolean {
    const list = this.waiting.filter((q) => q.id !== id);
    if (list.length === this.waiting.length) return false;
    this.store.setState({ waiting: list });
    return true;
  }

  clear(): void {
    this.store.setState({ waiting: [] });
  }

  private schedule(): void {
    (this.host.defer ?? queueMicrotask)(() => this.pump());
  }

  /** Start the first waiting generation when no job runs. */
  private pump(): void {
    if (this.host.app.getState().job) return;
    const [next, ...rest] = this.waiting;
    if (!next) return;
    this.store.setState({ waiting: rest });
    let run: Promise<void>;
    try {
      run = this.host.run(next.settings);
    } catch {
      run = Promise.resolve();
    }
    // The run becomes the studio's job synchronously when it starts at all; one refused at once
    // (invalid settings, no engine) leaves no job, so the next is tried when it has settled.
    if (!this.host.app.getState().job) void run.finally(() => this.schedule());
  }
}
