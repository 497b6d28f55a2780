/**
 * The studio's controller: one Editor (document, tools, history), the PixelBank, the Studio API
 * client, the session state, generation with live previews and cancellation, image import (drop,
 * paste, open), export and autosave; editing, upscaling, the boundary search, the solver lab and
 * the gallery are modules it composes.
 * React components call its methods and read its stores; the canvas view draws the editor's store.
 */
import type { EditResult, GenerateResult, ProgressEvent } from '../../../main/api/contract.js';
import { createStudioClient, type MenuAction, type StudioClient } from '../api/index.js';
import { DocumentLoadError, deserialize } from '../document/serialize.js';
import type { Point } from '../document/types.js';
import type { Recipe } from '../store/document-store.js';
import { Editor } from '../tools/editor.js';
import { STUDIO_TOOLS } from '../tools/tools.js';
import { Autosaver, MemoryBackend, type StoredPixels } from './autosave/autosave.js';
import { openIndexedDbBackend } from './autosave/idb.js';
import { createAppState, type AppStore, type StatusMessage } from './app-state.js';
import { EditController } from './edit/controller.js';
import { pagePixels } from './edit/pixels.js';
import { GalleryModule, galleryFileName, upscaleEntry } from './gallery/gallery.js';
import { Jobs } from './jobs.js';
import { newJobId, sanitizeSettings, samplerRanText, seedForRun, settingsForRerun, toGenerateRequest, validateSettings, withModel, PACK_SAMPLER, type GenerateSettings } from './generate/settings.js';
import { LabController } from './lab/lab-controller.js';
import type { StudioModule } from './module.js';
import { PixelBank, pngBlob } from './pixel-bank.js';
import { UpscaleController } from './upscale/controller.js';
import { pageUpscalePixels } from './upscale/pixels.js';
import { BoundarySearchController } from './upscale/search-controller.js';

export interface PreviewImage {
  width: number;
  height: number;
  rgb: Uint8Array;
  /** Where to draw it, in document pixels. */
  rect: { x: number; y: number; width: number; height: number };
}

const SETTINGS_KEY = 'driftline.generate-settings';
const IMAGE_TYPES = /^image\/(png|jpeg|webp|gif|bmp|avif)$/;

export class Studio {
  readonly bank = new PixelBank();
  readonly editor: Editor;
  readonly app: AppStore = createAppState();
  client: StudioClient | null = null;
  private autosaver: Autosaver<Blob> | null = null;
  private readonly previewListeners = new Set<(p: PreviewImage | null) => void>();
  readonly jobs = new Jobs(this.app);
  readonly gallery = new GalleryModule(this.app);
  readonly edits: EditController;
  readonly upscales: UpscaleController;
  readonly searches: BoundarySearchController;
  readonly labs: LabController;
  private readonly modules: StudioModule[];
  private pendingSize: { width: number; height: number } | null = null;
  private readonly disposers: (() => void)[] = [];

  constructor() {
    this.editor = new Editor({ tools: STUDIO_TOOLS, pixels: this.bank.store, onGenerate: () => void this.generate() });
    this.app.setState({ settings: { ...this.app.getState().settings, ...loadSettings() } });
    const pixels = pagePixels(this.bank);
    const common = { app: this.app, editor: this.editor, jobs: this.jobs, client: () => this.client, say: (text: string, level?: StatusMessage['level']) => this.say(text, level), now: () => performance.now() };
    this.edits = new EditController({
      ...common,
      pixels,
      addToGallery: (result, task) => this.addEditToGallery(result, task),
      clearPreview: () => this.emitPreview(null),
    });
    this.upscales = new UpscaleController({
      ...common,
      pixels: pageUpscalePixels(this.bank, pixels),
      addToGallery: (result, origin) => void this.gallery.add([upscaleEntry(result, origin, this.gallery.item(origin.galleryId ?? '')?.settings ?? this.app.getState().settings)]),
    });
    this.searches = new BoundarySearchController(common);
    this.labs = new LabController(common);
    this.modules = [this.upscales, this.searches, this.labs];
  }

  // Start-up

  async start(): Promise<void> {
    for (const m of this.modules) m.initialize();
    try {
      this.client = createStudioClient();
      this.app.setState({ mode: this.client.mode, connection: this.client.state });
      this.disposers.push(
        this.client.onConnection((connection) => {
          this.app.setState({ connection });
          if (connection === 'open' && this.app.getState().models.length === 0) void this.loadCatalogues();
        }),
        this.client.on('onProgress', (p) => this.onProgress(p)),
        this.client.onMenu((action) => this.onMenu(action)),
      );
    } catch (e) {
      this.app.setState({ connection: 'unavailable' });
      this.say(`The engine cannot be reached: ${message(e)}. The canvas still works; generation does not.`, 'error');
    }
    await this.restore();
    this.startAutosave();
    if (this.client) await this.loadCatalogues();
  }

  async loadCatalogues(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      const [models, samplers] = await Promise.all([client.listModels({}), client.listSamplers({})]);
      const s = this.app.getState().settings;
      // Keep the user's model and values; a first start (or a model that is gone) takes the first
      // model with the settings its pack recommends.
      const kept = models.some((m) => m.name === s.model);
      const sampler = s.sampler === PACK_SAMPLER || samplers.some((x) => x.name === s.sampler) ? s.sampler : PACK_SAMPLER;
      this.app.setState({ models, samplers, settings: { ...(kept ? s : withModel(s, models[0])), sampler } });
      if (!models.length) this.say('No models are installed: import or download one with `driftline models`.', 'warn');
    } catch (e) {
      this.say(`Could not list the models: ${message(e)}`, 'error');
    }
  }

  dispose(): void {
    for (const d of this.disposers.splice(0)) d();
    for (const m of this.modules) m.destroy();
    this.client?.close();
  }

  // Status

  say(text: string, level: StatusMessage['level'] = 'info'): void {
    this.app.setState({ status: { text, level, at: Date.now() } });
    if (level === 'error') console.error(text);
  }

  // Generate panel

  updateSettings(patch: Partial<GenerateSettings>): void {
    const settings = { ...this.app.getState().settings, ...patch };
    this.app.setState({ settings });
    saveSettings(settings);
  }

  async generate(): Promise<void> {
    const client = this.jobs.ready(this.client, 'Generation', (t, l) => this.say(t, l));
    if (!client) return;
    const state = this.app.getState();
    const settings = state.settings;
    const errors = validateSettings(settings);
    if (errors.length) return this.say(errors.join(' '), 'error');
    const jobId = newJobId();
    const seed = seedForRun(settings);
    if (!settings.seedLocked) this.updateSettings({ seed });
    this.pendingSize = settings.sizeMode === 'custom' ? { width: settings.width, height: settings.height } : null;
    this.jobs.begin('generate', jobId, seed);
    this.say(`Generating with ${settings.model} (seed ${seed})…`);
    const used: GenerateSettings = { ...settings, seed };
    try {
      const result = await client.generate(toGenerateRequest(settings, jobId, seed));
      if (this.jobs.isCancelled(jobId)) return this.say('Cancelled.');
      await this.accept(result, used);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'CANCELLED' || this.jobs.isCancelled(jobId)) this.say('Cancelled.');
      else this.say(`Generation failed: ${message(e)}`, 'error');
    } finally {
      this.jobs.end(jobId);
      this.emitPreview(null);
    }
  }

  /** Cancel the running job, whichever panel started it. */
  async cancel(): Promise<void> {
    await this.jobs.cancel(this.client, (text, level) => this.say(text, level));
  }

  private onProgress(p: ProgressEvent): void {
    if (!this.jobs.progress(p) || !p.preview) return;
    const { width, height, rgb } = p.preview;
    this.emitPreview({ width, height, rgb, rect: this.previewRect(width, height) });
  }

  /**
   * Where the result will land: an edit's covers the canvas; a generation's is the requested size
   * centred on the canvas, else fitted into it.
   */
  private previewRect(pw: number, ph: number): PreviewImage['rect'] {
    const { width: cw, height: ch } = this.editor.doc.canvas;
    if (this.jobs.current?.kind === 'edit') return { x: 0, y: 0, width: cw, height: ch };
    const size = this.pendingSize;
    let w: number, h: number;
    if (size && this.editor.doc.layers.length > 0) [w, h] = [size.width, size.height];
    else {
      const s = Math.min(cw / pw, ch / ph);
      [w, h] = [pw * s, ph * s];
    }
    return { x: (cw - w) / 2, y: (ch - h) / 2, width: w, height: h };
  }

  onPreview(listener: (p: PreviewImage | null) => void): () => void {
    this.previewListeners.add(listener);
    return () => void this.previewListeners.delete(listener);
  }

  private emitPreview(p: PreviewImage | null): void {
    for (const l of [...this.previewListeners]) l(p);
  }

  private async accept(result: GenerateResult, used: GenerateSettings): Promise<void> {
    const items = this.gallery.add(result.images.map((image) => ({
      image, width: result.width, height: result.height, settings: settingsForRerun(used, image.seed), model: used.model, providers: result.providers,
      ...(result.sampler ? { ran: result.sampler } : {}),
    })));
    if (items[0]) await this.addGalleryItemToCanvas(items[0].id);
    const per = result.timings.perStepMs;
    const ran = samplerRanText(used.sampler, result.sampler);
    this.say(`Generated ${items.length} image${items.length === 1 ? '' : 's'} ${result.width}×${result.height}${ran ? ` with ${ran}` : ''} in ${(result.timings.totalMs / 1000).toFixed(1)} s (${per.toFixed(0)} ms per evaluation).`);
  }

  /** An edit's result in the gallery (it is on the canvas already), with its `parameters` text. */
  private addEditToGallery(result: EditResult, task: string): void {
    const settings = this.app.getState().settings;
    const steps = typeof result.settings.steps === 'number' ? result.settings.steps : null;
    this.gallery.add([{
      image: result.image, width: result.width, height: result.height, settings: settingsForRerun(settings, result.image.seed), model: settings.model, providers: result.providers,
      edit: { task, preset: this.app.getState().editForm.preset, steps, evaluations: result.timings.evaluations },
    }]);
  }

  // Gallery

  useSettingsOf(id: string): void {
    const item = this.gallery.item(id);
    if (!item) return;
    const known = this.app.getState().models.some((m) => m.name === item.settings.model);
    this.updateSettings(item.settings);
    this.say(known ? `Settings of seed ${item.seed} are back in the Generate panel.` : `Settings restored, but the model "${item.settings.model}" is no longer installed.`, known ? 'info' : 'warn');
  }

  async addGalleryItemToCanvas(id: string, at?: Point): Promise<void> {
    const item = this.gallery.item(id);
    if (item) await this.addImage(item.blob, { at, name: `Seed ${item.seed}` });
  }

  async exportGalleryItem(id: string): Promise<void> {
    const item = this.gallery.item(id);
    if (!item) return;
    await this.saveBytes(galleryFileName(item), item.png);
  }

  /** Menu "Export PNG": the selected gallery image, else the canvas flattened. */
  async exportPng(): Promise<void> {
    const id = this.app.getState().selectedGalleryId;
    if (id && this.gallery.item(id)) return this.exportGalleryItem(id);
    const bytes = await this.flattenCanvas();
    if (!bytes) return this.say('Nothing to export: the canvas has no visible images.', 'warn');
    await this.saveBytes(`driftline-canvas-${Date.now()}.png`, bytes);
  }

  private async saveBytes(name: string, bytes: Uint8Array): Promise<void> {
    if (!this.client) {
      downloadBytes(name, bytes);
      return this.say(`Downloaded ${name}.`);
    }
    try {
      const r = await this.client.saveFile({ suggestedName: name, bytes: bytes as Uint8Array<ArrayBuffer> });
      if (r.saved) this.say(r.path ? `Saved ${r.path}.` : `Downloaded ${name}.`);
    } catch (e) {
      this.say(`Could not export ${name}: ${message(e)}`, 'error');
    }
  }

  /** The visible layers composited at canvas size (no mask), as PNG bytes. */
  async flattenCanvas(): Promise<Uint8Array | null> {
    const doc = this.editor.doc;
    const layers = doc.layers.filter((l) => l.visible && this.bank.image(l.pixelId));
    if (!layers.length) return null;
    const canvas = document.createElement('canvas');
    canvas.width = doc.canvas.width;
    canvas.height = doc.canvas.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    for (const l of layers) {
      ctx.globalAlpha = l.opacity;
      ctx.drawImage(this.bank.image(l.pixelId)!, l.x, l.y, l.width * l.scaleX, l.height * l.scaleY);
    }
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/png'));
    return blob ? new Uint8Array(await blob.arrayBuffer()) : null;
  }

  // Images onto the canvas (generation results, drops, pastes, Open)

  /**
   * Decode an image and add it as a new top layer centred on `at` (document pixels; default the
   * canvas centre). On an empty canvas the canvas takes the image's size.
   */
  async addImage(blob: Blob, opts: { at?: Point; name?: string } = {}): Promise<string | null> {
    if (blob.type && !IMAGE_TYPES.test(blob.type)) {
      this.say(`${opts.name ?? 'That file'} is not an image this studio can open (${blob.type}).`, 'error');
      return null;
    }
    let added: { id: string; width: number; height: number };
    try {
      added = await this.bank.add(blob);
    } catch (e) {
      this.say(message(e), 'error');
      return null;
    }
    const editor = this.editor;
    const empty = editor.doc.layers.length === 0;
    if (empty) editor.update(setCanvasSize(added.width, added.height), { undoable: false });
    const at = empty ? undefined : opts.at;
    const id = editor.addImageLayer(added.id, added.width, added.height, at, opts.name);
    if (empty) editor.zoomToFit();
    return id;
  }

  async addFiles(files: Iterable<File>, at?: Point): Promise<void> {
    let n = 0;
    for (const f of files) {
      if (!IMAGE_TYPES.test(f.type)) {
        this.say(`${f.name} is not a PNG, JPEG or WebP image.`, 'warn');
        continue;
      }
      if (await this.addImage(f, { at, name: f.name })) n++;
    }
    if (n) this.say(`Added ${n} image${n === 1 ? '' : 's'} as new layer${n === 1 ? '' : 's'}.`);
  }

  async openImage(): Promise<void> {
    if (!this.client) return;
    try {
      const file = await this.client.openImage({});
      if (!file) return;
      const ext = file.name.split('.').pop()?.toLowerCase();
      const type = ext === 'jpg' || ext === 'jpeg' ? 'image/jpeg' : ext === 'webp' ? 'image/webp' : 'image/png';
      if (await this.addImage(new Blob([file.bytes.slice() as Uint8Array<ArrayBuffer>], { type }), { name: file.name })) this.say(`Opened ${file.name}.`);
    } catch (e) {
      this.say(`Could not open the image: ${message(e)}`, 'error');
    }
  }

  newCanvas(): void {
    if (this.app.getState().job) return this.say('Wait for the running job to finish (or cancel it) first.', 'warn');
    this.editor.cancel();
    const { width, height } = this.editor.doc.canvas;
    this.editor.update((doc) => {
      doc.layers = [];
      doc.mask.strokes = [];
      doc.selection = null;
      doc.dragPairs = [];
      doc.reference = null;
      doc.canvas = { width, height };
    }, { name: 'clear canvas' });
    this.editor.select(null);
    this.say('Canvas cleared (Ctrl+Z brings it back).');
  }

  // Menu

  onMenu(action: MenuAction): void {
    const active = document.activeElement as HTMLElement | null;
    const typing = !!active && (active.tagName === 'INPUT' || active.tagName === 'TEXTAREA' || active.isContentEditable);
    switch (action) {
      case 'undo':
        // The menu's Undo is the text field's while one has focus.
        if (typing) document.execCommand('undo');
        else this.editor.undo();
        break;
      case 'redo':
        if (typing) document.execCommand('redo');
        else this.editor.redo();
        break;
      case 'exportPng':
        void this.exportPng();
        break;
      case 'openImage':
        void this.openImage();
        break;
      case 'zoomIn':
        this.editor.zoomBy(1.25);
        break;
      case 'zoomOut':
        this.editor.zoomBy(1 / 1.25);
        break;
      case 'zoomToFit':
        this.editor.zoomToFit();
        break;
      default: {
        // Fails to compile when the menu (MENU_ACTIONS) gains an action not handled above; an unknown one at run time is ignored.
        const unhandled: never = action;
        void unhandled;
      }
    }
  }

  // Autosave

  private async restore(): Promise<void> {
    let backend;
    try {
      backend = await openIndexedDbBackend();
    } catch (e) {
      this.say(`Autosave is off: ${message(e)}`, 'warn');
      backend = new MemoryBackend();
    }
    this.autosaver = new Autosaver<Blob>(backend);
    let saved;
    try {
      saved = await this.autosaver.restore();
    } catch (e) {
      return this.say(`Could not read the last canvas: ${message(e)}`, 'warn');
    }
    if (!saved) return;
    try {
      const doc = deserialize(saved.json);
      for (const [id, p] of saved.pixels) {
        try {
          await this.bank.add(p.blob, id);
        } catch {
          saved.missing.push(id);
        }
      }
      this.editor.store.load(doc);
      this.editor.zoomToFit();
      this.app.setState({ savedAt: saved.savedAt });
      const lost = saved.missing.length;
      this.say(lost ? `Restored the last canvas, but ${lost} image${lost === 1 ? ' was' : 's were'} lost.` : `Restored the last canvas (saved ${new Date(saved.savedAt).toLocaleString()}).`, lost ? 'warn' : 'info');
    } catch (e) {
      this.say(e instanceof DocumentLoadError ? `The last canvas could not be restored: ${e.message}` : `Restore failed: ${message(e)}`, 'warn');
    }
  }

  private startAutosave(): void {
    const store = this.editor.store;
    this.disposers.push(
      store.onChange(() => {
        const saver = this.autosaver;
        if (!saver) return;
        const { json, pixelIds } = store.save();
        const pixel = (id: string): StoredPixels<Blob> | undefined => {
          const a = this.bank.get(id);
          return a ? { blob: a.blob, width: a.width, height: a.height } : undefined;
        };
        saver.save(json, pixelIds, pixel).then(
          () => this.app.setState({ savedAt: Date.now() }),
          (e: unknown) => this.say(`Autosave failed (the previous save is kept): ${message(e)}`, 'warn'),
        );
      }, 800),
    );
  }
}

function setCanvasSize(width: number, height: number): Recipe {
  return (doc) => {
    doc.canvas = { width, height };
  };
}

function downloadBytes(name: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(pngBlob(bytes));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function loadSettings(): Partial<GenerateSettings> {
  try {
    const raw = localStorage.getItem(SETTINGS_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : null;
    return sanitizeSettings(parsed);
  } catch {
    return {};
  }
}

function saveSettings(s: GenerateSettings): void {
  try {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(s));
  } catch {
    // Private mode or quota: settings simply are not remembered.
  }
}
