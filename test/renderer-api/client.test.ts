// The renderer's Studio API client against the real browser-mode server and the fake engine host
// (`npm run build:node` first; `npm test` does), with the `ws` package as the page's WebSocket.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fileURLToPath } from 'node:url';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { EngineClient } from '../../main/host/client.js';
import { startWebServer, type WebServer } from '../../main/web/server.js';
import { apiUrlFor, createBridgeClient, dropTokenFromAddress, createSocketClient, createStudioClient, isBridge, StudioError, type ConnectionState, type DriftlineBridge, type StudioClient } from '../../renderer/src/api/index.js';
import { METHOD_NAMES } from '../../renderer/src/api/methods.js';

const entry = fileURLToPath(new URL('../host/fake-host.mjs', import.meta.url));
const base = { model: 'm', prompt: 'a cat', steps: 3, cfgScale: 7, seed: 5 };
const servers: WebServer[] = [];
const clients: StudioClient[] = [];
let engine: EngineClient | undefined;

afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  for (const s of servers.splice(0)) await s.close();
  await engine?.close();
  engine = undefined;
  vi.unstubAllGlobals();
});

async function serve(opts: { host?: string; port?: number } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'driftline-client-'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>Driftline Studio</title>');
  engine ??= new EngineClient({ entry });
  const s = await startWebServer({ port: 0, ...opts, staticDir: dir, engine });
  servers.push(s);
  return s;
}

function client(pageUrl: string, opts: { minRetryMs?: number } = {}): StudioClient {
  vi.stubGlobal('WebSocket', WebSocket);
  const c = createStudioClient({ url: apiUrlFor(pageUrl), minRetryMs: opts.minRetryMs ?? 20, maxRetryMs: 100, connectTimeoutMs: 2000 });
  clients.push(c);
  return c;
}

const until = (c: StudioClient, state: ConnectionState) =>
  new Promise<void>((resolve) => {
    if (c.state === state) return resolve();
    const off = c.onConnection((s) => s === state && (off(), resolve()));
  });

describe('the API socket address', () => {
  it('is /api on the page origin, ws or wss, with the page token carried over', () => {
    expect(apiUrlFor('http://127.0.0.1:7860/')).toBe('ws://127.0.0.1:7860/api');
    expect(apiUrlFor('https://gpu.example:8443/studio/?token=abc&x=1')).toBe('wss://gpu.example:8443/api?token=abc');
    expect(apiUrlFor('http://[::1]:7860/index.html#x')).toBe('ws://[::1]:7860/api');
  });
});

describe('browser mode client', () => {
  it('calls the contract over the socket: results, bytes both ways, progress events', async () => {
    const s = await serve();
    const c = client(s.url);
    expect(c.mode).toBe('browser');
    const steps: number[] = [];
    const off = c.on('onProgress', (p) => steps.push(p.step));
    const r = await c.generate({ ...base, jobId: 'b1', init: { image: new Uint8Array([9, 8, 7]), strength: 0.5 } });
    expect(r.images[0].png).toBeInstanceOf(Uint8Array);
    expect(Array.from(r.images[0].png)).toEqual([1, 2, 3]);
    expect(steps).toEqual([1, 2, 3]);
    off();
    await c.generate({ ...base, jobId: 'b2' });
    expect(steps).toHaveLength(3);
    expect(await c.listSamplers({})).toEqual([expect.objectContaining({ name: 'euler' })]);
    expect(c.state).toBe('open');
  });

  it('turns failures into StudioError { code, message }', async () => {
    const s = await serve();
    const c = client(s.url);
    const bad = await c.generate({ ...base, jobId: 'x', steps: 0 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(StudioError);
    expect(bad).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/steps/) });
    await expect(c.inspectModel({ model: 'm' })).rejects.toMatchObject({ code: 'ENGINE_ERROR', message: 'not in the fake host' });
    await expect(c.generate({ ...base, jobId: 'c', prompt: 'crash' })).rejects.toMatchObject({ code: 'ENGINE_CRASHED' });
    expect((await c.generate({ ...base, jobId: 'after' })).jobId).toBe('after');
  });

  it('cancels a running job from the same client', async () => {
    const s = await serve();
    const c = client(s.url);
    const first = new Promise((r) => c.on('onProgress', r));
    const job = c.generate({ ...base, jobId: 'long', steps: 500 });
    await first;
    expect(await c.cancel({ jobId: 'long' })).toEqual({ cancelled: true });
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('carries the page token beyond loopback; a wrong token fails clearly', async () => {
    const s = await serve({ host: '0.0.0.0' });
    expect((await client(s.url).listModels({}))).toEqual([]);
    const wrong = client(s.url.replace(s.token!, 'x'.repeat(s.token!.length)));
    await expect(wrong.listModels({})).rejects.toMatchObject({ code: 'DISCONNECTED', message: expect.stringMatching(/token/) });
  });

  it('fails calls in flight when the connection drops, then reconnects by itself', async () => {
    const s = await serve();
    const port = Number(new URL(s.url).port);
    const c = client(s.url);
    const states: ConnectionState[] = [];
    c.onConnection((st) => states.push(st));
    const first = new Promise((r) => c.on('onProgress', r));
    const job = c.generate({ ...base, jobId: 'long', steps: 500 });
    await first;
    const failed = expect(job).rejects.toMatchObject({ code: 'DISCONNECTED', message: expect.stringMatching(/generate/) });
    await s.close();
    servers.splice(0);
    await failed;
    await until(c, 'reconnecting');
    // While the server is gone, a call fails instead of hanging.
    await expect(c.listSamplers({})).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await serve({ port });
    await until(c, 'open');
    expect(await c.listSamplers({})).toHaveLength(1);
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('open');
  });

  it('close() fails calls in flight and stops reconnecting', async () => {
    const s = await serve();
    const c = client(s.url);
    const first = new Promise((r) => c.on('onProgress', r));
    const job = c.generate({ ...base, jobId: 'long', steps: 500 });
    await first;
    const failed = expect(job).rejects.toMatchObject({ code: 'CLOSED' });
    c.close();
    await failed;
    await until(c, 'closed');
    await expect(c.listModels({})).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('finds /api from the page address when no URL is given', async () => {
    const s = await serve({ host: '0.0.0.0' });
    vi.stubGlobal('WebSocket', WebSocket);
    vi.stubGlobal('location', { href: s.url });
    const c = createStudioClient();
    clients.push(c);
    expect(await c.listModels({})).toEqual([]);
  });

  it('without a browser, the desktop extras say so', async () => {
    const s = await serve();
    vi.stubGlobal('WebSocket', WebSocket);
    const c = createSocketClient({ url: apiUrlFor(s.url) });
    clients.push(c);
    await expect(c.saveFile({ suggestedName: 'a.png', bytes: new Uint8Array([1]) })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    const d = createStudioClient({ url: apiUrlFor(s.url) });
    clients.push(d);
    await expect(d.openImage({})).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    // Browser mode drags files out with DownloadURL; the native drag is Electron's only.
    await expect(d.startDrag({ name: 'a.png', bytes: new Uint8Array([0x89]) })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});

describe('Electron client', () => {
  function fakeBridge() {
    const listeners: [string, (p: unknown) => void][] = [];
    const calls: [string, unknown][] = [];
    const bridge: Record<string, unknown> = {
      on: (event: string, l: (p: unknown) => void) => (listeners.push([event, l]), () => void listeners.splice(listeners.findIndex(([, x]) => x === l), 1)),
    };
    for (const m of METHOD_NAMES) {
      bridge[m] = async (params: unknown) => {
        calls.push([m, params]);
        if (m === 'removeModel') return { ok: false, error: { code: 'NOT_FOUND', message: 'no model named "x"' } };
        if (m === 'importModel') throw new Error("Error invoking remote method 'driftline:importModel': no handler");
        if (m === 'cancel') return 'not an envelope';
        return { ok: true, value: { method: m } };
      };
    }
    return { bridge: bridge as unknown as DriftlineBridge, listeners, calls };
  }

  it('is chosen when the preload bridge is there, and unwraps its envelopes', async () => {
    const { bridge, calls } = fakeBridge();
    vi.stubGlobal('driftline', bridge);
    const c = createStudioClient();
    expect(c.mode).toBe('electron');
    expect(c.state).toBe('open');
    expect(await c.listModels({})).toEqual({ method: 'listModels' });
    expect(await c.saveFile({ suggestedName: 'a.png', bytes: new Uint8Array([1]) })).toEqual({ method: 'saveFile' });
    expect(await c.startDrag({ name: 'a.png', bytes: new Uint8Array([0x89]) })).toEqual({ method: 'startDrag' });
    expect(calls.at(-1)).toEqual(['startDrag', { name: 'a.png', bytes: new Uint8Array([0x89]) }]);
    await expect(c.removeModel({ name: 'x' })).rejects.toEqual(new StudioError('NOT_FOUND', 'no model named "x"'));
    await expect(c.removeModel({ name: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(c.importModel({ path: '/a' })).rejects.toMatchObject({ code: 'IPC_ERROR', message: expect.stringMatching(/no handler/) });
    await expect(c.cancel({ jobId: 'j' })).rejects.toMatchObject({ code: 'IPC_ERROR' });
    expect(calls[0]).toEqual(['listModels', {}]);
  });

  it('routes engine events and menu actions through the bridge', () => {
    const { bridge, listeners } = fakeBridge();
    const c = createBridgeClient(bridge);
    const got: unknown[] = [];
    const off = c.on('onProgress', (p) => got.push(p));
    const offMenu = c.onMenu((a) => got.push(a));
    expect(listeners.map(([e]) => e)).toEqual(['onProgress', 'menu']);
    listeners[0][1]({ step: 1 });
    listeners[1][1]('exportPng');
    expect(got).toEqual([{ step: 1 }, 'exportPng']);
    off();
    offMenu();
    expect(listeners).toHaveLength(0);
  });

  it('recognises only a complete bridge', () => {
    expect(isBridge(fakeBridge().bridge)).toBe(true);
    expect(isBridge({ shell: 'electron' })).toBe(false);
    expect(isBridge(undefined)).toBe(false);
    const { on: _on, ...noOn } = fakeBridge().bridge as unknown as Record<string, unknown>;
    expect(isBridge(noOn)).toBe(false);
  });
});

describe('the access token in the address bar', () => {
  it('is dropped once the socket address holds it, leaving the rest of the address', () => {
    const calls: string[] = [];
    const history = { replaceState: (_d: unknown, _u: string, url: string) => void calls.push(url) };
    const href = 'http://192.168.1.5:7860/?token=abc123&x=1#top';
    expect(apiUrlFor(href)).toBe('ws://192.168.1.5:7860/api?token=abc123');
    expect(dropTokenFromAddress(href, history)).toBe('http://192.168.1.5:7860/?x=1#top');
    expect(calls).toEqual(['http://192.168.1.5:7860/?x=1#top']);
    expect(dropTokenFromAddress('http://127.0.0.1:7860/', history)).toBe('http://127.0.0.1:7860/');
    expect(calls, 'nothing to drop: the address is left alone').toHaveLength(1);
  });
});
