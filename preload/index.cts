/**
 * Preload: exposes one small, fixed object, `window.driftline`, to the sandboxed renderer and
 * nothing else — one function per Studio API method (plus the desktop extras), each invoking its
 * own `driftline:<method>` channel, and `on(event, listener)` for the engine's events and the
 * menu's actions. No channel name ever comes from the page, so no other channel can be reached;
 * listeners never see Electron's event object.
 *
 * Sandboxed preloads must be CommonJS and cannot require our own files, hence `.cts` and these
 * lists kept here: test/electron/preload.test.ts fails if they diverge from the contract's
 * METHODS and main/electron/channels.ts.
 */
import electron = require('electron');

const PREFIX = 'driftline:';
const METHOD_NAMES = ['listSamplers', 'listModels', 'inspectModel', 'importModel', 'removeModel', 'downloadModel', 'generate', 'edit', 'upscale', 'bcSearch', 'getBoundary', 'solverLab', 'getSolverTable', 'galleryList', 'galleryGet', 'galleryThumbnails', 'galleryDelete', 'cancel', 'saveFile', 'openImage', 'startDrag', 'showInFolder'] as const;
const ENGINE_EVENTS = ['onProgress', 'onDownloadProgress'] as const;
const EVENT_CHANNEL = PREFIX + 'event';
const MENU_CHANNEL = PREFIX + 'menu';

type Listener = (payload: unknown) => void;

const { contextBridge, ipcRenderer } = electron;
const api: Record<string, unknown> = {};

for (const method of METHOD_NAMES) {
  // Replies are `{ ok, value | error }` envelopes; the renderer's client unwraps them.
  api[method] = (params?: unknown) => ipcRenderer.invoke(PREFIX + method, params ?? {});
}

// One IPC listener per channel, fanned out here (the page may subscribe many times).
type Subscriber = { event: string; listener: Listener };
const subscribers = new Map<string, Set<Subscriber>>();

function subscribe(channel: string, event: string, listener: Listener): () => void {
  let set = subscribers.get(channel);
  if (!set) {
    const subs = (set = new Set());
    subscribers.set(channel, subs);
    // The event object (its sender, ports …) stays here; the page gets the payload only.
    ipcRenderer.on(channel, (_event: unknown, first: unknown, payload: unknown) => {
      for (const s of [...subs]) {
        if (channel === MENU_CHANNEL) s.listener(first);
        else if (s.event === first) s.listener(payload);
      }
    });
  }
  const sub: Subscriber = { event, listener };
  set.add(sub);
  return () => void set.delete(sub);
}

api.on = (event: unknown, listener: unknown): (() => void) => {
  if (typeof listener !== 'function') throw new TypeError('driftline.on: the listener must be a function');
  if (event === 'menu') return subscribe(MENU_CHANNEL, 'menu', listener as Listener);
  if ((ENGINE_EVENTS as readonly unknown[]).includes(event)) return subscribe(EVENT_CHANNEL, event as string, listener as Listener);
  throw new Error(`driftline.on: unknown event "${String(event)}"`);
};

contextBridge.exposeInMainWorld('driftline', Object.freeze(api));
