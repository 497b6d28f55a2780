import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProgressEvent } from '../../main/api/contract.js';
import type { MenuAction, StudioClient } from '../../renderer/src/api/index.js';
import { createDocument, createImageLayer, PixelStore } from '../../renderer/src/document/index.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';
import { createAppState, type AppStore, type StatusMessage } from '../../renderer/src/ui/app-state.js';
import { MemoryBackend, type AutosaveBackend } from '../../renderer/src/ui/autosave/autosave.js';
import { AUTOSAVE_DEBOUNCE_MS, AutosaveModule } from '../../renderer/src/ui/autosave/autosave-module.js';
import { CommandsModule, type TextField } from '../../renderer/src/ui/commands/commands.js';
import { ConnectionModule } from '../../renderer/src/ui/connection/connection.js';
import { Jobs } from '../../renderer/src/ui/jobs.js';
import { previewRect, ProgressModule, type PreviewImage } from '../../renderer/src/ui/progress/progress.js';

type Listener = (payload: never) => void;

/** A client whose every subscription is counted, so a test sees what was left behind. */
function fakeClient() {
  const subs = { connection: new Set<Listener>(), progress: new Set<Listener>(), menu: new Set<Listener>() };
  const add = (set: Set<Listener>, l: Listener) => {
    set.add(l);
    return () => void set.delete(l);
  };
  let closed = 0;
  const api = {
    mode: 'browser',
    state: 'connecting',
    onConnection: (l: Listener) => add(subs.connection, l),
    onMenu: (l: Listener) => add(subs.menu, l),
    on: (event: string, l: Listener) => add(event === 'onProgress' ? subs.progress : new Set(), l),
    close: () => void closed++,
    listModels: async () => [],
    listSamplers: async () => [],
  };
  const emit = (set: Set<Listener>, payload: unknown) => {
    for (const l of [...set]) (l as (p: unknown) => void)(payload);
  };
  return {
    client: api as unknown as StudioClient,
    subs,
    live: () => subs.connection.size + subs.progress.size + subs.menu.size,
    closed: () => closed,
    connection: (state: string) => emit(subs.connection, state),
    progress: (p: ProgressEvent) => emit(subs.progress, p),
    menu: (a: MenuAction) => emit(subs.menu, a),
  };
}

/** Count the live subscriptions to a zustand store from now on. */
function countSubscriptions(store: { subscribe: (listener: never) => () => void }): () => number {
  let n = 0;
  const subscribe = store.subscribe.bind(store);
  store.subscribe = (listener: never) => {
    n++;
    const off = subscribe(listener);
    let live = true;
    return () => {
      if (live) n--;
      live = false;
      off();
    };
  };
  return () => n;
}

function sayInto(said: StatusMessage[]) {
  return (text: string, level: StatusMessage['level'] = 'info') => void said.push({ text, level, at: 0 });
}

const editorWith = (layers = 0) => {
  const doc = createDocument(64, 48);
  for (let i = 0; i < layers; i++) doc.layers.push(createImageLayer({ id: `l${i}`, pixelId: `px${i}`, width: 64, height: 48 }));
  return new Editor({ tools: STUDIO_TOOLS, document: doc, pixels: new PixelStore() });
};

afterEach(() => {
  vi.useRealTimers();
});

describe('connection module', () => {
  it('subscribes to the connection, lists the catalogues when it opens, and destroy unsubscribes and closes', async () => {
    const f = fakeClient();
    const app = createAppState();
    const list = vi.spyOn(f.client, 'listModels');
    const m = new ConnectionModule({ app, say: sayInto([]), connect: () => f.client });
    expect(m.client).toBeNull();
    m.initialize();
    expect(m.client).toBe(f.client);
    expect(app.getState()).toMatchObject({ mode: 'browser', connection: 'connecting' });
    expect(f.subs.connection.size).toBe(1);
    f.connection('open');
    expect(app.getState().connection).toBe('open');
    await vi.waitFor(() => expect(list).toHaveBeenCalledTimes(1));
    m.destroy();
    expect(f.live()).toBe(0);
    expect(f.closed()).toBe(1);
    expect(m.client).toBeNull();
  });

  it('an engine that cannot be reached leaves the canvas working and says so', () => {
    const app = createAppState();
    const said: StatusMessage[] = [];
    const m = new ConnectionModule({ app, say: sayInto(said), connect: () => { throw new Error('no preload bridge'); } });
    m.initialize();
    expect(app.getState().connection).toBe('unavailable');
    expect(said).toEqual([{ text: 'The engine cannot be reached: no preload bridge. The canvas still works; generation does not.', level: 'error', at: 0 }]);
    m.destroy();
  });
});

describe('progress module', () => {
  const event = (jobId: string, preview = true): ProgressEvent => ({ jobId, step: 1, total: 4, ...(preview ? { preview: { width: 32, height: 16, rgb: new Uint8Array(32 * 16 * 3) } } : {}) });

  it("routes the running job's progress and previews; destroy unsubscribes", () => {
    const f = fakeClient();
    const app = createAppState();
    const jobs = new Jobs(app, () => 0);
    const editor = editorWith();
    const m = new ProgressModule({ jobs, client: () => f.client, doc: () => editor.doc });
    const seen: (PreviewImage | null)[] = [];
    const off = m.onPreview((p) => seen.push(p));
    m.initialize();
    expect(f.subs.progress.size).toBe(1);
    jobs.begin('generate', 'j1', 7);
    f.progress(event('other'));
    f.progress(event('j1'));
    expect(app.getState().job?.progress.step).toBe(1);
    expect(seen.map((p) => p?.rect)).toEqual([{ x: 0, y: 8, width: 64, height: 32 }]);
    m.clear();
    expect(seen.at(-1)).toBeNull();
    m.destroy();
    expect(f.live()).toBe(0);
    off();
  });

  it("draws an edit over the canvas, a generation in its frame at the frame's scale, anything else fitted into the canvas", () => {
    const doc = { canvas: { width: 64, height: 48 } };
    expect(previewRect(doc, 'canvas', 32, 32)).toEqual({ x: 0, y: 0, width: 64, height: 48 });
    // A frame hanging off the canvas: the preview (here at half resolution) fills the frame.
    expect(previewRect(doc, { x: 40, y: -8, width: 32, height: 24 }, 16, 12)).toEqual({ x: 40, y: -8, width: 32, height: 24 });
    expect(previewRect(doc, null, 16, 16)).toEqual({ x: 8, y: 0, width: 48, height: 48 });
  });

  it("a generation's previews land in the frame it was given; an upscale's never in a stale frame", () => {
    const f = fakeClient();
    const app = createAppState();
    const jobs = new Jobs(app, () => 0);
    const editor = editorWith(1);
    const m = new ProgressModule({ jobs, client: () => f.client, doc: () => editor.doc });
    const seen: (PreviewImage | null)[] = [];
    m.onPreview((p) => seen.push(p));
    m.initialize();
    m.setGenerationRect({ x: 48, y: 0, width: 32, height: 32 });
    jobs.begin('generate', 'g', 1);
    f.progress(event('g'));
    jobs.end('g');
    jobs.begin('upscale', 'u', 1);
    f.progress(event('u'));
    expect(seen.map((p) => p?.rect)).toEqual([{ x: 48, y: 0, width: 32, height: 32 }, { x: 0, y: 8, width: 64, height: 32 }]);
    m.destroy();
  });
});

describe('commands module', () => {
  it('runs the menu while subscribed (Undo is the focused field’s); destroy unsubscribes', () => {
    const f = fakeClient();
    const app = createAppState();
    const editor = editorWith();
    const text = { focused: vi.fn(() => false), run: vi.fn() } satisfies TextField;
    const imports = { openImage: vi.fn(async () => {}) };
    const exports = { exportPng: vi.fn(async () => {}) };
    const m = new CommandsModule({ app, editor, imports, exports, text, client: () => f.client, say: sayInto([]) });
    m.initialize();
    expect(f.subs.menu.size).toBe(1);
    editor.addImageLayer('px', 8, 8);
    f.menu('undo');
    expect(editor.doc.layers).toHaveLength(0);
    text.focused.mockReturnValue(true);
    f.menu('redo');
    expect(text.run).toHaveBeenCalledWith('redo');
    expect(editor.doc.layers).toHaveLength(0);
    f.menu('openImage');
    f.menu('exportPng');
    expect(imports.openImage).toHaveBeenCalledTimes(1);
    expect(exports.exportPng).toHaveBeenCalledTimes(1);
    m.destroy();
    expect(f.live()).toBe(0);
  });

  it('Clear empties the canvas in one undoable change, but not while a job runs', () => {
    const app = createAppState();
    const editor = editorWith(2);
    const said: StatusMessage[] = [];
    const m = new CommandsModule({ app, editor, imports: { openImage: async () => {} }, exports: { exportPng: async () => {} }, text: { focused: () => false, run() {} }, client: () => null, say: sayInto(said) });
    m.initialize();
    new Jobs(app).begin('generate', 'j', 1);
    m.clearCanvas();
    expect(editor.doc.layers).toHaveLength(2);
    app.setState({ job: null });
    m.clearCanvas();
    expect(editor.doc.layers).toHaveLength(0);
    editor.undo();
    expect(editor.doc.layers).toHaveLength(2);
    expect(said.map((s) => s.text)).toEqual(['Wait for the running job to finish (or cancel it) first.', 'Canvas cleared (Ctrl+Z brings it back).']);
    m.destroy();
  });
});

describe('autosave module', () => {
  const setup = (backend: AutosaveBackend | Promise<AutosaveBackend> = new MemoryBackend()) => {
    const app = createAppState();
    const editor = editorWith();
    const said: StatusMessage[] = [];
    const bank = { add: async (_b: Blob, id?: string) => ({ id: id ?? 'x', width: 1, height: 1 }), get: () => undefined };
    const docSubs = countSubscriptions(editor.store.store);
    const m = new AutosaveModule({ app, editor, bank, say: sayInto(said), openBackend: async () => backend });
    return { app, editor, said, m, docSubs };
  };

  it('saves a settled change only while initialised; destroy drops the pending save', async () => {
    vi.useFakeTimers();
    const backend = new MemoryBackend();
    const t = setup(backend);
    t.m.initialize();
    await t.m.ready;
    expect(t.docSubs()).toBe(1);
    t.editor.addImageLayer('px', 8, 8);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DEBOUNCE_MS);
    await vi.waitFor(() => expect(t.app.getState().savedAt).not.toBeNull());
    expect(backend.data.docs.size).toBe(1);
    const saved = [...backend.data.docs.values()];
    t.editor.addImageLayer('px', 8, 8);
    t.m.destroy();
    expect(t.docSubs()).toBe(0);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DEBOUNCE_MS * 2);
    expect([...backend.data.docs.values()]).toEqual(saved);
  });

  it('saves at once when the page is hidden or left, without waiting for the change to settle; nothing when nothing changed', async () => {
    vi.useFakeTimers();
    const backend = new MemoryBackend();
    const app = createAppState();
    const editor = editorWith();
    const hide = new Set<() => void>();
    const bank = { add: async (_b: Blob, id?: string) => ({ id: id ?? 'x', width: 1, height: 1 }), get: () => undefined };
    const m = new AutosaveModule({ app, editor, bank, say: () => undefined, openBackend: async () => backend, onPageHide: (l) => { hide.add(l); return () => hide.delete(l); } });
    m.initialize();
    await m.ready;
    expect(hide.size).toBe(1);
    for (const l of hide) l();
    expect(backend.data.docs.size).toBe(0); // nothing changed since the restore
    editor.addImageLayer('px', 8, 8);
    for (const l of hide) l(); // well before the debounce
    // Issued before the listener returned: the version and the pointer to it are there at once.
    expect(backend.data.docs.size).toBe(1);
    expect(backend.data.meta.get('current')).toBe([...backend.data.docs.keys()][0]);
    await vi.waitFor(() => expect(app.getState().savedAt).not.toBeNull());
    m.destroy();
    expect(hide.size).toBe(0);
    vi.useRealTimers();
  });

  it('destroyed while restoring, it never starts saving', async () => {
    let open!: (b: AutosaveBackend) => void;
    const t = setup(new Promise<AutosaveBackend>((r) => (open = r)));
    t.m.initialize();
    t.m.destroy();
    open(new MemoryBackend());
    await t.m.ready;
    expect(t.docSubs()).toBe(0);
  });

  it('where the store cannot be opened, autosave is off and says so', async () => {
    const app = createAppState();
    const said: StatusMessage[] = [];
    const m = new AutosaveModule({ app, editor: editorWith(), bank: { add: async () => ({ id: 'x', width: 1, height: 1 }), get: () => undefined }, say: sayInto(said), openBackend: async () => { throw new Error('this browser has no IndexedDB'); } });
    m.initialize();
    await m.ready;
    expect(said).toEqual([{ text: 'Autosave is off: this browser has no IndexedDB', level: 'warn', at: 0 }]);
    m.destroy();
  });
});

/**
 * The studio itself brings in the page's code (the pixel bank, canvases, IndexedDB), which this
 * test program (no DOM library) cannot type; as test/e2e/helpers/page-types.ts does, the members
 * used here are named structurally and the module is imported untyped. Nothing of the DOM runs
 * until the canvas draws or an image is decoded.
 */
interface StudioLike {
  app: AppStore;
  editor: Editor;
  generation: { generate(): Promise<void> };
  progress: ProgressModule;
  start(): Promise<void>;
  dispose(): void;
  updateSettings(patch: { prompt: string }): void;
  onPreview(listener: (p: PreviewImage | null) => void): () => void;
}
type StudioPageLike = { connect(): StudioClient; openBackend(): Promise<AutosaveBackend>; storage(): null };
const STUDIO: string = '../../renderer/src/ui/studio.js';

describe('the studio composes its modules', () => {
  const start = async () => {
    const { Studio } = (await import(STUDIO)) as { Studio: new (page: StudioPageLike) => StudioLike };
    const f = fakeClient();
    const studio = new Studio({ connect: () => f.client, openBackend: async () => new MemoryBackend(), storage: () => null });
    const app = countSubscriptions(studio.app);
    const doc = countSubscriptions(studio.editor.store.store);
    await studio.start();
    return { f, studio, app, doc };
  };

  it('dispose removes every subscription start added and closes the client', async () => {
    const { f, studio, app, doc } = await start();
    expect({ connection: f.subs.connection.size, progress: f.subs.progress.size, menu: f.subs.menu.size }).toEqual({ connection: 1, progress: 1, menu: 1 });
    expect(app()).toBeGreaterThan(0);
    // Autosave, the canvas preferences and the frame-relative brush sizes.
    expect(doc()).toBe(3);
    studio.dispose();
    expect(f.live()).toBe(0);
    expect(app()).toBe(0);
    expect(doc()).toBe(0);
    expect(f.closed()).toBe(1);
  });

  it('Ctrl+Enter reaches generation, and the page scripts reach their modules', async () => {
    const { studio } = await start();
    const generate = vi.spyOn(studio.generation, 'generate').mockResolvedValue();
    studio.editor.keyDown('Enter', { ctrlKey: true });
    expect(generate).toHaveBeenCalledTimes(1);
    studio.updateSettings({ prompt: 'a red circle' });
    expect(studio.app.getState().settings.prompt).toBe('a red circle');
    const seen: (PreviewImage | null)[] = [];
    const off = studio.onPreview((p) => seen.push(p));
    studio.progress.clear();
    expect(seen).toEqual([null]);
    off();
    studio.dispose();
  });
});
