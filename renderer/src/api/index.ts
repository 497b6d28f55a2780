/**
 * The renderer's typed Studio API client — the same object for both front doors:
 * in Electron it wraps the preload's `window.driftline`; in a browser it opens a WebSocket to
 * `/api` on the page's own origin (with the page's `?token=`).
 *
 *   const studio = createStudioClient();
 *   const off = studio.on('onProgress', (p) => …);
 *   const result = await studio.generate({ jobId, model, prompt, steps: 20, cfgScale: 7, seed: 1 });
 *
 * Failures are StudioError { code, message }: the engine's codes (BAD_REQUEST, CANCELLED,
 * ENGINE_CRASHED …) and the connection's own (DISCONNECTED, CLOSED, IPC_ERROR, UNSUPPORTED).
 */
import { createBridgeClient, isBridge } from './bridge-client.js';
import { browserFiles } from './browser-files.js';
import { apiUrlFor, createSocketClient, type SocketClientOptions } from './socket-client.js';
import { StudioError, type StudioClient } from './types.js';

export { StudioError, apiUrlFor, createBridgeClient, createSocketClient, isBridge, browserFiles };
export type { ConnectionState, DriftlineBridge, Envelope, MenuAction, OpenedImage, SaveFileRequest, SaveFileResult, StudioClient } from './types.js';
export type { SocketClientOptions, WebSocketConstructor, WebSocketLike } from './socket-client.js';

export function createStudioClient(opts: Partial<SocketClientOptions> = {}): StudioClient {
  const g = globalThis as unknown as { driftline?: unknown; location?: { href: string }; history?: AddressHistory };
  if (isBridge(g.driftline)) return createBridgeClient(g.driftline);
  const url = opts.url ?? (g.location ? apiUrlFor(g.location.href) : undefined);
  if (!url) throw new StudioError('UNSUPPORTED', 'no preload bridge and no page address: cannot reach the Studio API');
  if (g.location && g.history) dropTokenFromAddress(g.location.href, g.history);
  return createSocketClient({ files: browserFiles(), ...opts, url });
}

export interface AddressHistory {
  replaceState(data: unknown, unused: string, url: string): void;
}

/**
 * Take the access token out of the address bar once the socket's address holds it: an address is
 * shown, bookmarked, shared and synced; the server gave the page an HttpOnly cookie with the token
 * when it served it, so reloading the bare address still works. Returns the address left.
 */
export function dropTokenFromAddress(href: string, history: AddressHistory): string {
  const page = new URL(href);
  if (!page.searchParams.has('token')) return href;
  page.searchParams.delete('token');
  history.replaceState(null, '', page.href);
  return page.href;
}
