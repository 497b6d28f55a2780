/**
 * The wire protocol between a front door and the engine host: the dispatcher's calls, replies and
 * events (main/api/dispatcher.ts) as plain structured-clone messages (typed arrays travel as they
 * are), plus what only this channel carries — the host's readiness and its watchdog deadlines.
 * The host serves its calls with the same dispatcher as every front door (`serve.ts`).
 */
import type { MethodName, parseParams } from '../api/contract.js';
import type { Backend, EventMessage, ReplyMessage } from '../api/dispatcher.js';

export type { CallMessage, EventMessage, ReplyMessage } from '../api/dispatcher.js';

/** The host asks its parent to stop call `id` (restarting the host) unless it replies within `ms` (a job's watchdog, `limits.ts`). */
export interface DeadlineMessage {
  kind: 'deadline';
  id: number;
  ms: number;
  /** Why, for the error the call fails with (JOB_TIMEOUT). */
  message: string;
}

export type HostMessage = ReplyMessage | EventMessage | DeadlineMessage | { kind: 'ready' };

/** What a handler may tell the caller's side about the call it serves (this protocol's, not the contract's). */
export interface CallContext {
  /** Stop this call — restarting the host — if it has not replied within `ms`; `message` says why. */
  deadline(ms: number, message: string): void;
}

export const NO_CALL_CONTEXT: CallContext = { deadline: () => undefined };

/** What serves the methods: each takes validated parameters (and its call's context) and may emit events. */
export type Handlers = { [M in MethodName]: (params: ReturnType<typeof parseParams<M>>, call: CallContext) => Promise<unknown> };

/** The engine service as the dispatcher's backend: handlers run with their call's context; `subscribe` delivers what they emit. */
export function handlersBackend(handlers: Handlers, subscribe: Backend<CallContext>['subscribe']): Backend<CallContext> {
  return {
    call: (method: MethodName, params: unknown, call: CallContext) => (handlers[method] as (p: unknown, c: CallContext) => Promise<unknown>)(params, call),
    subscribe,
  };
}
