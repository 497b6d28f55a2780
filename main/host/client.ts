/**
 * The parent side: starts the engine host as a Node child process and gives a typed `StudioApi`.
 * If the host dies (a crash in native inference), every call in flight fails with
 * `ENGINE_CRASHED` and the next call starts a fresh host — no front-door state is lost.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ApiError, METHODS, type EventName, type MethodName, type Params, type Result, type StudioApi, type StudioEvents } from '../api/contract.js';
import type { HostMessage } from './protocol.js';

export interface EngineClientOptions {
  /** The host entry script (defaults to the compiled `entry.js` beside this file). */
  entry?: string;
  /** Extra environment for the host. */
  env?: NodeJS.ProcessEnv;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class EngineClient {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<EventName, Set<(p: unknown) => void>>();
  /** How many times the host has been (re)started. */
  starts = 0;

  constructor(private readonly opts: EngineClientOptions = {}) {}

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const entry = this.opts.entry ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'entry.js');
    const child = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...this.opts.env } });
    this.child = child;
    this.starts++;
    this.ready = new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.on('message', (m: HostMessage) => {
        if (m.kind === 'ready') resolve();
        else if (m.kind === 'reply') {
          const p = this.pending.get(m.id);
          if (!p) return;
          this.pending.delete(m.id);
          if (m.ok) p.resolve(m.value);
          else p.reject(new ApiError(m.error.code, m.error.message));
        } else if (m.kind === 'event') {
          for (const l of this.listeners.get(m.name) ?? []) l(m.payload);
        }
      });
      child.once('exit', (code, signal) => {
        reject(new ApiError('ENGINE_CRASHED', `the engine host exited before it was ready (${signal ?? code})`));
        if (this.child !== child) return;
        this.child = undefined;
        this.ready = undefined;
        const err = new ApiError('ENGINE_CRASHED', `the engine stopped unexpectedly (${signal ?? `exit code ${code}`}); it will restart on the next request`);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
    });
    return this.ready;
  }

  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    await this.start();
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child!.send({ kind: 'call', id, method, params });
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

  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.ready = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill();
    });
  }
}
