/**
 * Generation from the studio: the Generate panel's settings (remembered between sessions), Generate
 * as the studio's one job (seed drawn unless locked, progress and previews through the progress
 * module, Cancel through `Jobs`) on what is under the generation frame — nothing: text to image;
 * an image: image to image at the panel's strength; an image with a painted mask: inpainting; an
 * image under part of the frame: outpainting the rest — and its results into the gallery, the
 * first landing in the frame as a new layer in one undo step; a gallery item's settings back into
 * the panel. No DOM: pixels go through `GeneratePixels` (the page's canvases; tests fake them),
 * settings are kept in a `SettingsStorage` (localStorage in the page).
 */
import type { GenerateResult, StudioApi } from '../../../../main/api/contract.js';
import { createImageLayer } from '../../document/create.js';
import { frameMask, type FrameMode, type FrameRules } from '../../document/frame.js';
import { layerBox } from '../../document/geometry.js';
import type { CanvasDocument, Rect } from '../../document/types.js';
import { canvasGrowth, landGeneration } from '../../store/actions/frame.js';
import type { Editor } from '../../tools/editor.js';
import type { AppStore } from '../app-state.js';
import { whenIdle } from '../edit/controller.js';
import type { FrameModule } from '../frame/frame.js';
import type { GalleryModule, NewGalleryItem } from '../gallery/gallery.js';
import type { Jobs } from '../jobs.js';
import type { ProgressModule } from '../progress/progress.js';
import { GenerationQueue } from '../queue/queue.js';
import { errorText, type Say } from '../status.js';
import { newJobId, sanitizeSettings, samplerRanText, seedForRun, settingsForRerun, toGenerateRequest, validateSettings, type FrameRequest, type GenerateSettings } from './settings.js';
import { forInpaintingModel, frameSource, type FrameSource, type Rgba } from './source.js';

type Png = Uint8Array<ArrayBuffer>;

/** Reading and writing pixels for a generation (the page draws with canvases; tests fake it). */
export interface GeneratePixels {
  /** The visible layers composited under `rect` (document pixels): straight-alpha RGBA, transparent where no layer is. */
  composite(doc: CanvasDocument, rect: Rect): Promise<Rgba>;
  /** An RGBA image as PNG. */
  png(image: Rgba): Promise<Png>;
  /** A mask (1 = regenerate) as a grey PNG, white = regenerate. */
  mask(mask: Float32Array, width: number, height: number): Promise<Png>;
  /** Register a result's PNG in the pixel store, pinned until `settle`: its id and natural size. */
  addResult(png: Uint8Array): Promise<{ id: string; width: number; height: number }>;
  /** The result has landed (or was given up): the store may collect it like any other. */
  settle(id: string): void;
}

/** Where the settings are remembered (the page's localStorage; absent, they are not). */
export interface SettingsStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const SETTINGS_KEY = 'driftline.generate-settings';

export interface GenerateHost {
  readonly app: AppStore;
  readonly editor: Editor;
  readonly jobs: Jobs;
  readonly gallery: Pick<GalleryModule, 'add' | 'item'>;
  readonly progress: Pick<ProgressModule, 'setGenerationRect' | 'clear'>;
  readonly frame: Pick<FrameModule, 'rules' | 'current' | 'fitEmptyCanvas' | 'setSize'>;
  readonly pixels: GeneratePixels;
  client(): Pick<StudioApi, 'generate'> | null;
  say: Say;
  storage(): SettingsStorage | null;
}

/** The undo step's name for each mode, and the words the status line adds after the size. */
const MODE_NAMES: Record<FrameMode, string> = { txt2img: 'generate', img2img: 'image to image', inpaint: 'inpaint', outpaint: 'outpaint' };
const MODE_VERBS: Record<FrameMode, string> = { txt2img: 'Generating', img2img: 'Redrawing the frame (image to image)', inpaint: 'Inpainting the mask', outpaint: 'Outpainting the frame' };

export class GenerateModule {
  /** Generations pressed while a job runs, started one by one as jobs end (a module: the studio initialises it). */
  readonly queue: GenerationQueue;

  /** Takes the remembered settings into the app store at once, before the panel first draws. */
  constructor(private readonly host: GenerateHost) {
    host.app.setState({ settings: { ...host.app.getState().settings, ...this.load() } });
    this.queue = new GenerationQueue({ app: host.app, run: (s) => this.run(s) });
  }

  updateSettings(patch: Partial<GenerateSettings>): void {
    const settings = { ...this.host.app.getState().settings, ...patch };
    this.host.app.setState({ settings });
    this.save(settings);
  }

  /**
   * Generate pressed: with the panel's settings on what is under the frame, at once when nothing
   * runs (resolves when the result has landed, failed or been cancelled), else queued behind the
   * running job and the generations already waiting (resolves at once).
   */
  async generate(): Promise<void> {
    const { app, jobs } = this.host;
    const settings = app.getState().settings;
    if (!this.queue.mustWait) return this.run(settings);
    if (!this.host.client()) return void jobs.ready(null, 'Generation', this.host.say);
    const errors = validateSettings(settings);
    if (errors.length) return this.host.say(errors.join(' '), 'error');
    this.queue.add(settings);
    const n = this.queue.waiting.length;
    this.host.say(`Queued: ${n} generation${n === 1 ? '' : 's'} waiting; each starts when the one before it ends.`);
  }

  /** One generation with `settings` on what is under the frame when it starts; resolves when the result has landed, failed or been cancelled. */
  async run(settings: GenerateSettings): Promise<void> {
    const { app, jobs, progress, editor, frame } = this.host;
    const say: Say = (t, l) => this.host.say(t, l);
    const client = jobs.ready(this.host.client(), 'Generation', say);
    if (!client) return;
    const errors = validateSettings(settings);
    if (errors.length) return say(errors.join(' '), 'error');
    if (editor.isBusy) editor.cancel();
    const jobId = newJobId();
    const seed = seedForRun(settings);
    if (!settings.seedLocked) this.updateSettings({ seed });
    jobs.begin('generate', jobId, seed);
    try {
      const rules = await frame.rules();
      frame.fitEmptyCanvas();
      const rect = frame.current();
      const inpainting = app.getState().models.find((m) => m.name === settings.model)?.family === 'inpaint';
      const found = await this.source(editor.doc, rect);
      const source = inpainting ? forInpaintingModel(found, rect.width, rect.height) : found;
      const used: GenerateSettings = { ...settings, seed, ...sizeSettings(rect, rules) };
      progress.setGenerationRect(rect);
      say(`${MODE_VERBS[source.mode]} with ${settings.model} (seed ${seed})…`);
      const request = toGenerateRequest(used, jobId, seed, await this.encode(source, rect));
      if (jobs.isCancelled(jobId)) return say('Cancelled.');
      const result = await client.generate(request);
      if (jobs.isCancelled(jobId)) return say('Cancelled.');
      await this.accept(result, used, rect, source);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'CANCELLED' || jobs.isCancelled(jobId)) say('Cancelled.');
      else say(`Generation failed: ${errorText(e)}`, 'error');
    } finally {
      jobs.end(jobId);
      progress.clear();
    }
  }

  /** "Use these settings again": a gallery item's settings (seed locked) back in the panel. */
  useSettingsOf(id: string): void {
    const item = this.host.gallery.item(id);
    if (!item) return;
    const known = this.host.app.getState().models.some((m) => m.name === item.settings.model);
    this.updateSettings(item.settings);
    this.restoreSize(item.settings);
    this.host.say(known ? `Settings of seed ${item.seed} are back in the Generate panel.` : `Settings restored, but the model "${item.settings.model}" is no longer installed.`, known ? 'info' : 'warn');
  }

  /** What is under the frame: nothing (no visible layer reaches it), or the layers composited there with the mask painted there. */
  private async source(doc: CanvasDocument, rect: Rect): Promise<FrameSource> {
    const reaches = doc.layers.some((l) => l.visible && overlaps(layerBox(l), rect));
    if (!reaches) return { mode: 'txt2img', init: null, mask: null };
    return frameSource(await this.host.pixels.composite(doc, rect), frameMask(doc, rect));
  }

  private async encode(source: FrameSource, rect: Rect): Promise<FrameRequest> {
    const { pixels } = this.host;
    const out: FrameRequest = { width: rect.width, height: rect.height };
    if (source.init) out.init = await pixels.png(source.init);
    if (source.mask) out.mask = await pixels.mask(source.mask, rect.width, rect.height);
    return out;
  }

  private async accept(result: GenerateResult, used: GenerateSettings, rect: Rect, source: FrameSource): Promise<void> {
    const items = this.host.gallery.add(generationEntries(result, used));
    if (result.gallery && 'error' in result.gallery) this.host.say(`Generated, but ${result.gallery.error}.`, 'warn');
    const first = result.images[0];
    if (first) await this.land(first.png, first.seed, rect, source.mode, first.parameters);
    const per = result.timings.perStepMs;
    const ran = samplerRanText(used.sampler, result.sampler);
    this.host.say(`Generated ${items.length} image${items.length === 1 ? '' : 's'} ${result.width}×${result.height}${modeWords(source, used)}${ran ? ` with ${ran}` : ''} in ${(result.timings.totalMs / 1000).toFixed(1)} s (${per.toFixed(0)} ms per evaluation).`);
  }

  /**
   * The result as a new top layer over the frame it ran in, the canvas grown to take it in: one
   * undo step. Where the canvas grows left or up the document shifts, and the view with it, so
   * nothing moves on screen.
   */
  private async land(png: Uint8Array, seed: number, rect: Rect, mode: FrameMode, parameters?: string): Promise<void> {
    const { editor, pixels } = this.host;
    const added = await pixels.addResult(png);
    try {
      await whenIdle(editor);
      const layer = createImageLayer({ pixelId: added.id, width: added.width, height: added.height, name: mode === 'txt2img' ? `Seed ${seed}` : `Seed ${seed} (${MODE_NAMES[mode]})`, parameters });
      const grown = canvasGrowth(editor.doc.canvas, rect);
      editor.update(landGeneration(rect, layer), { name: MODE_NAMES[mode] });
      if (grown.dx || grown.dy) editor.panBy(-grown.dx * editor.viewport.zoom, -grown.dy * editor.viewport.zoom);
      editor.select({ kind: 'layer', id: layer.id });
    } finally {
      pixels.settle(added.id);
    }
  }

  /** A gallery item's size back on the frame (when it differs). */
  private restoreSize(s: GenerateSettings): void {
    const frame = this.host.frame.current();
    const rules = this.host.editor.ui.frameRules;
    const width = s.sizeMode === 'custom' ? s.width : rules?.size;
    const height = s.sizeMode === 'custom' ? s.height : rules?.size;
    if (width === undefined || height === undefined || (width === frame.width && height === frame.height)) return;
    this.host.frame.setSize(width, height);
  }

  private load(): Partial<GenerateSettings> {
    try {
      const raw = this.host.storage()?.getItem(SETTINGS_KEY);
      const parsed: unknown = raw ? JSON.parse(raw) : null;
      return sanitizeSettings(parsed);
    } catch {
      return {};
    }
  }

  private save(s: GenerateSettings): void {
    try {
      this.host.storage()?.setItem(SETTINGS_KEY, JSON.stringify(s));
    } catch {
      // Private mode or quota: settings simply are not remembered.
    }
  }
}

/** A generation's images as gallery items, each with the settings that rerun it (its own seed). */
export function generationEntries(result: GenerateResult, used: GenerateSettings): NewGalleryItem[] {
  const batchId = result.gallery && 'batch' in result.gallery ? result.gallery.batch : undefined;
  return result.images.map((image, index) => ({
    image, width: result.width, height: result.height, settings: settingsForRerun(used, image.seed), model: used.model, providers: result.providers,
    ...(result.sampler ? { ran: result.sampler } : {}),
    ...(batchId ? { batch: { id: batchId, index, size: result.images.length } } : {}),
  }));
}

/** The settings' size for a frame: 'default' when it is the model's trained size. */
export function sizeSettings(rect: Rect, rules: FrameRules): Pick<GenerateSettings, 'sizeMode' | 'width' | 'height'> {
  const trained = rect.width === rules.size && rect.height === rules.size;
  return { sizeMode: trained ? 'default' : 'custom', width: rect.width, height: rect.height };
}

/** What the status line says a generation did beyond making an image (nothing for text to image). */
export function modeWords(source: FrameSource, used: Pick<GenerateSettings, 'strength'>): string {
  const strength = `strength ${used.strength.toFixed(2)}`;
  if (source.mode === 'img2img') return source.mask ? ' (image to image: an inpainting model redraws the whole frame)' : ` (image to image, ${strength})`;
  if (source.mode === 'inpaint') return ` (inpainting the mask, ${strength})`;
  if (source.mode !== 'outpaint' || !source.mask) return '';
  const share = source.mask.reduce((a, v) => a + v, 0) / source.mask.length;
  return ` (outpainting ${Math.round(share * 100)} % of the frame, ${strength})`;
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
