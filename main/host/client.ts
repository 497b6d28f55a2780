/**
 * The parent side of the engine host: `EngineChannel` turns "a process that takes and sends
 * structured-clone messages and can exit" into a typed `StudioApi`. If the host dies (a crash in
 * native inference), every call in flight fails with `ENGINE_CRASHED` and the next call starts a
 * fresh host — no front-door state is lost.
 *
 * A call the host gives a deadline (a job's watchdog, `limits.ts`) and that has not replied by then
 * is stuck inside a native model call: the channel fails it with `JOB_TIMEOUT` and stops the host,
 * the one way to stop such a call; the next call starts a fresh host.
 *
 * Two small launchers give it a process: `EngineClient` forks a Node child (CLI, browser mode,
 * tests); Electron's main process passes a utilityProcess launcher (main/electron/engine.ts).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ApiError, METHODS, type EventName, type MethodName, type Params, type Result, type StudioApi, type StudioEvents } from '../api/contract.js';
import type { CallMessage, HostMessage } from './protocol.js';

/** One running engine host, as the channel sees it. */
export interface HostConnection {
  send(message: CallMessage): void;
  onMessage(listener: (message: HostMessage) => void): void;
  /** Called once when the process is gone (or failed to start), with a short reason ("exit code 3", "SIGKILL"). */
  onExit(listener: (reason: string) => void): void;
  /** Stop it; resolves once it has exited. */
  kill(): Promise<void>;
}

/** Starts a fresh engine host. */
export type HostLauncher = () => HostConnection;

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; deadline?: NodeJS.Timeout };

/** The longest delay a Node timer takes (a larger one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class EngineChannel {
  private host: HostConnection | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<EventName, Set<(p: unknown) => void>>();
  /** How many times the host has been (re)started. */
  starts = 0;

  constructor(private readonly launch: HostLauncher) {}

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const host = this.launch();
    this.host = host;
    this.starts++;
    this.ready = new Promise<void>((resolve, reject) => {
      host.onMessage((m) => {
        if (m.kind === 'ready') resolve();
        else if (m.kind === 'reply') {
          const p = this.pending.get(m.id);
          if (!p) return;
          this.pending.delete(m.id);
          clearTimeout(p.deadline);
          if (m.ok) p.resolve(m.value);
          else p.reject(new ApiError(m.error.code, m.error.message));
        } else if (m.kind === 'event') {
          for (const l of this.listeners.get(m.name) ?? []) l(m.payload);
        } else if (m.kind === 'deadline') {
          this.armDeadline(host, m.id, m.ms, m.message);
        }
      });
      host.onExit((reason) => {
        // Not the current host any more: close() stopped it on purpose.
        if (this.host !== host) return reject(new ApiError('ENGINE_STOPPED', 'the engine was shut down'));
        reject(new ApiError('ENGINE_CRASHED', `the engine host exited before it was ready (${reason})`));
        this.host = undefined;
        this.ready = undefined;
        this.failPending(new ApiError('ENGINE_CRASHED', `the engine stopped unexpectedly (${reason}); it will restart on the next request`));
      });
    });
    return this.ready;
  }

  private failPending(err: ApiError): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const p of calls) {
      clearTimeout(p.deadline);
      p.reject(err);
    }
  }

  /**
   * Call `id` must reply within `ms`: else it fails with JOB_TIMEOUT and the host is stopped (a
   * synchronous native call cannot be interrupted any other way); calls waiting behind it fail with
   * ENGINE_CRASHED, and the next call starts a fresh host.
   */
  private armDeadline(host: HostConnection, id: number, ms: number, message: string): void {
    const p = this.pending.get(id);
    if (!p || !(ms >= 0) || ms > MAX_TIMER_MS) return;
    clearTimeout(p.deadline);
    p.deadline = setTimeout(() => {
      if (this.host !== host || this.pending.get(id) !== p) return;
      this.pending.delete(id);
      p.reject(new ApiError('JOB_TIMEOUT', message));
      this.host = undefined;
      this.ready = undefined;
      this.failPending(new ApiError('ENGINE_CRASHED', 'the engine was restarted to stop a job that ran past its time budget; run this again'));
      void host.kill();
    }, ms);
  }

  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    await this.start();
    const host = this.host;
    if (!host) throw new ApiError('ENGINE_CRASHED', 'the engine stopped unexpectedly; it will restart on the next request');
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        host.send({ kind: 'call', id, method, params });
      } catch (e) {
        // Not cloneable (a function, a DOM object …): nothing was sent.
        this.pending.delete(id);
        reject(new ApiError('BAD_REQUEST', `could not send the ${method} request: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  }

  on<E extends EventName>(event: E, listener: (payload: StudioEvents[E]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener as (p: unknown) => void);
    this.listeners.set(event, set);
    return () => set.delete(listener as (p: unknown) => void);
  }

  /** The contract as an object of methods, for code that wants `api.generate(…)`. */
  api(): StudioApi {
    const api = { on: this.on.bind(this) } as Record<string, unknown>;
    for (const m of Object.keys(METHODS) as MethodName[]) api[m] = (p: Params<typeof m>) => this.call(m, p);
    return api as unknown as StudioApi;
  }

  /** Stop the host; calls still in flight fail with `ENGINE_STOPPED`. A later call starts a new host. */
  async close(): Promise<void> {
    const host = this.host;
    this.host = undefined;
    this.ready = undefined;
    this.failPending(new ApiError('ENGINE_STOPPED', 'the engine was shut down'));
    if (host) await host.kill();
  }
}

export interface EngineClientOptions {
  /** The host entry script (defaults to the compiled `entry.js` beside this file). */
  entry?: string;
  /** Extra environment for the host. */
  env?: NodeJS.ProcessEnv;
}

/** Launch the engine host as a Node child process (structured clones over the IPC channel). */
export function nodeHostLauncher(opts: EngineClientOptions = {}): HostLauncher {
  return () => {
    const entry = opts.entry ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'entry.js');
    const child = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...opts.env } });
    let gone = false;
    const exitListeners: ((reason: string) => void)[] = [];
    const exited = (reason: string) => {
      if (gone) return;
      gone = true;
      for (const l of exitListeners) l(reason);
    };
    child.once('exit', (code, signal) => exited(signal ?? `exit code ${code}`));
    // A failed spawn emits 'error' and no 'exit'; a failed send (channel already closed) emits
    // 'error' too — the 'exit' that follows reports it.
    child.on('error', (e) => {
      if (child.pid === undefined) exited(`could not start: ${e.message}`);
    });
    return {
      send: (m) => void child.send(m),
      onMessage: (l) => void child.on('message', l as (m: unknown) => void),
      onExit: (l) => void exitListeners.push(l),
      kill: () =>
        gone || child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              child.once('exit', () => resolve());
              child.kill();
            }),
    };
  };
}

/** The engine host as a Node child process: the CLI's, browser mode's and the tests' channel. */
export class EngineClient extends EngineChannel {
  constructor(opts: EngineClientOptions = {}) {
    super(nodeHostLauncher(opts));
  }
}
