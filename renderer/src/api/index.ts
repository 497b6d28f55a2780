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
  const g = globalThis as unknown as { driftline?: unknown; location?: { href: string } };
  if (isBridge(g.driftline)) return createBridgeClient(g.driftline);
  const url = opts.url ?? (g.location ? apiUrlFor(g.location.href) : undefined);
  if (!url) throw new StudioError('UNSUPPORTED', 'no preload bridge and no page address: cannot reach the Studio API');
  return createSocketClient({ files: browserFiles(), ...opts, url });
}
