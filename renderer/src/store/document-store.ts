/**
 * The zustand store holding the document, the viewport and UI session state. Every document
 * change is an immer recipe run through `produceWithPatches`; each update says whether it is
 * undoable (viewport and UI changes never are). React reads it with `useStore(docStore.store, …)`.
 */
import { produceWithPatches, type Draft } from 'immer';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createDocument } from '../document/create.js';
import { documentPixelIds, type PixelStore } from '../document/pixels.js';
import { serialize } from '../document/serialize.js';
import type { CanvasDocument } from '../document/types.js';
import { IDENTITY_VIEWPORT, type Viewport } from '../document/viewport.js';
import { History } from './history.js';
import { DEFAULT_UI, type StudioState, type UiState } from './state.js';

export type Recipe = (draft: Draft<CanvasDocument>) => void;

export interface UpdateOptions {
  /** Record the change for undo (default true). */
  undoable?: boolean;
  /** The undo step's name when no mark is open. */
  name?: string;
}

export interface DocumentStoreOptions {
  document?: CanvasDocument;
  pixels?: PixelStore;
  historyLimit?: number;
}

export class DocumentStore {
  readonly store: StoreApi<StudioState>;
  readonly history: History<CanvasDocument>;
  readonly pixels: PixelStore | undefined;

  constructor(opts: DocumentStoreOptions = {}) {
    this.pixels = opts.pixels;
    this.store = createStore<StudioState>()(() => ({
      doc: opts.document ?? createDocument(512, 512),
      viewport: IDENTITY_VIEWPORT,
      ui: DEFAULT_UI,
      history: { canUndo: false, canRedo: false, undoName: null, redoName: null },
    }));
    this.history = new History<CanvasDocument>(
      { get: () => this.doc, set: (doc) => this.setDoc(doc) },
      { limit: opts.historyLimit, onChange: () => this.syncHistory() },
    );
  }

  get doc(): CanvasDocument {
    return this.store.getState().doc;
  }
  get viewport(): Viewport {
    return this.store.getState().viewport;
  }
  get ui(): UiState {
    return this.store.getState().ui;
  }

  /** Apply a recipe to the document. */
  update(recipe: Recipe, opts: UpdateOptions = {}): void {
    const [next, patches, inverse] = produceWithPatches(this.doc, recipe);
    if (patches.length === 0) return;
    this.setDoc(next);
    if (opts.undoable !== false) this.history.record(opts.name ?? 'edit', patches, inverse);
  }

  setViewport(next: Viewport | ((v: Viewport) => Viewport)): void {
    const viewport = typeof next === 'function' ? next(this.viewport) : next;
    this.store.setState({ viewport });
  }

  setUi(partial: Partial<UiState>): void {
    this.store.setState({ ui: { ...this.ui, ...partial } });
  }

  undo(): boolean {
    return this.history.undo();
  }
  redo(): boolean {
    return this.history.redo();
  }

  /** Replace the document (open or restore); history starts afresh. */
  load(doc: CanvasDocument): void {
    this.history.clear();
    this.setDoc(doc);
  }

  /**
   * Serialise for autosave. Pixel buffers that neither the document nor the undo history
   * reference are dropped from the pixel store first; `pixelIds` are those the document needs.
   */
  save(): { json: string; pixelIds: string[] } {
    const docIds = documentPixelIds(this.doc);
    if (this.pixels) this.pixels.gc([...docIds, ...this.historyPixelIds()]);
    return { json: serialize(this.doc), pixelIds: [...docIds] };
  }

  /** Pixel ids that some undo or redo step would bring back. */
  historyPixelIds(): Set<string> {
    const ids = new Set<string>();
    for (const p of this.history.values()) {
      if (p.path.at(-1) === 'pixelId' && typeof p.value === 'string') ids.add(p.value);
      else collectPixelIds(p.value, ids);
    }
    return ids;
  }

  /**
   * Call `listener` with the document once it has stopped changing for `debounceMs` (for
   * autosave). Viewport and UI changes do not count. Returns an unsubscribe function.
   */
  onChange(listener: (doc: CanvasDocument) => void, debounceMs = 500): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = this.store.subscribe((state, prev) => {
      if (state.doc === prev.doc) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        listener(this.store.getState().doc);
      }, debounceMs);
    });
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      unsubscribe();
    };
  }

  private setDoc(doc: CanvasDocument): void {
    const ui = this.ui;
    const sel = ui.selected;
    const stale =
      (sel?.kind === 'layer' && !doc.layers.some((l) => l.id === sel.id)) ||
      (sel?.kind === 'selection' && !doc.selection) ||
      (sel?.kind === 'dragPair' && !doc.dragPairs.some((p) => p.id === sel.id)) ||
      (sel?.kind === 'reference' && !doc.reference);
    this.store.setState(stale ? { doc, ui: { ...ui, selected: null } } : { doc });
  }

  private syncHistory(): void {
    const h = this.history;
    this.store.setState({ history: { canUndo: h.canUndo, canRedo: h.canRedo, undoName: h.undoName, redoName: h.redoName } });
  }
}

function collectPixelIds(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) {
    if (typeof value[0] !== 'number') for (const v of value) collectPixelIds(v, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'pixelId' && typeof v === 'string') out.add(v);
      else collectPixelIds(v, out);
    }
  }
}
