/** Run a set of handlers as the engine host: announce readiness, serve calls through the one dispatcher, forward events. */
import type { EventName } from '../api/contract.js';
import { Dispatcher } from '../api/dispatcher.js';
import { handlersBackend, NO_CALL_CONTEXT, type CallContext, type Handlers } from './protocol.js';
import { hostPort } from './transport.js';

export type Emit = (name: EventName, payload: unknown) => void;

export function runHost(makeHandlers: (emit: Emit) => Handlers): void {
  const port = hostPort();
  const listeners = new Set<(name: EventName, payload: unknown) => void>();
  const handlers = makeHandlers((name, payload) => {
    for (const l of listeners) l(name, payload);
  });
  // The host serves one peer, the front door's client; jobs are owned there, per window or socket.
  const dispatcher = new Dispatcher<void, CallContext>({
    backend: handlersBackend(handlers, (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    }),
  });
  const connection = dispatcher.connect((event) => port.send(event), undefined);
  port.onMessage((m) => {
    const id = m && typeof m === 'object' ? (m as { id?: unknown }).id : undefined;
    // A call may ask its parent to stop it (restarting the host) if it outlives its time budget.
    const context: CallContext = typeof id === 'number' && Number.isSafeInteger(id) && id >= 0
      ? { deadline: (ms, message) => port.send({ kind: 'deadline', id, ms, message }) }
      : NO_CALL_CONTEXT;
    void connection.call(m, context).then((reply) => port.send(reply));
  });
  port.send({ kind: 'ready' });
}
