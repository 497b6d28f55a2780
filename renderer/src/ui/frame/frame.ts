/**
 * The generation frame from the studio's side: what the selected model allows it to be (asked of
 * the engine when the model changes, into the editor's UI state, where the frame tool and the
 * canvas read it), and the frame's size from the Generate panel (the model's trained size, a preset,
 * or typed sides) as undoable changes. Switching to a model with another trained size gives a
 * placed frame that size (its proportions kept), as InvokeAI's bounding box does. No DOM.
 */
import type { StudioApi } from '../../../../main/api/contract.js';
import { effectiveFrame, FALLBACK_FRAME_RULES, resizeFrameAboutCentre, snapSide, type FrameRules } from '../../document/frame.js';
import type { Rect } from '../../document/types.js';
import { setFrame } from '../../store/actions/frame.js';
import type { Editor } from '../../tools/editor.js';
import type { AppStore } from '../app-state.js';
import type { StudioModule } from '../module.js';
import { frameRulesFromEntry, frameRulesFromInfo } from './rules.js';

export interface FrameHost {
  readonly app: AppStore;
  readonly editor: Editor;
  client(): Pick<StudioApi, 'inspectModel'> | null;
}

export class FrameModule implements StudioModule {
  private readonly known = new Map<string, Promise<FrameRules | null>>();
  private off: (() => void) | null = null;
  /** The model whose rules the editor holds (or is being given). */
  private model = '';

  constructor(private readonly host: FrameHost) {}

  initialize(): void {
    this.off = this.host.app.subscribe((s, prev) => {
      if (s.settings.model !== prev.settings.model || s.models !== prev.models) void this.rules();
    });
    void this.rules();
  }

  destroy(): void {
    this.off?.();
    this.off = null;
  }

  /**
   * The selected model's rules, asked of the engine once per model (the fallback while it cannot
   * say); they are given to the editor when they arrive for the model still selected.
   */
  async rules(): Promise<FrameRules> {
    const model = this.host.app.getState().settings.model;
    if (!model) return this.host.editor.ui.frameRules ?? FALLBACK_FRAME_RULES;
    this.model = model;
    const rules = await this.ask(model);
    if (rules && this.model === model) this.adopt(rules);
    return rules ?? this.host.editor.ui.frameRules ?? FALLBACK_FRAME_RULES;
  }

  /** The frame Generate would use now. */
  current(): Rect {
    return effectiveFrame(this.host.editor.doc, this.host.editor.ui.frameRules ?? FALLBACK_FRAME_RULES);
  }

  /** Resize the frame about its centre (sides snapped to the model's multiple); one undo step. */
  setSize(width: number, height: number): void {
    const { editor } = this.host;
    const rules = editor.ui.frameRules ?? FALLBACK_FRAME_RULES;
    if (editor.isBusy) editor.cancel();
    editor.update(setFrame(resizeFrameAboutCentre(this.current(), width, height, editor.doc.canvas, rules)), { name: 'resize frame' });
  }

  /** The model's trained size. */
  resetSize(): void {
    const size = (this.host.editor.ui.frameRules ?? FALLBACK_FRAME_RULES).size;
    this.setSize(size, size);
  }

  /**
   * Before the first image: the empty canvas takes the frame's size and the frame moves to its
   * origin, so the result fills the canvas as a first image always has (not undoable, like the
   * canvas taking a first dropped image's size).
   */
  fitEmptyCanvas(): void {
    const { editor } = this.host;
    if (editor.doc.layers.length) return;
    const frame = this.current();
    editor.update((doc) => {
      doc.canvas = { width: frame.width, height: frame.height };
      if (doc.frame) doc.frame = { x: 0, y: 0, width: frame.width, height: frame.height };
    }, { undoable: false });
    editor.zoomToFit();
  }

  private ask(model: string): Promise<FrameRules | null> {
    // The model list says the sizes; only an engine that does not is asked to open the pack.
    const listed = frameRulesFromEntry(this.host.app.getState().models.find((m) => m.name === model));
    if (listed) return Promise.resolve(listed);
    let pending = this.known.get(model);
    if (!pending) {
      const client = this.host.client();
      if (!client) return Promise.resolve(null);
      pending = Promise.resolve()
        .then(() => client.inspectModel({ model }))
        .then((r) => frameRulesFromInfo(r.info))
        .catch(() => null);
      this.known.set(model, pending);
      // An engine that could not answer is asked again next time.
      void pending.then((r) => r ?? this.known.delete(model));
    }
    return pending;
  }

  private adopt(rules: FrameRules): void {
    const { editor } = this.host;
    const before = editor.ui.frameRules;
    if (before && before.size === rules.size && before.multiple === rules.multiple && before.maxSide === rules.maxSide) return;
    editor.store.setUi({ frameRules: rules });
    const frame = editor.doc.frame;
    if (!before || before.size === rules.size || !frame) return;
    // Another trained size: the placed frame takes it, proportions kept (not an undo step of its own).
    const aspect = frame.width / frame.height;
    const width = snapSide(rules.size * Math.sqrt(aspect), rules), height = snapSide(rules.size / Math.sqrt(aspect), rules);
    editor.update(setFrame(resizeFrameAboutCentre(frame, width, height, editor.doc.canvas, rules)), { undoable: false });
  }
}
