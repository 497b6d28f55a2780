/**
 * Upscaling from the studio: a canvas layer or a gallery item becomes the contract's `upscale`
 * request (its own pixels as PNG, the Upscale panel's model, sampler, steps, boundary condition
 * and seed), runs as the studio's one job (progress, ETA and Cancel through `Jobs`), and lands —
 * a layer's result as a NEW layer in ONE undoable change (store/actions/upscale.ts says where it
 * sits), a gallery item's as a new gallery item. Until the result arrives nothing changes, so a
 * cancel or an error leaves everything as it was. No DOM: pixels go through `UpscalePixels`.
 */
import { createStore } from 'zustand/vanilla';
import type { StudioApi, UpscaleRequest, UpscaleResult } from '../../../../main/api/contract.js';
import { makeId } from '../../document/ids.js';
import type { ImageLayer } from '../../document/types.js';
import { feasiblePlacement, formatFactor, landUpscale, upscaleFactors } from '../../store/actions/upscale.js';
import type { Editor } from '../../tools/editor.js';
import type { AppStore, StatusMessage } from '../app-state.js';
import { whenIdle } from '../edit/controller.js';
import type { Png } from '../edit/plan.js';
import { newJobId } from '../generate/settings.js';
import type { Jobs } from '../jobs.js';
import type { StudioModule } from '../module.js';
import { DEFAULT_UPSCALE_FORM, followUpscalers, parseUpscaleForm, type UpscaleForm } from './form.js';
import { boundaryText, isCancelled, srFailure } from './summary.js';

/** Reading a layer's pixels and registering a result (the page uses canvases; tests fake it). */
export interface UpscalePixels {
  /** The layer's own pixels at their natural size (not as drawn on the canvas), as PNG. */
  layerPng(layer: ImageLayer): Promise<Png>;
  /** Register the result's PNG in the pixel store, pinned until `settle`: its id and natural size. */
  addResult(png: Uint8Array): Promise<{ id: string; width: number; height: number }>;
  settle(id: string): void;
}

/** Where an upscale's result came from, for its gallery item. */
export interface UpscaleOrigin {
  model: string;
  factor: number;
  from: { width: number; height: number };
  steps: number | null;
  /** The gallery item that was upscaled (its settings carry over), if it was one. */
  galleryId?: string;
}

export interface UpscaleHost {
  readonly app: AppStore;
  readonly editor: Editor;
  readonly jobs: Jobs;
  readonly pixels: UpscalePixels;
  client(): Pick<StudioApi, 'upscale'> | null;
  say(text: string, level?: StatusMessage['level']): void;
  addToGallery(result: UpscaleResult, origin: UpscaleOrigin): void;
  now?(): number;
}

export interface UpscaleState {
  form: UpscaleForm;
}

type Request = Omit<UpscaleRequest, 'jobId' | 'image'>;

export class UpscaleController implements StudioModule {
  readonly store = createStore<UpscaleState>()(() => ({ form: DEFAULT_UPSCALE_FORM }));
  private off: (() => void) | null = null;

  constructor(private readonly host: UpscaleHost) {}

  /** Keep the form's model an installed upscaler as the model list arrives and changes. */
  initialize(): void {
    this.off = followUpscalers(this.host.app, () => this.form.model, (model) => this.updateForm({ model }));
  }

  destroy(): void {
    this.off?.();
    this.off = null;
  }

  get form(): UpscaleForm {
    return this.store.getState().form;
  }

  updateForm(patch: Partial<UpscaleForm>): void {
    this.store.setState({ form: { ...this.form, ...patch } });
  }

  /** The layer Upscale acts on: the given one, else the selected image layer. */
  sourceLayer(id?: string): ImageLayer | null {
    const { editor } = this.host;
    const sel = editor.ui.selected;
    const want = id ?? (sel?.kind === 'layer' ? sel.id : undefined);
    return editor.doc.layers.find((l) => l.id === want) ?? null;
  }

  /** Upscale a canvas layer (default the selected one) into a new layer; resolves when it has landed, failed or been cancelled. */
  async upscaleLayer(layerId?: string): Promise<void> {
    const source = this.sourceLayer(layerId);
    if (!source) return this.host.say('Select an image layer to upscale (click it in the Layers panel).', 'error');
    const { editor, pixels } = this.host;
    await this.run(`"${source.name}"`, { width: source.width, height: source.height }, () => pixels.layerPng(source), async (result, req) => {
      const added = await pixels.addResult(result.image.png);
      let landed: { placement: string; fellBack: boolean } | null;
      try {
        await whenIdle(editor);
        landed = this.land(source.id, added);
      } finally {
        pixels.settle(added.id);
      }
      this.host.addToGallery(result, this.origin(req, source, result));
      if (!landed) return { text: `The layer "${source.name}" was removed while it was upscaled, so the result is only in the gallery.`, level: 'warn' };
      const where = landed.placement === 'grow' ? 'the canvas grew to match' : landed.fellBack ? 'the canvas would pass its largest size, so the layer is drawn scaled instead' : 'drawn scaled over the original';
      return { text: `new layer, ${where}. Ctrl+Z removes it.` };
    });
  }

  /** Upscale a gallery item into a new gallery item. */
  async upscaleGalleryItem(id: string): Promise<void> {
    const item = this.host.app.getState().gallery.find((g) => g.id === id);
    if (!item) return this.host.say('That image is no longer in the gallery.', 'error');
    await this.run(`the gallery image (seed ${item.seed})`, { width: item.width, height: item.height }, async () => item.png.slice(), async (result, req) => {
      this.host.addToGallery(result, { ...this.origin(req, item, result), galleryId: item.id });
      return { text: 'added to the gallery.' };
    });
  }

  /**
   * The steps every upscale shares: checks, the job, the request, and the status line, which
   * names the boundary condition the engine used. `land` puts the result where it belongs.
   */
  private async run(label: string, size: { width: number; height: number }, image: () => Promise<Png>,
    land: (result: UpscaleResult, req: Request) => Promise<{ text: string; level?: StatusMessage['level'] }>): Promise<void> {
    const { jobs } = this.host;
    const say = (t: string, l?: StatusMessage['level']) => this.host.say(t, l);
    const client = jobs.ready(this.host.client(), 'Upscaling', say);
    if (!client) return;
    const parsed = parseUpscaleForm(this.form, this.host.app.getState().models);
    if (!parsed.ok) return say(parsed.errors.join(' '), 'error');
    const req = parsed.value;
    const jobId = newJobId();
    const seed = req.seed ?? 0;
    jobs.begin('upscale', jobId, seed);
    say(`Upscaling ${label} (${size.width}×${size.height}) with ${req.model}…`);
    const t0 = this.now();
    try {
      const result = await client.upscale({ ...req, jobId, image: await image() });
      if (jobs.isCancelled(jobId)) return say('Cancelled. Nothing was changed.');
      const outcome = await land(result, req);
      const f = formatFactor(result.width / size.width);
      const secs = ((this.now() - t0) / 1000).toFixed(1);
      say(`Upscaled ${label} ${f}× to ${result.width}×${result.height} in ${secs} s from a ${boundaryText(result.boundary, { bc: req.bc ?? 'auto', seed })}: ${outcome.text}`, outcome.level ?? 'info');
    } catch (e) {
      if (isCancelled(e) || jobs.isCancelled(jobId)) say('Cancelled. Nothing was changed.');
      else say(srFailure(e, 'upscale', 'Nothing was changed.'), 'error');
    } finally {
      jobs.end(jobId);
    }
  }

  /** One undo step: the new layer above its source (null when the source is gone). */
  private land(sourceId: string, added: { id: string; width: number; height: number }): { placement: string; fellBack: boolean } | null {
    const { editor } = this.host;
    const source = editor.doc.layers.find((l) => l.id === sourceId);
    if (!source) return null;
    const chosen = feasiblePlacement(editor.doc, source, added.width, added.height, this.form.placement);
    const layerId = makeId('layer');
    if (editor.isBusy) editor.cancel();
    editor.update(landUpscale({ sourceId, pixelId: added.id, width: added.width, height: added.height, placement: chosen.placement, layerId }), { name: 'upscale layer' });
    editor.select({ kind: 'layer', id: layerId });
    if (chosen.placement === 'grow') {
      // The last edit's before/after was measured on the old canvas.
      editor.store.setUi({ comparison: null, showOriginal: false });
      editor.zoomToFit();
    }
    return chosen;
  }

  private origin(req: Request, source: { width: number; height: number }, result: UpscaleResult): UpscaleOrigin {
    return { model: req.model, factor: upscaleFactors(source, result.width, result.height).fx, from: { width: source.width, height: source.height }, steps: result.steps ?? req.steps ?? null };
  }

  private now(): number {
    return this.host.now?.() ?? Date.now();
  }
}
