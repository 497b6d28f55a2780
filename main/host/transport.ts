/**
 * The host side of the channel: Electron's utilityProcess gives `process.parentPort`; a Node
 * child process (CLI, browser mode, tests) gives `process.send`. Both carry structured clones.
 */
import type { HostMessage } from './protocol.js';

export interface HostPort {
  send(message: HostMessage): void;
  onMessage(listener: (message: unknown) => void): void;
}

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

export function hostPort(): HostPort {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return { send: (m) => parentPort.postMessage(m), onMessage: (l) => parentPort.on('message', (e) => l(e.data)) };
  }
  if (process.send) {
    return { send: (m) => void process.send!(m), onMessage: (l) => void process.on('message', l) };
  }
  throw new Error('the engine host must be started as a child process (fork) or an Electron utility process');
}
