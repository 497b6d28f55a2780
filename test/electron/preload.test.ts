// Loads the compiled preload (`npm run build:node` first; `npm test` does) with a fake electron
// module, and checks that it exposes exactly the contract and nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BRIDGE_METHODS, ENGINE_EVENTS, EVENT_CHANNEL, MENU_CHANNEL } from '../../main/electron/channels.js';
import { METHOD_NAMES } from '../../renderer/src/api/methods.js';
import { METHODS } from '../../main/api/contract.js';
import { DESKTOP_METHODS } from '../../main/api/desktop.js';

type Handler = (event: unknown, ...args: unknown[]) => void;
const require = createRequire(import.meta.url);
const preloadPath = fileURLToPath(new URL('../../out/preload/index.cjs', import.meta.url));

const exposed: Record<string, unknown> = {};
const invoked: [string, unknown][] = [];
const listeners = new Map<string, Set<Handler>>();
const fakeElectron = {
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void (exposed[key] = api) },
  ipcRenderer: {
    invoke: async (channel: string, params: unknown) => (invoked.push([channel, params]), { ok: true, value: channel }),
    on: (channel: string, l: Handler) => void (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)!).add(l),
    removeListener: (channel: string, l: Handler) => void listeners.get(channel)?.delete(l),
  },
};
const emit = (channel: string, ...args: unknown[]) => listeners.get(channel)?.forEach((l) => l({ sender: 'secret', ports: [] }, ...args));

beforeAll(() => {
  // The preload requires 'electron'; hand it the fake through the module cache.
  const electronId = require.resolve('electron');
  require.cache[electronId] = { id: electronId, filename: electronId, loaded: true, exports: fakeElectron } as never;
  delete require.cache[preloadPath];
  require(preloadPath);
});
afterAll(() => {
  delete require.cache[require.resolve('electron')];
  delete require.cache[preloadPath];
});

describe('preload', () => {
  it('exposes one frozen object: every contract method, the desktop extras and on — nothing else', () => {
    expect(Object.keys(exposed)).toEqual(['driftline']);
    const api = exposed.driftline as Record<string, unknown>;
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual([...BRIDGE_METHODS, 'on'].sort());
    expect(Object.values(api).every((v) => typeof v === 'function')).toBe(true);
  });

  it('keeps its method lists in step with the contract (and the renderer its own)', () => {
    const contract = [...Object.keys(METHODS), ...Object.keys(DESKTOP_METHODS)];
    expect([...BRIDGE_METHODS]).toEqual(contract);
    expect([...METHOD_NAMES]).toEqual(contract);
    // The desktop extras, by name: dialogs, the native file drag and revealing a gallery image.
    expect(contract.slice(-4)).toEqual(['saveFile', 'openImage', 'startDrag', 'showInFolder']);
  });

  it('invokes only driftline:<method> channels', async () => {
    const api = exposed.driftline as Record<string, (p?: unknown) => Promise<unknown>>;
    invoked.length = 0;
    for (const m of BRIDGE_METHODS) expect(await api[m]({ a: 1 })).toEqual({ ok: true, value: `driftline:${m}` });
    await api.listModels();
    expect(invoked.map(([c]) => c)).toEqual([...BRIDGE_METHODS.map((m) => `driftline:${m}`), 'driftline:listModels']);
    expect(invoked.at(-1)![1]).toEqual({});
    // Bytes cross as they are (structured clone does the rest).
    const png = new Uint8Array([0x89, 0x50]);
    await api.startDrag({ name: 'a.png', bytes: png });
    expect(invoked.at(-1)).toEqual(['driftline:startDrag', { name: 'a.png', bytes: png }]);
  });

  it('on(): engine events and menu actions only, without Electron\'s event object, and unsubscribes', () => {
    const on = (exposed.driftline as { on: (e: string, l: (p: unknown) => void) => () => void }).on;
    const got: unknown[][] = [];
    const offs = [...ENGINE_EVENTS, 'menu'].map((e) => on(e, (...args) => got.push([e, ...args])));
    emit(EVENT_CHANNEL, 'onProgress', { step: 1 });
    emit(EVENT_CHANNEL, 'onDownloadProgress', { bytesDone: 2 });
    emit(MENU_CHANNEL, 'undo');
    emit(MENU_CHANNEL, 'zoomToFit');
    expect(got).toEqual([['onProgress', { step: 1 }], ['onDownloadProgress', { bytesDone: 2 }], ['menu', 'undo'], ['menu', 'zoomToFit']]);
    offs.forEach((off) => off());
    emit(EVENT_CHANNEL, 'onProgress', { step: 2 });
    emit(MENU_CHANNEL, 'redo');
    expect(got).toHaveLength(4);
    // Many subscriptions share one IPC listener per channel.
    on('onProgress', () => undefined);
    on('onProgress', () => undefined);
    expect([...listeners.keys()].sort()).toEqual([EVENT_CHANNEL, MENU_CHANNEL]);
    expect([...listeners.values()].map((s) => s.size)).toEqual([1, 1]);
    for (const bad of ['driftline:event', 'event', 'message', '__proto__', 'toString']) expect(() => on(bad, () => undefined)).toThrow(/unknown event/);
    expect(() => on('onProgress', 'not a function' as never)).toThrow(/function/);
    expect(listeners.has('message')).toBe(false);
  });
});
