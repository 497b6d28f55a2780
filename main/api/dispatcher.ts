/**
 * The one dispatcher of the Studio API, served over every transport — the engine host's child
 * process channel, Electron's IPC and browser mode's WebSocket — the way VS Code's `ChannelServer`
 * serves every `IMessagePassingProtocol` (src/vs/base/parts/ipc/common/ipc.ts).
 *
 * A transport decodes its frames and hands the dispatcher a *connection* per peer (a child
 * process, a window, a socket). For each call the dispatcher:
 *  1. validates the envelope `{ kind: 'call', id, method, params }` (a missing `params` is `{}`);
 *  2. checks the method is the contract's (or one of the transport's extras, e.g. the desktop's
 *     file dialogs) and validates its parameters against the contract's schema;
 *  3. gives jobs to the connection that started them: a job id already running is DUPLICATE_JOB,
 *     only its connection may cancel it (another's `cancel` learns nothing: `{ cancelled: false }`),
 *     its events (`payload.jobId`) go to that connection only, and closing the connection cancels
 *     what it still runs — events of no job (downloads) go to every connection;
 *  4. runs the call on the backend and answers `{ kind: 'reply', id, ok, value | error }`, where
 *     an error is always a named code and a message meant for the user (`toErrorShape`).
 * It never throws: whatever a peer sends, the reply is a result or a named error.
 *
 * The backend is the engine service itself (inside the engine host) or a client of the engine
 * host (in the front doors); the host serves one front door and needs no job ownership
 * (`ownJobs: false`), the front doors serve many peers and do.
 */
import { z } from 'zod';
import { ApiError, EVENT_NAMES, isMethod, parseParams, type ApiErrorShape, type EventName, type MethodName, type Params, type Result, type StudioEvents } from './contract.js';

export const CallMessage = z.object({
  kind: z.literal('call'),
  id: z.number().int().nonnegative(),
  method: z.string().max(64),
  /** May be left out by a method that takes none (read as `{}`); zod 4 would otherwise require the key. */
  params: z.unknown().optional(),
});
export type CallMessage = z.infer<typeof CallMessage>;

export type ReplyMessage =
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: ApiErrorShape };

export interface EventMessage {
  kind: 'event';
  name: EventName;
  payload: unknown;
}

/** Turn any thrown value into the error shape that crosses the boundary. */
export function toErrorShape(e: unknown): ApiErrorShape {
  if (e instanceof ApiError) return { code: e.code, message: e.message };
  if (e instanceof Error && e.name === 'AbortError') return { code: 'CANCELLED', message: 'the job was cancelled' };
  const code = e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string' ? (e as { code: string }).code : 'ENGINE_ERROR';
  return { code, message: e instanceof Error ? e.message : String(e) };
}

/** The reply to a message that is not a call at all (a transport's frame that would not decode). */
export function malformed(id: number, what = 'malformed message'): ReplyMessage {
  return { kind: 'reply', id, ok: false, error: { code: 'BAD_REQUEST', message: what } };
}

/** What runs validated calls: the engine service, or a client of the engine host. */
export interface Backend<X> {
  /** Run a call whose parameters the contract has validated. `extra` is what the transport gave the call. */
  call(method: MethodName, params: unknown, extra: X): Promise<unknown>;
  /** The backend's events, for the dispatcher to route. */
  subscribe(listener: (name: EventName, payload: unknown) => void): () => void;
}

/** A client of the engine host (EngineClient, or the desktop's utility-process channel). */
export interface ApiClient {
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  on<E extends EventName>(event: E, listener: (payload: StudioEvents[E]) => void): () => void;
}

/** A front door's backend: calls go to the engine host, its events come back for routing. */
export function clientBackend<X = void>(client: ApiClient): Backend<X> {
  return {
    call: (method, params) => client.call(method, params as Params<typeof method>),
    subscribe: (listener) => {
      const offs = EVENT_NAMES.map((name) => client.on(name, (payload) => listener(name, payload)));
      return () => {
        for (const off of offs) off();
      };
    },
  };
}

/** A method a transport serves besides the Studio API's (the desktop's dialogs), with its schema. */
export interface ExtraMethod<P, X> {
  params: z.ZodType;
  run(params: unknown, peer: P, extra: X): Promise<unknown>;
}

export interface DispatcherOptions<P, X> {
  backend: Backend<X>;
  extras?: Readonly<Record<string, ExtraMethod<P, X>>>;
  /** Jobs belong to the connection that started them (front doors); false inside the engine host. */
  ownJobs?: boolean;
}

export interface Connection<X> {
  /** Validate and run one incoming message; resolves to its reply, never rejects. */
  call(message: unknown, extra: X): Promise<ReplyMessage>;
  /** The peer went away: cancel the jobs it still runs; no more events reach it. */
  close(): void;
}

const jobIdOf = (params: unknown): string | undefined => {
  const id = params && typeof params === 'object' ? (params as { jobId?: unknown }).jobId : undefined;
  return typeof id === 'string' ? id : undefined;
};

export class Dispatcher<P = void, X = void> {
  private readonly peers = new Set<Peer<P, X>>();
  private readonly owners = new Map<string, Peer<P, X>>();
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: DispatcherOptions<P, X>) {
    this.unsubscribe = opts.backend.subscribe((name, payload) => this.route(name, payload));
  }

  /** A new peer; `send` delivers the events meant for it. */
  connect(send: (event: EventMessage) => void, peer: P): Connection<X> {
    const p = new Peer<P, X>(this, send, peer);
    this.peers.add(p);
    return p;
  }

  /** Stop routing the backend's events (the transport is shutting down). */
  dispose(): void {
    this.unsubscribe();
    for (const p of [...this.peers]) p.close();
  }

  /** @internal */
  async run(from: Peer<P, X>, message: unknown, extra: X): Promise<ReplyMessage> {
    const env = CallMessage.safeParse(message);
    if (!env.success) {
      const id = message && typeof message === 'object' ? (message as { id?: unknown }).id : undefined;
      return malformed(typeof id === 'number' && Number.isSafeInteger(id) ? id : -1, 'malformed message: expected { kind: "call", id, method, params }');
    }
    const { id, method, params } = env.data;
    try {
      return { kind: 'reply', id, ok: true, value: await this.invoke(from, method, params, extra) };
    } catch (e) {
      return { kind: 'reply', id, ok: false, error: toErrorShape(e) };
    }
  }

  private async invoke(from: Peer<P, X>, method: string, params: unknown, extra: X): Promise<unknown> {
    const extraMethod = this.opts.extras && Object.prototype.hasOwnProperty.call(this.opts.extras, method) ? this.opts.extras[method] : undefined;
    if (extraMethod) {
      const r = extraMethod.params.safeParse(params ?? {});
      if (!r.success) throw new ApiError('BAD_REQUEST', `invalid ${method} request — ${r.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ')}`);
      return extraMethod.run(r.data, from.peer, extra);
    }
    if (!isMethod(method)) throw new ApiError('UNKNOWN_METHOD', `unknown method "${method}"`);
    const parsed = parseParams(method, params);
    const jobId = jobIdOf(parsed);
    if (!this.opts.ownJobs || jobId === undefined) return this.opts.backend.call(method, parsed, extra);
    if (method === 'cancel') {
      // Another connection's job is not this one's to cancel, nor to learn about.
      return this.owners.get(jobId) === from ? this.opts.backend.call(method, parsed, extra) : { cancelled: false };
    }
    if (this.owners.has(jobId)) throw new ApiError('DUPLICATE_JOB', `a job with id "${jobId}" is already running`);
    this.owners.set(jobId, from);
    try {
      return await this.opts.backend.call(method, parsed, extra);
    } finally {
      if (this.owners.get(jobId) === from) this.owners.delete(jobId);
    }
  }

  /** @internal */
  drop(p: Peer<P, X>): void {
    if (!this.peers.delete(p)) return;
    for (const [jobId, owner] of [...this.owners]) {
      if (owner !== p) continue;
      this.owners.delete(jobId);
      void this.opts.backend.call('cancel', { jobId }, undefined as X).catch(() => undefined);
    }
  }

  /** A job's events reach its own connection only; events of no job reach every connection. */
  private route(name: EventName, payload: unknown): void {
    if (!(EVENT_NAMES as readonly string[]).includes(name)) return;
    const jobId = this.opts.ownJobs ? jobIdOf(payload) : undefined;
    const to = jobId === undefined ? [...this.peers] : [this.owners.get(jobId)].filter((p): p is Peer<P, X> => p !== undefined);
    for (const p of to) p.deliver({ kind: 'event', name, payload });
  }
}

class Peer<P, X> implements Connection<X> {
  private open = true;

  constructor(private readonly dispatcher: Dispatcher<P, X>, private readonly send: (event: EventMessage) => void, readonly peer: P) {}

  call(message: unknown, extra: X): Promise<ReplyMessage> {
    return this.dispatcher.run(this, message, extra);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.dispatcher.drop(this);
  }

  deliver(event: EventMessage): void {
    if (!this.open) return;
    try {
      this.send(event);
    } catch {
      // A peer that cannot take an event (a closing socket, a destroyed window) loses it; others still get theirs.
    }
  }
}
