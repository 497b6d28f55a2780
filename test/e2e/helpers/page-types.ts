/**
 * Structural types for the code that runs inside the studio page (`page.evaluate` bodies). The
 * tests compile under tsconfig.test.json, which has no DOM library (and must not: main/** is in
 * the same program), and the renderer's own types cannot be imported without pulling its DOM
 * code in; so, as renderer/src/api/browser-files.ts does, only the few members used are named.
 * Inside an evaluate body: `const w = globalThis as unknown as PageWindow;`.
 */

export interface LayerLike {
  id: string;
  name: string;
  pixelId: string;
  width: number;
  height: number;
  x: number;
  y: number;
  scaleX: number;
  scaleY: number;
}

export interface SelectionLike {
  shape: { kind: string; x?: number; y?: number; width?: number; height?: number };
  dx: number;
  dy: number;
}

export interface DocLike {
  canvas: { width: number; height: number };
  layers: LayerLike[];
  mask: { strokes: { id: string; points: number[]; mode: 'brush' | 'eraser'; size: number; hardness: number }[] };
  selection: SelectionLike | null;
  dragPairs: unknown[];
  reference: { x: number; y: number; width: number; height: number } | null;
  frame: { x: number; y: number; width: number; height: number } | null;
}

export interface GalleryItemLike {
  id: string;
  stored?: boolean;
  batch?: { id: string; index: number; size: number };
  seed: number;
  width: number;
  height: number;
  parameters: string;
  model: string;
}

export interface AppStateLike {
  connection: string;
  mode: string;
  models: { name: string; family?: string }[];
  samplers: { name: string }[];
  job: { id: string; kind: string; phase?: string; seed: number; cancelling: boolean; progress: { step: number; total: number } } | null;
  gallery: GalleryItemLike[];
  selectedGalleryId: string | null;
  status: { text: string; level: string } | null;
  settings: { prompt: string; steps: number; seed: number; seedLocked: boolean; model: string };
  savedAt: number | null;
}

export interface PreviewLike {
  width: number;
  height: number;
  rgb: { length: number };
  rect: { x: number; y: number; width: number; height: number };
}

export interface StudioLike {
  app: { getState(): AppStateLike; subscribe(listener: (s: AppStateLike) => void): () => void };
  editor: {
    doc: DocLike;
    currentTool: string;
    ui: {
      selected: { kind: string; id?: string } | null;
      showOriginal: boolean;
      comparison: { layerId: string; after: string; before: { pixelId: string } } | null;
      frameRules: { size: number; multiple: number; maxSide: number } | null;
    };
    store: { history: { inGesture: boolean }; store: { getState(): { history: { canUndo: boolean; canRedo: boolean; undoName: string | null } } } };
    documentToScreen(p: { x: number; y: number }): { x: number; y: number };
    setBrushOptions(mode: 'brush' | 'eraser', o: { size?: number; hardness?: number }): void;
    zoomToFit(): void;
  };
  bank: { image(id: string): object | null };
  gallery: { load(): Promise<void> };
  onPreview(listener: (p: PreviewLike | null) => void): () => void;
  updateSettings(patch: Record<string, unknown>): void;
  addImage(blob: BlobLike, opts?: { name?: string }): Promise<string | null>;
}

export interface RectLike {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ElementLike {
  getBoundingClientRect(): RectLike;
  dispatchEvent(e: unknown): boolean;
  blur?(): void;
}

export type BlobLike = object;

interface Context2dLike {
  fillStyle: string;
  fillRect(x: number, y: number, w: number, h: number): void;
  drawImage(image: object, x: number, y: number, w: number, h: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  createLinearGradient(x0: number, y0: number, x1: number, y1: number): { addColorStop(o: number, c: string): void };
}

/** The page's globals the tests touch. */
export interface PageWindow {
  driftlineStudio?: StudioLike;
  document: { body: unknown; querySelector(sel: string): (ElementLike & { textContent: string | null }) | null; activeElement: ElementLike | null; querySelectorAll(sel: string): ArrayLike<ElementLike> };
  OffscreenCanvas: new (w: number, h: number) => { getContext(kind: '2d'): Context2dLike | null; convertToBlob(o?: { type?: string }): Promise<BlobLike> };
  File: new (parts: BlobLike[], name: string, opts?: { type?: string }) => BlobLike;
  DataTransfer: new () => { items: { add(f: BlobLike): unknown }; types: readonly string[] };
  DragEvent: new (type: string, init: Record<string, unknown>) => unknown;
  MutationObserver: new (cb: () => void) => { observe(target: unknown, o: { childList: boolean; subtree: boolean; characterData?: boolean; attributes?: boolean }): void; disconnect(): void };
  WebSocket: new (url: string) => { onopen: (() => void) | null; onerror: (() => void) | null; onclose: ((e: { code: number }) => void) | null; close(): void };
  requestAnimationFrame(cb: (t: number) => void): number;
  performance: { now(): number; timeOrigin: number; getEntriesByName(name: string): { startTime: number }[] };
  location: { href: string };
  [key: `__e2e${string}`]: unknown;
}
