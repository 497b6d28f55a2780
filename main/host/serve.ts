/** Run a set of handlers as the engine host: announce readiness, dispatch calls, forward events. */
import type { EventName } from '../api/contract.js';
import { dispatch, type Handlers } from './protocol.js';
import { hostPort } from './transport.js';

export type Emit = (name: EventName, payload: unknown) => void;

export function runHost(makeHandlers: (emit: Emit) => Handlers): void {
  const port = hostPort();
  const handlers = makeHandlers((name, payload) => port.send({ kind: 'event', name, payload }));
  port.onMessage((m) => {
    void dispatch(handlers, m, (id) => ({ deadline: (ms, message) => port.send({ kind: 'deadline', id, ms, message }) })).then((reply) => reply && port.send(reply));
  });
  port.send({ kind: 'ready' });
}
