/**
 * The wire protocol between a front door and the engine host: calls, replies and events as plain
 * structured-clone messages (typed arrays travel as they are). The envelope is validated on
 * arrival; the parameters are then validated per method by the contract's schemas.
 */
import { z } from 'zod';
import { ApiError, isMethod, parseParams, type ApiErrorShape, type EventName, type MethodName } from '../api/contract.js';

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

/** Turn any thrown value into the error shape that crosses the boundary. */
export function toErrorShape(e: unknown): ApiErrorShape {
  if (e instanceof ApiError) return { code: e.code, message: e.message };
  if (e instanceof Error && e.name === 'AbortError') return { code: 'CANCELLED', message: 'the job was cancelled' };
  const code = e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string' ? (e as { code: string }).code : 'ENGINE_ERROR';
  return { code, message: e instanceof Error ? e.message : String(e) };
}

/** Handle one incoming message: validate, dispatch, and produce the reply (never throws). `context` gives each call its CallContext. */
export async function dispatch(handlers: Handlers, raw: unknown, context: (id: number) => CallContext = () => NO_CALL_CONTEXT): Promise<ReplyMessage | undefined> {
  const env = CallMessage.safeParse(raw);
  if (!env.success) {
    const id = raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'number' ? (raw as { id: number }).id : -1;
    return { kind: 'reply', id, ok: false, error: { code: 'BAD_REQUEST', message: 'malformed message: expected { kind: "call", id, method, params }' } };
  }
  const { id, method, params } = env.data;
  try {
    if (!isMethod(method)) throw new ApiError('UNKNOWN_METHOD', `unknown method "${method}"`);
    const parsed = parseParams(method, params);
    const value = await (handlers[method] as (p: unknown, call: CallContext) => Promise<unknown>)(parsed, context(id));
    return { kind: 'reply', id, ok: true, value };
  } catch (e) {
    return { kind: 'reply', id, ok: false, error: toErrorShape(e) };
  }
}
