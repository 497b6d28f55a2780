/**
 * The studio: one Editor (document, tools, history), the PixelBank, the session state, and the
 * modules that each do one job, composed here the way InvokeAI's canvas manager composes its
 * modules. The manager builds them and hands each what it needs; `start` initialises those with
 * subscriptions in order and `dispose` destroys them in reverse. React components call the
 * modules and read the stores; the canvas view draws the editor's store.
 *
 *   connection  the engine's client, its state and the catalogues (connection/connection.ts)
 *   progress    progress events to the running job, previews to the canvas (progress/progress.ts)
 *   frame       what the model allows the generation frame to be, and its size (frame/frame.ts)
 *   generation  the Generate panel's settings and Generate on what is under the frame (generate/generation.ts)
 *   queue       generations pressed while a job runs, started in turn (queue/queue.ts, owned by generation)
 *   recall      a PNG's `parameters` back into the Generate panel (recall/recall.ts)
 *   help        whether the keyboard map (`?`) is open (help/help.ts; the map is help/keymap.ts)
 *   imports     images onto the canvas: results, gallery items, drops, pastes, Open (import/import.ts)
 *   exports     PNGs out: a gallery image, the flattened canvas or the generation frame (export/export.ts)
 *   commands    the app menu's actions and Clear (commands/commands.ts)
 *   canvasSize  the canvas's size: resize, extend, crop to the frame or the selection (canvas/canvas-size.ts)
 *   canvasPrefs the mask's colour and hatching, linked brush sizes, remembered (canvas/prefs.ts)
 *   brushSize   brush and eraser sizes that follow the frame until the user picks one (brush/brush-size.ts)
 *   autosave    restore at the start, then save every settled change (autosave/autosave-module.ts)
 *   edits, upscales, searches, labs, gallery, jobs, and the status line (`say`, status.ts)
 */
import { createStudioClient } from '../api/index.js';
import type { Point } from '../document/types.js';
import { Editor } from '../tools/editor.js';
import { STUDIO_TOOLS } from '../tools/tools.js';
import { createAppState, type AppStore } from './app-state.js';
import { AutosaveModule, type AutosaveHost } from './autosave/autosave-module.js';
import { BrushSizeModule } from './brush/brush-size.js';
import { CanvasSizeModule } from './canvas/canvas-size.js';
import { CanvasPrefsModule } from './canvas/prefs.js';
import { openIndexedDbBackend } from './autosave/idb.js';
import { CommandsModule } from './commands/commands.js';
import { pageTextField } from './commands/page.js';
import { ConnectionModule, type ConnectionHost } from './connection/connection.js';
import { EditController } from './edit/controller.js';
import { pagePixels } from './edit/pixels.js';
import { ExportModule } from './export/export.js';
import { FrameModule } from './frame/frame.js';
import { downloadBytes, flattenCanvas, flattenFrame } from './export/page.js';
import { editEntry, GalleryModule, upscaleEntry } from './gallery/gallery.js';
import { GenerateModule, type GenerateHost } from './generate/generation.js';
import { HelpModule } from './help/help.js';
import { pageGeneratePixels } from './generate/pixels.js';
import type { GenerateSettings } from './generate/settings.js';
import { ImportModule } from './import/import.js';
import { Jobs } from './jobs.js';
import { LabController } from './lab/lab-controller.js';
import type { StudioModule } from './module.js';
import { PixelBank } from './pixel-bank.js';
import { ProgressModule, type PreviewImage } from './progress/progress.js';
import { RecallModule } from './recall/recall.js';
import { statusLine, type Say } from './status.js';
import { UpscaleController } from './upscale/controller.js';
import { pageUpscalePixels } from './upscale/pixels.js';
import { BoundarySearchController } from './upscale/search-controller.js';

/** What the studio takes from the page: the engine's client, the autosave store, where settings are kept. Tests hand it fakes. */
export interface StudioPage {
  connect: ConnectionHost['connect'];
  openBackend: AutosaveHost['openBackend'];
  storage: GenerateHost['storage'];
  onPageHide?: AutosaveHost['onPageHide'];
}

/** The page being hidden or left: `pagehide` (reload, close, navigation) and the tab going to the background. */
function onPageHide(listener: () => void): () => void {
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') listener();
  };
  window.addEventListener('pagehide', listener);
  document.addEventListener('visibilitychange', onVisibility);
  return () => {
    window.removeEventListener('pagehide', listener);
    document.removeEventListener('visibilitychange', onVisibility);
  };
}

const PAGE: StudioPage = { connect: () => createStudioClient(), openBackend: () => openIndexedDbBackend(), storage: () => localStorage, onPageHide };

export class Studio {
  readonly bank = new PixelBank();
  readonly app: AppStore = createAppState();
  readonly say: Say = statusLine(this.app);
  readonly jobs = new Jobs(this.app);
  readonly help = new HelpModule();
  readonly gallery: GalleryModule = new GalleryModule(this.app, () => this.connection?.client ?? null, (text, level) => this.say(text, level));
  readonly editor: Editor;
  readonly connection: ConnectionModule;
  readonly progress: ProgressModule;
  readonly frame: FrameModule;
  readonly generation: GenerateModule;
  readonly recall: RecallModule;
  readonly imports: ImportModule;
  readonly exports: ExportModule;
  readonly commands: CommandsModule;
  readonly canvasSize: CanvasSizeModule;
  readonly canvasPrefs: CanvasPrefsModule;
  readonly brushSize: BrushSizeModule;
  readonly autosave: AutosaveModule;
  readonly edits: EditController;
  readonly upscales: UpscaleController;
  readonly searches: BoundarySearchController;
  readonly labs: LabController;
  /** Initialised in this order by `start`, destroyed in reverse by `dispose`. */
  private readonly modules: StudioModule[];

  constructor(page: StudioPage = PAGE) {
    const { app, bank, jobs, gallery, say } = this;
    const client = () => this.connection.client;
    this.editor = new Editor({ tools: STUDIO_TOOLS, pixels: bank.store, onGenerate: () => void this.generation.generate() });
    const editor = this.editor;
    this.connection = new ConnectionModule({ app, say, connect: page.connect });
    this.progress = new ProgressModule({ jobs, client, doc: () => editor.doc });
    this.imports = new ImportModule({ editor, bank, gallery, client, say });
    const pixels = pagePixels(bank);
    this.frame = new FrameModule({ app, editor, client });
    this.exports = new ExportModule({
      app,
      gallery,
      client,
      say,
      flatten: () => flattenCanvas(editor.doc, bank),
      frame: () => this.frame.current(),
      flattenFrame: (rect) => flattenFrame(editor.doc, bank, rect),
      doc: () => editor.doc,
      download: downloadBytes,
    });
    this.generation = new GenerateModule({ app, editor, jobs, gallery, progress: this.progress, frame: this.frame, pixels: pageGeneratePixels(bank, pixels), client, say, storage: page.storage });
    this.recall = new RecallModule({ app, generation: this.generation, frame: this.frame, say });
    this.commands = new CommandsModule({ app, editor, imports: this.imports, exports: this.exports, text: pageTextField, client, say });
    this.canvasSize = new CanvasSizeModule({ editor, say });
    this.canvasPrefs = new CanvasPrefsModule(editor, page.storage);
    this.brushSize = new BrushSizeModule(editor);
    this.autosave = new AutosaveModule({ app, editor, bank, say, openBackend: page.openBackend, onPageHide: page.onPageHide });
    const common = { app, editor, jobs, client, say, now: () => performance.now() };
    this.edits = new EditController({
      ...common,
      pixels,
      addToGallery: (result, task) => void gallery.add([editEntry(result, task, app.getState().settings, app.getState().editForm.preset)]),
      clearPreview: () => this.progress.clear(),
    });
    this.upscales = new UpscaleController({
      ...common,
      pixels: pageUpscalePixels(bank, pixels),
      addToGallery: (result, origin) => void gallery.add([upscaleEntry(result, origin, gallery.item(origin.galleryId ?? '')?.settings ?? app.getState().settings)]),
    });
    this.searches = new BoundarySearchController(common);
    this.labs = new LabController(common);
    this.modules = [this.upscales, this.searches, this.labs, this.connection, this.gallery, this.frame, this.progress, this.generation.queue, this.commands, this.canvasPrefs, this.brushSize, this.autosave];
  }

  /** Subscribe every module, restore the last canvas, then list the engine's models. */
  async start(): Promise<void> {
    for (const m of this.modules) m.initialize();
    await this.autosave.ready;
    await this.connection.loadCatalogues();
  }

  dispose(): void {
    for (const m of [...this.modules].reverse()) m.destroy();
  }

  /** Cancel the running job, whichever panel started it. */
  cancel(): Promise<void> {
    return this.jobs.cancel(this.connection.client, this.say);
  }

  // What the page's scripts use (window.driftlineStudio: the end-to-end tests, the canvas benchmark).

  addImage(blob: Blob, opts?: { at?: Point; name?: string }): Promise<string | null> {
    return this.imports.addImage(blob, opts);
  }

  updateSettings(patch: Partial<GenerateSettings>): void {
    this.generation.updateSettings(patch);
  }

  onPreview(listener: (p: PreviewImage | null) => void): () => void {
    return this.progress.onPreview(listener);
  }
}
