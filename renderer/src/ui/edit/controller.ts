/**
 * Editing from the studio: Apply turns the canvas into the contract's `edit` request, runs it as
 * the studio's one job (progress with its phase, previews, Cancel through `Jobs`), and lands the
 * result as ONE undoable change. Until the result arrives nothing in the document changes, so a
 * cancel or an error leaves the canvas exactly as it was. No DOM: pixels are read and written
 * through `EditPixels`, which the page implements (ui/edit/pixels.ts) and tests fake.
 */
import type { EditResult, StudioApi } from '../../../../main/api/contract.js';
import { editRequestFromDocument } from '../../document/edit-request.js';
import type { CanvasDocument, ImageLayer, Rect } from '../../document/types.js';
import { landEditResult } from '../../store/actions/edit.js';
import type { Editor } from '../../tools/editor.js';
import type { AppStore, StatusMessage } from '../app-state.js';
import { newJobId, previewEveryFor } from '../generate/settings.js';
import type { Jobs } from '../jobs.js';
import { DEFAULT_EDIT_FORM, parseEditForm, type EditForm } from './form.js';
import { chooseKind, editCandidates, KIND_LABELS, pasteGeometry, planEdit, referenceFit, toApiRequest, type EditPlan, type EncodedEdit, type Png } from './plan.js';

/** Reading and writing pixels for an edit (the page draws with canvases; tests fake it). */
export interface EditPixels {
  /** A layer drawn where it lies on a canvas of this size (PNG). */
  layerOnCanvas(layer: ImageLayer, width: number, height: number): Promise<Png>;
  /** A mask (1 = region) as a grey PNG, white = region. */
  mask(mask: Float32Array, width: number, height: number): Promise<Png>;
  /**
   * A layer drawn from the top-left of a canvas of this size, scaled by `factor` (PNG, transparent
   * elsewhere), its alpha there as a mask (PNG), and the bounding box of its opaque pixels in the
   * layer's own pixels (null when fully transparent).
   */
  layerAsReference(layer: ImageLayer, factor: number, width: number, height: number): Promise<{ image: Png; mask: Png; box: Rect | null }>;
  /** Register the result's PNG in the pixel store, pinned until `settle`: its id and natural size. */
  addResult(png: Uint8Array): Promise<{ id: string; width: number; height: number }>;
  /** The result has landed in the document (or was given up): the store may collect it like any other. */
  settle(id: string): void;
}

export interface EditHost {
  readonly app: AppStore;
  readonly editor: Editor;
  readonly jobs: Jobs;
  readonly pixels: EditPixels;
  client(): Pick<StudioApi, 'edit'> | null;
  say(text: string, level?: StatusMessage['level']): void;
  /** Add the result to the gallery; `task` names the edit ("move / resize"). */
  addToGallery(result: EditResult, task: string): void;
  /** The live preview ended (the job finished either way). */
  clearPreview(): void;
  now?(): number;
}

/** What Apply would run, for the panel. */
export interface EditChoice {
  candidates: ReturnType<typeof editCandidates>;
  kind: ReturnType<typeof chooseKind>;
  plan: ReturnType<typeof planEdit> | null;
}

export class EditController {
  constructor(private readonly host: EditHost) {}

  get form(): EditForm {
    return this.host.app.getState().editForm;
  }

  updateForm(patch: Partial<EditForm>): void {
    this.host.app.setState({ editForm: { ...this.form, ...patch } });
  }

  resetAdvanced(): void {
    const { kind, prompt, preset, memory } = this.form;
    this.host.app.setState({ editForm: { ...DEFAULT_EDIT_FORM, kind, prompt, preset, memory } });
  }

  /** The task the canvas describes now (with the user's pick) and its plan. */
  choose(doc: CanvasDocument = this.host.editor.doc): EditChoice {
    const selected = this.host.editor.ui.selected;
    const req = editRequestFromDocument(doc, { selectedLayerId: selected?.kind === 'layer' ? selected.id : null });
    const candidates = editCandidates(doc, req);
    const kind = chooseKind(candidates, this.form.kind);
    return { candidates, kind, plan: kind ? planEdit(doc, req, kind) : null };
  }

  /** Apply: run the edit the canvas describes; resolves when it has landed, failed or been cancelled. */
  async apply(): Promise<void> {
    const { app, editor, jobs } = this.host;
    const say = (t: string, l?: StatusMessage['level']) => this.host.say(t, l);
    const client = jobs.ready(this.host.client(), 'Editing', say);
    if (!client) return;
    const settings = app.getState().settings;
    if (!settings.model) return say('Pick a model in the Generate panel first: edits use it too.', 'error');
    if (editor.isBusy) editor.cancel();

    const start = editor.doc;
    const { kind, plan: outcome } = this.choose(start);
    if (!kind || !outcome) return say('Nothing to edit yet: select and move a region, add drag points, paste an image or mark a reference region.', 'error');
    if (!outcome.ok) return say(outcome.error, 'error');
    const plan = outcome.plan;
    const form = this.form;
    const parsed = parseEditForm(form);
    if (!parsed.ok) return say(parsed.errors.join(' '), 'error');
    const { steps, cfgScale, seed, options } = parsed.value;

    const jobId = newJobId();
    jobs.begin('edit', jobId, seed);
    const label = KIND_LABELS[kind];
    say(`Editing (${label.toLowerCase()}) with ${settings.model}…`);
    const t0 = this.host.now?.() ?? Date.now();
    try {
      const encoded = await this.encode(plan, start);
      const prompt = form.prompt.trim() ? form.prompt : settings.prompt;
      const request = toApiRequest(plan, encoded, {
        jobId,
        model: settings.model,
        prompt,
        referencePrompt: form.referencePrompt.trim() || undefined,
        negativePrompt: settings.negativePrompt.trim() || undefined,
        preset: form.preset,
        steps,
        cfgScale,
        seed,
        options,
        previewEvery: previewEveryFor(steps ?? 50),
      });
      const result = await client.edit(request);
      if (jobs.isCancelled(jobId)) return say('Cancelled. The canvas is unchanged.');
      const added = await this.host.pixels.addResult(result.image.png);
      let landed: boolean;
      try {
        await whenIdle(editor);
        landed = this.land(plan, start, added);
      } finally {
        this.host.pixels.settle(added.id);
      }
      if (!landed) {
        this.host.addToGallery(result, label.toLowerCase());
        return say('The image was removed while the edit ran, so the result is only in the gallery.', 'warn');
      }
      this.host.addToGallery(result, label.toLowerCase());
      const secs = (((this.host.now?.() ?? Date.now()) - t0) / 1000).toFixed(1);
      const guidance = result.guidance.kind === 'features' ? ', feature guidance' : result.guidance.reason ? `, ${result.guidance.reason}` : '';
      say(`Edited (${label.toLowerCase()}) in ${secs} s, ${result.timings.evaluations} model evaluations, ${memoryWords(result.memory)}${guidance}. Ctrl+Z restores the original.`);
    } catch (e) {
      if (errorCode(e) === 'CANCELLED' || jobs.isCancelled(jobId)) say('Cancelled. The canvas is unchanged.');
      else say(editFailure(e), 'error');
    } finally {
      jobs.end(jobId);
      this.host.clearPreview();
    }
  }

  /** Show the last edit's original instead of its result (the document is not changed). */
  showOriginal(on: boolean): void {
    const { editor } = this.host;
    if (editor.ui.showOriginal !== on) editor.store.setUi({ showOriginal: on });
  }

  private async encode(plan: EditPlan, doc: CanvasDocument): Promise<EncodedEdit> {
    const { pixels } = this.host;
    const { width, height } = plan;
    const base = doc.layers.find((l) => l.id === plan.base.layerId)!;
    const image = await pixels.layerOnCanvas(base, width, height);
    const ref = plan.reference;
    if (ref?.from === 'layer') {
      const layer = doc.layers.find((l) => l.id === ref.layerId)!;
      const factor = referenceFit(layer, width, height);
      const own = await pixels.layerAsReference(layer, factor, width, height);
      const geo = pasteGeometry(ref, own.box, factor, width, height);
      if (!geo.ok) throw new PlanError(geo.error);
      return { image, mask: await pixels.mask(geo.mask, width, height), reference: { image: own.image, mask: own.mask }, offset: geo.offset, scale: geo.scale };
    }
    const mask = await pixels.mask(plan.mask!, width, height);
    if (ref?.from === 'base') return { image, mask, reference: { image, mask: await pixels.mask(ref.mask, width, height) } };
    return { image, mask };
  }

  /**
   * One undo step: the base layer shows the result, and what described the edit is cleared if the
   * user has not changed it meanwhile. Returns false when the base layer is gone.
   */
  private land(plan: EditPlan, start: CanvasDocument, added: { id: string; width: number; height: number }): boolean {
    const { editor } = this.host;
    const now = editor.doc;
    const layer = now.layers.find((l) => l.id === plan.base.layerId);
    if (!layer) return false;
    const before = { pixelId: layer.pixelId, x: layer.x, y: layer.y, width: layer.width * layer.scaleX, height: layer.height * layer.scaleY };
    const c = plan.consumes;
    editor.update(
      landEditResult({
        layerId: layer.id,
        pixelId: added.id,
        width: added.width,
        height: added.height,
        clearSelection: c.selection && now.selection === start.selection,
        clearDragPairs: c.dragPairs && now.dragPairs === start.dragPairs,
        clearReference: c.reference && now.reference === start.reference,
        removeLayerId: c.layerId && now.layers.find((l) => l.id === c.layerId) === start.layers.find((l) => l.id === c.layerId) ? c.layerId : undefined,
      }),
      { name: `edit: ${KIND_LABELS[plan.kind].toLowerCase()}` },
    );
    editor.store.setUi({ comparison: { layerId: layer.id, before, after: added.id }, showOriginal: false });
    return true;
  }
}

/** A plan that could only be checked once pixels were read (a transparent pasted layer). */
class PlanError extends Error {
  readonly code = 'PLAN';
}

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
}

/** What attention memory did, in the status line's words. */
export function memoryWords(m: EditResult['memory']): string {
  if (m.used) return `attention memory on ${m.layers.length} layer${m.layers.length === 1 ? '' : 's'} (${Math.round(m.bytesPerStep / 1024)} KiB per step)`;
  return m.reason === 'turned off' ? 'attention memory off' : m.reason ?? 'attention memory is not available for this model';
}

/** The status line's words for a failed edit. */
export function editFailure(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  switch (errorCode(e)) {
    case 'PLAN':
      return msg;
    case 'BAD_REQUEST':
      return `The engine could not run this edit: ${msg}. The canvas is unchanged.`;
    case 'NOT_IMPLEMENTED':
      return `This engine cannot edit images yet (${msg}). The canvas is unchanged.`;
    case 'ENGINE_CRASHED':
      return `The engine stopped during the edit and is restarting: ${msg}. The canvas is unchanged; try again.`;
    case 'DISCONNECTED':
    case 'CLOSED':
      return `The connection to the engine was lost during the edit: ${msg}. The canvas is unchanged.`;
    default:
      return `The edit failed: ${msg}. The canvas is unchanged.`;
  }
}

/** Resolves once no gesture is open, so a result never lands inside (and is never bailed with) a stroke. */
export function whenIdle(editor: Editor): Promise<void> {
  if (!editor.store.history.inGesture) return Promise.resolve();
  return new Promise((resolve) => {
    const off = editor.store.store.subscribe(() => {
      if (editor.store.history.inGesture) return;
      off();
      resolve();
    });
  });
}
