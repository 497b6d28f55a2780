import { afterEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiError, METHODS } from '../../main/api/contract.js';
import { BRIDGE_METHODS, EVENT_CHANNEL, methodChannel } from '../../main/electron/channels.js';
import { DESKTOP_METHODS } from '../../main/api/desktop.js';
import { wireStudioIpc, type DesktopHandlers, type EngineLike, type InvokeEventLike } from '../../main/electron/ipc.js';
import { createDesktopHandlers, sanitizeDragName, withExtension, type NativeImageLike } from '../../main/electron/desktop.js';
import { createUtilityEngine, ENGINE_SERVICE_NAME, type UtilityProcessModule } from '../../main/electron/engine.js';
import type { EngineChannel } from '../../main/host/client.js';

const fakeHost = fileURLToPath(new URL('../host/fake-host.mjs', import.meta.url));
const app: InvokeEventLike = { senderFrame: { url: 'driftline://app/index.html' } };
const base = { model: 'm', prompt: 'a cat', steps: 3, cfgScale: 7, seed: 5 };

/** ipcMain as far as the wiring sees it. */
function fakeIpcMain() {
  const handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  return {
    handlers,
    handle: (channel: string, l: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, l);
    },
    removeHandler: (channel: string) => void handlers.delete(channel),
    invoke: (channel: string, params: unknown, event: InvokeEventLike = app) => handlers.get(channel)!(event, params) as Promise<any>,
  };
}

function fakeEngine() {
  const calls: [string, unknown][] = [];
  const events = new EventEmitter();
  const engine: EngineLike = {
    call: async (method, params) => {
      calls.push([method, params]);
      if (method === 'removeModel') throw new ApiError('NOT_FOUND', 'no model named "x"');
      if (method === 'importModel') throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
      return { echoed: method } as never;
    },
    on: (event, listener) => {
      events.on(event, listener);
      return () => void events.off(event, listener);
    },
  };
  return { engine, calls, events };
}

const noDesktop: DesktopHandlers = { saveFile: async () => ({ saved: false }), openImage: async () => null, startDrag: async () => null, showInFolder: async () => null };

function wire(engine: EngineLike, desktop = noDesktop) {
  const ipc = fakeIpcMain();
  const sent: unknown[][] = [];
  const to: unknown[] = [];
  const gone = new Map<unknown, () => void>();
  const unwire = wireStudioIpc({
    ipcMain: ipc, engine, desktop,
    send: (sender, ...a) => { to.push(sender); sent.push(a); },
    whenGone: (sender, g) => void gone.set(sender, g),
    isTrustedSender: (e) => e.senderFrame?.url.startsWith('driftline://app/') ?? false,
  });
  return { ipc, sent, to, gone, unwire };
}

describe('IPC wiring', () => {
  it('registers one driftline: channel per contract method and desktop extra, and removes them again', () => {
    const { ipc, unwire } = wire(fakeEngine().engine);
    expect([...ipc.handlers.keys()].sort()).toEqual([...Object.keys(METHODS), ...Object.keys(DESKTOP_METHODS)].map((m) => `driftline:${m}`).sort());
    expect(BRIDGE_METHODS.map(methodChannel)).toEqual([...ipc.handlers.keys()]);
    unwire();
    expect(ipc.handlers.size).toBe(0);
  });

  it('validates parameters before anything reaches the engine', async () => {
    const { engine, calls } = fakeEngine();
    const { ipc } = wire(engine);
    expect(await ipc.invoke('driftline:generate', { ...base, jobId: 'j', steps: 0 })).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/steps/) } });
    expect(await ipc.invoke('driftline:listModels', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await ipc.invoke('driftline:cancel', 'not an object')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(calls).toEqual([]);
    // Valid calls cross with the schema's defaults filled in and unknown keys stripped.
    expect(await ipc.invoke('driftline:generate', { ...base, jobId: 'j', smuggled: 'x' })).toEqual({ ok: true, value: { echoed: 'generate' } });
    expect(calls[0][1]).toMatchObject({ jobId: 'j', sampler: 'pack', batch: 1 });
    expect(calls[0][1]).not.toHaveProperty('smuggled');
    expect(await ipc.invoke('driftline:listSamplers', undefined)).toEqual({ ok: true, value: { echoed: 'listSamplers' } });
  });

  it('refuses callers that are not the studio page', async () => {
    const { engine, calls } = fakeEngine();
    const { ipc } = wire(engine);
    for (const event of [{ senderFrame: { url: 'https://evil.example/' } }, { senderFrame: null }, {}]) {
      expect(await ipc.invoke('driftline:listSamplers', {}, event)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect(calls).toEqual([]);
  });

  it('carries errors as { code, message }', async () => {
    const { ipc } = wire(fakeEngine().engine);
    expect(await ipc.invoke('driftline:removeModel', { name: 'x' })).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'no model named "x"' } });
    expect(await ipc.invoke('driftline:importModel', { path: '/a' })).toEqual({ ok: false, error: { code: 'ENOSPC', message: 'disk full' } });
  });

  it('gives each window its own jobs: progress to that window only, cancel by it only, cancelled when it closes; downloads to every window', async () => {
    const { engine, events, calls } = fakeEngine();
    let finish: (v: unknown) => void = () => undefined;
    const held: EngineLike = {
      ...engine,
      call: (async (method: string, params: unknown) => {
        if (method !== 'generate') return engine.call(method as never, params as never);
        calls.push([method, params]);
        return new Promise<unknown>((r) => { finish = r; });
      }) as EngineLike['call'],
    };
    const { ipc, sent, to, gone, unwire } = wire(held);
    const winA = { ...app, sender: 'window-a' }, winB = { ...app, sender: 'window-b' };
    expect(await ipc.invoke('driftline:listSamplers', {}, winB)).toMatchObject({ ok: true });
    const job = ipc.invoke('driftline:generate', { ...base, jobId: 'j' }, winA);
    await new Promise((r) => setTimeout(r, 0));
    events.emit('onProgress', { jobId: 'j', step: 1, total: 2 });
    events.emit('onDownloadProgress', { name: 'sd', file: 'unet', bytesDone: 5 });
    expect(sent).toEqual([[EVENT_CHANNEL, 'onProgress', { jobId: 'j', step: 1, total: 2 }], [EVENT_CHANNEL, 'onDownloadProgress', { name: 'sd', file: 'unet', bytesDone: 5 }], [EVENT_CHANNEL, 'onDownloadProgress', { name: 'sd', file: 'unet', bytesDone: 5 }]]);
    expect(to[0]).toBe('window-a');
    expect(new Set(to.slice(1))).toEqual(new Set(['window-a', 'window-b']));
    // Another window cannot cancel it (and the engine never hears of that attempt); closing its own window does.
    expect(await ipc.invoke('driftline:cancel', { jobId: 'j' }, winB)).toEqual({ ok: true, value: { cancelled: false } });
    expect(calls.filter(([m]) => m === 'cancel')).toEqual([]);
    gone.get('window-a')!();
    expect(calls.filter(([m]) => m === 'cancel')).toEqual([['cancel', { jobId: 'j' }]]);
    finish({ done: true });
    await job;
    unwire();
    events.emit('onDownloadProgress', { name: 'sd', file: 'unet', bytesDone: 6 });
    expect(sent).toHaveLength(3);
  });
});

describe('desktop extras', () => {
  async function setup(answer: { canceled: boolean; filePath?: string; filePaths?: string[] }) {
    const dir = await mkdtemp(path.join(tmpdir(), 'driftline-desktop-'));
    const asked: unknown[] = [];
    const dialog = {
      showSaveDialog: async (w: string, o: unknown) => (asked.push([w, o]), { canceled: answer.canceled, filePath: answer.filePath && path.join(dir, answer.filePath) }),
      showOpenDialog: async (w: string, o: unknown) => (asked.push([w, o]), { canceled: answer.canceled, filePaths: (answer.filePaths ?? []).map((f) => path.join(dir, f)) }),
    };
    const { ipc } = wire(fakeEngine().engine, createDesktopHandlers({ dialog, windowFor: () => 'win', defaultDir: '/home/u/Pictures' }));
    return { dir, asked, ipc };
  }

  it('saveFile asks where, writes atomically, and adds the extension the user left off', async () => {
    const { dir, asked, ipc } = await setup({ canceled: false, filePath: 'out' });
    const r = await ipc.invoke('driftline:saveFile', { suggestedName: 'driftline-1.png', bytes: new Uint8Array([137, 80, 78, 71]) });
    expect(r).toEqual({ ok: true, value: { saved: true, path: path.join(dir, 'out.png') } });
    expect(Array.from(await readFile(path.join(dir, 'out.png')))).toEqual([137, 80, 78, 71]);
    expect(await readdir(dir)).toEqual(['out.png']); // no temporary file left behind
    expect(asked[0]).toEqual(['win', expect.objectContaining({ defaultPath: path.join('/home/u/Pictures', 'driftline-1.png'), filters: [expect.objectContaining({ extensions: ['png'] }), expect.anything()] })]);
    expect(withExtension('/a/b.PNG', 'x.png')).toBe('/a/b.PNG');
  });

  it('saveFile: a cancelled dialog saves nothing; bad requests never open one', async () => {
    const { dir, asked, ipc } = await setup({ canceled: true });
    expect(await ipc.invoke('driftline:saveFile', { suggestedName: 'a.png', bytes: new Uint8Array([1]) })).toEqual({ ok: true, value: { saved: false } });
    expect(await readdir(dir)).toEqual([]);
    for (const bad of [{ suggestedName: '../../.bashrc', bytes: new Uint8Array([1]) }, { suggestedName: 'a.png', bytes: new Uint8Array(0) }, { suggestedName: 'a.png', bytes: [1, 2] }, { suggestedName: 'a.png' }]) {
      expect(await ipc.invoke('driftline:saveFile', bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(asked).toHaveLength(1);
  });

  it('saveFile reports a write failure clearly', async () => {
    const { ipc } = await setup({ canceled: false, filePath: 'missing-folder/x.png' });
    expect(await ipc.invoke('driftline:saveFile', { suggestedName: 'x.png', bytes: new Uint8Array([1]) })).toMatchObject({ ok: false, error: { code: 'WRITE_FAILED', message: expect.stringMatching(/x\.png/) } });
  });

  it('openImage returns the picked file as bytes, or null when cancelled', async () => {
    const picked = await setup({ canceled: false, filePaths: ['cat.png'] });
    await writeFile(path.join(picked.dir, 'cat.png'), new Uint8Array([1, 2, 3]));
    const r = await picked.ipc.invoke('driftline:openImage', {});
    expect(r.ok).toBe(true);
    expect(r.value.name).toBe('cat.png');
    expect(r.value.bytes).toBeInstanceOf(Uint8Array);
    expect(r.value.bytes.buffer.byteLength).toBe(3);
    await expect((await setup({ canceled: true })).ipc.invoke('driftline:openImage', {})).resolves.toEqual({ ok: true, value: null });
    const gone = await setup({ canceled: false, filePaths: ['gone.png'] });
    expect(await gone.ipc.invoke('driftline:openImage', {})).toMatchObject({ ok: false, error: { code: 'READ_FAILED' } });
  });
});

describe('showing a gallery image in its folder (showInFolder)', () => {
  it('reveals the image file in the data folder the engine writes, and nothing outside it', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'driftline-reveal-test-'));
    try {
      await mkdir(path.join(home, 'gallery', 'images'), { recursive: true });
      await writeFile(path.join(home, 'gallery', 'images', 'abc-1.png'), 'png');
      const shown: string[] = [];
      const desktop = createDesktopHandlers({ dialog: null as never, windowFor: () => 'win', defaultDir: home, reveal: { showItemInFolder: (f) => void shown.push(f), dataRoot: home } });
      const { ipc } = wire(fakeEngine().engine, desktop);
      expect(await ipc.invoke('driftline:showInFolder', { id: 'abc-1' })).toEqual({ ok: true, value: null });
      expect(shown).toEqual([path.join(home, 'gallery', 'images', 'abc-1.png')]);
      const gone = await ipc.invoke('driftline:showInFolder', { id: 'deleted-1' });
      expect(gone).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(gone.error.message).toMatch(/"deleted-1" is not on disk/);
      for (const id of ['../../etc/passwd', 'a/b', '']) {
        expect(await ipc.invoke('driftline:showInFolder', { id })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      }
      expect(shown).toHaveLength(1);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('says it is not available where no shell was given', async () => {
    const { ipc } = wire(fakeEngine().engine, createDesktopHandlers({ dialog: null as never, windowFor: () => 'win', defaultDir: tmpdir() }));
    expect(await ipc.invoke('driftline:showInFolder', { id: 'abc-1' })).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED' } });
  });
});

describe('dragging a file out (startDrag)', () => {
  const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

  /** Electron's nativeImage: "decodes" a PNG of 256×128 (anything else is empty) and records resizes. */
  function fakeNativeImage() {
    type Made = { from: number[]; resized?: unknown };
    const made: Made[] = [];
    const image = (w: number, h: number, rec?: Made): NativeImageLike => ({
      isEmpty: () => w === 0,
      getSize: () => ({ width: w, height: h }),
      resize: (o) => (rec && (rec.resized = o), image(o.width ?? w, o.height ?? h)),
    });
    return {
      made,
      module: {
        createFromBuffer(buffer: Buffer) {
          const rec: Made = { from: Array.from(buffer) };
          made.push(rec);
          return buffer[0] === 0x89 && !buffer.includes(0xee) ? image(256, 128, rec) : image(0, 0, rec);
        },
      },
    };
  }

  async function setup() {
    const tmp = await mkdtemp(path.join(tmpdir(), 'driftline-drag-test-'));
    const root = path.join(tmp, 'driftline-drag');
    const native = fakeNativeImage();
    const desktop = createDesktopHandlers({ dialog: null as never, windowFor: () => 'win', defaultDir: tmp, drag: { nativeImage: native.module, root } });
    const { ipc } = wire(fakeEngine().engine, desktop);
    const drags: { file: string; icon: NativeImageLike }[] = [];
    const event = { ...app, sender: { startDrag: (item: { file: string; icon: NativeImageLike }) => void drags.push(item) } };
    return { tmp, root, native, desktop, ipc, drags, event };
  }

  it('writes the PNG into a per-session folder under the drag root and starts the drag from the asking window', async () => {
    const { tmp, root, native, desktop, ipc, drags, event } = await setup();
    expect(await ipc.invoke('driftline:startDrag', { name: 'driftline-sd-5.png', bytes: PNG }, event)).toEqual({ ok: true, value: null });
    expect(drags).toHaveLength(1);
    const [session] = await readdir(root);
    expect(session).toMatch(/^session-/);
    expect(drags[0].file).toBe(path.join(root, session, 'driftline-sd-5.png'));
    expect(Array.from(await readFile(drags[0].file))).toEqual(Array.from(PNG));
    // The icon is the image, its longest side 64 px.
    expect(native.made[0].from).toEqual(Array.from(PNG));
    expect(native.made[0].resized).toMatchObject({ width: 64, height: 32 });
    expect(drags[0].icon.getSize()).toEqual({ width: 64, height: 32 });
    // A second drag reuses the session folder; no temporary files are left beside the PNGs.
    await ipc.invoke('driftline:startDrag', { name: 'other.png', bytes: PNG }, event);
    expect(await readdir(root)).toEqual([session]);
    expect((await readdir(path.join(root, session))).sort()).toEqual(['driftline-sd-5.png', 'other.png']);
    // Quitting removes the session folder (and the root, now empty); cleaning twice is harmless.
    desktop.cleanup();
    desktop.cleanup();
    expect(await readdir(tmp)).toEqual([]);
    await rm(tmp, { recursive: true, force: true });
  });

  it('never writes outside the session folder, whatever the name', async () => {
    const { tmp, root, ipc, drags, event } = await setup();
    for (const name of ['../../evil.png', '..\\..\\evil.png', '/etc/passwd', '..', 'a/../../b.png', 'C:\\x.png', 'con', '.hidden', 'x\u0000y.png']) {
      expect(await ipc.invoke('driftline:startDrag', { name, bytes: PNG }, event)).toEqual({ ok: true, value: null });
    }
    const [session] = await readdir(root);
    const dir = path.join(root, session);
    for (const d of drags) expect(path.dirname(d.file)).toBe(dir);
    expect(drags.map((d) => path.basename(d.file))).toEqual(['_.._evil.png', '_.._evil.png', '_etc_passwd.png', 'image.png', 'a_.._.._b.png', 'C_x.png', '_con.png', 'hidden.png', 'x_y.png']);
    expect(await readdir(tmp)).toEqual(['driftline-drag']);
    expect(sanitizeDragName('a'.repeat(300) + '.png')).toHaveLength(120);
    expect(sanitizeDragName('photo.PNG')).toBe('photo.png');
    // Bidirectional controls would show "invoice\u202Egnp.exe" as "invoiceexe.png"; they are removed.
    expect(sanitizeDragName('invoice\u202egnp.exe')).toBe('invoicegnp.exe.png');
    expect(sanitizeDragName('a\u2066b\u2069c\u200f\u061cd.png')).toBe('abcd.png');
    await rm(tmp, { recursive: true, force: true });
  });

  it('validates before writing or dragging; refuses other pages; needs a decodable PNG and a drag-capable sender', async () => {
    const { tmp, ipc, drags, event } = await setup();
    for (const bad of [{ name: 'a.png', bytes: new Uint8Array(0) }, { name: 'a.png', bytes: new Uint8Array([1, 2, 3]) }, { name: '', bytes: PNG }, { name: 'a.png', bytes: Array.from(PNG) }, { name: 'a.png' }, { name: 'a.png', bytes: PNG, extra: 1 }]) {
      expect(await ipc.invoke('driftline:startDrag', bad, event)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(await ipc.invoke('driftline:startDrag', { name: 'a.png', bytes: PNG }, { ...event, senderFrame: { url: 'https://evil.example/' } })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const undecodable = new Uint8Array([...PNG, 0xee]);
    expect(await ipc.invoke('driftline:startDrag', { name: 'a.png', bytes: undecodable }, event)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/PNG/) } });
    expect(await ipc.invoke('driftline:startDrag', { name: 'a.png', bytes: PNG }, app)).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED' } });
    expect(drags).toEqual([]);
    expect(await readdir(tmp)).toEqual([]); // nothing written, not even the folder
    // Without drag options the method is there but unsupported.
    const plain = wire(fakeEngine().engine, createDesktopHandlers({ dialog: null as never, windowFor: () => 'win', defaultDir: tmp }));
    expect(await plain.ipc.invoke('driftline:startDrag', { name: 'a.png', bytes: PNG }, event)).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED' } });
    await rm(tmp, { recursive: true, force: true });
  });

  it('refuses a drag root that is a link planted by someone else', async () => {
    const { tmp, root, ipc, drags, event } = await setup();
    const elsewhere = await mkdtemp(path.join(tmpdir(), 'driftline-elsewhere-'));
    await symlink(elsewhere, root);
    expect(await ipc.invoke('driftline:startDrag', { name: 'a.png', bytes: PNG }, event)).toMatchObject({ ok: false, error: { code: 'WRITE_FAILED' } });
    expect(await readdir(elsewhere)).toEqual([]);
    expect(drags).toEqual([]);
    await rm(tmp, { recursive: true, force: true });
    await rm(elsewhere, { recursive: true, force: true });
  });
});

/** Electron's utilityProcess module, played by a Node child running the fake host. */
function fakeUtilityProcess() {
  const forks: { modulePath: string; options: unknown }[] = [];
  const module: UtilityProcessModule = {
    fork(modulePath, args, options) {
      forks.push({ modulePath, options });
      const child = fork(modulePath, args ?? [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const proc = new EventEmitter();
      child.on('message', (m) => proc.emit('message', m));
      child.on('exit', (code) => proc.emit('exit', code ?? 1));
      return Object.assign(proc, { postMessage: (m: unknown) => void child.send(m as never), kill: () => child.kill() }) as never;
    },
  };
  return { module, forks };
}

describe('the engine as a utility process', () => {
  let engine: EngineChannel | undefined;
  afterEach(async () => engine?.close());

  it('forks the host as a named service and serves the API over IPC; a crash fails the call and the next one restarts it', async () => {
    const up = fakeUtilityProcess();
    engine = createUtilityEngine(up.module, fakeHost);
    const { ipc, sent } = wire(engine);
    const r = await ipc.invoke('driftline:generate', { ...base, jobId: 'u1' });
    expect(r.ok).toBe(true);
    expect(Array.from(r.value.images[0].png)).toEqual([1, 2, 3]);
    expect(sent.map((s) => (s[2] as { step: number }).step)).toEqual([1, 2, 3]);
    expect(up.forks[0]).toEqual({ modulePath: fakeHost, options: expect.objectContaining({ serviceName: ENGINE_SERVICE_NAME, stdio: 'inherit' }) });

    expect(await ipc.invoke('driftline:generate', { ...base, jobId: 'c', prompt: 'crash' })).toMatchObject({ ok: false, error: { code: 'ENGINE_CRASHED' } });
    expect((await ipc.invoke('driftline:generate', { ...base, jobId: 'after' })).value.jobId).toBe('after');
    expect(up.forks).toHaveLength(2);
    expect(engine.starts).toBe(2);
  });

  it('fails calls in flight when it is shut down, also while it is starting', async () => {
    const up = fakeUtilityProcess();
    engine = createUtilityEngine(up.module, fakeHost);
    const started = new Promise((r) => engine!.on('onProgress', r));
    const job = engine.call('generate', { ...base, jobId: 'long', steps: 500 });
    await started;
    const failed = expect(job).rejects.toMatchObject({ code: 'ENGINE_STOPPED' });
    await engine.close();
    await failed;
    const early = expect(engine.call('listSamplers', {})).rejects.toMatchObject({ code: 'ENGINE_STOPPED' });
    await engine.close();
    await early;
  });
});
