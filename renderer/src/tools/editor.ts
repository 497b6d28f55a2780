/**
 * The headless editor: routes pointer, wheel and key input (screen coordinates) to the active
 * tool's state machine, owns the viewport maths and the shortcuts, and changes the document only
 * through the DocumentStore. No DOM, no Konva: the UI layer forwards events and draws the store.
 * It is handed its tools (tldraw's `Editor` takes `tools` the same way) and imports none of them.
 */
import { createImageLayer } from '../document/create.js';
import type { PixelStore } from '../document/pixels.js';
import type { CanvasDocument, Point } from '../document/types.js';
import { documentToScreen, fitViewport, panBy, screenToDocument, zoomAt, type Viewport } from '../document/viewport.js';
import { addLayer, removeLayer } from '../store/actions/layers.js';
import { removeDragPair } from '../store/actions/drag-points.js';
import { setReference } from '../store/actions/reference.js';
import { setSelection } from '../store/actions/selection.js';
import { DocumentStore, type Recipe, type UpdateOptions } from '../store/document-store.js';
import type { BrushOptions, SelectedItem, ToolId, UiState } from '../store/state.js';
import { Inputs } from './inputs.js';
import { ToolRegistry } from './registry.js';
import { handleShortcut } from './shortcuts.js';
import type { StateNode } from './state-node.js';
import type { Tool, ToolDefinition } from './tool.js';
import { ZOOM_STEP, type KeyInput, type Modifiers, type PointerInput, type WheelInput } from './types.js';

export interface EditorOptions {
  store?: DocumentStore;
  document?: CanvasDocument;
  pixels?: PixelStore;
  /** Ctrl/Cmd+Enter. */
  onGenerate?: (editor: Editor) => void;
  /** The tools, in toolbar order (the studio's list is tools.ts); the first is active at the start. */
  tools: readonly ToolDefinition[];
}

export class Editor {
  readonly store: DocumentStore;
  readonly inputs = new Inputs();
  onGenerate: ((editor: Editor) => void) | undefined;
  /** The stage's size in screen pixels (for +/− zoom about its centre and zoom-to-fit). */
  screenSize = { width: 0, height: 0 };
  /** The tools as they declare themselves: the toolbar, the shortcuts and the cursor read them. */
  readonly tools: ToolRegistry;
  private readonly machines = new Map<ToolId, Tool>();
  private tool: Tool;
  private toolId: ToolId;
  /** A hold key is down: the tool to return to when it is released. */
  private held: { key: string; returnTo: ToolId } | null = null;

  constructor(opts: EditorOptions) {
    this.store = opts.store ?? new DocumentStore({ document: opts.document, pixels: opts.pixels });
    this.onGenerate = opts.onGenerate;
    this.tools = new ToolRegistry(opts.tools);
    for (const definition of this.tools.list) this.machines.set(definition.id, definition.create(this, definition));
    const first = this.machines.get(this.tools.list[0].id)!;
    this.toolId = first.id;
    this.tool = first;
    this.tool.enter();
    if (this.ui.tool !== first.id) this.store.setUi({ tool: first.id });
    this.sync();
  }

  get doc(): CanvasDocument {
    return this.store.doc;
  }
  get viewport(): Viewport {
    return this.store.viewport;
  }
  get ui(): UiState {
    return this.store.ui;
  }
  get currentTool(): ToolId {
    return this.toolId;
  }
  /** The tools as they declare themselves (id, key, cursor, toolbar button), in toolbar order. */
  toolList(): readonly ToolDefinition[] {
    return this.tools.list;
  }
  toolById(id: ToolId): ToolDefinition | undefined {
    return this.tools.get(id);
  }
  /** The tool whose shortcut is `key` (case-insensitive), if any. */
  toolForKey(key: string): ToolDefinition | undefined {
    return this.tools.forKey(key);
  }
  /** The active state path, e.g. 'brush.drawing'. */
  toolState(): string {
    return this.tool.path();
  }
  /** A gesture is under way: a mark is open or the tool is not idle. */
  get isBusy(): boolean {
    return this.store.history.inGesture || !this.toolState().endsWith('.idle');
  }

  setTool(id: ToolId): void {
    const next = this.machines.get(id);
    if (!next) throw new Error(`unknown tool "${id}"`);
    if (this.isBusy) this.cancel();
    this.tool.exit();
    this.toolId = id;
    this.tool = next;
    this.tool.enter();
    this.store.setUi({ tool: id });
    this.sync();
  }

  pointerDown(info: PointerInput): void {
    if ((info.button ?? 0) !== 0) return;
    this.inputs.pointer('down', info, this.viewport);
    this.dispatch('onPointerDown', info);
  }
  pointerMove(info: PointerInput): void {
    this.inputs.pointer('move', info, this.viewport);
    this.dispatch('onPointerMove', info);
  }
  pointerUp(info: PointerInput): void {
    if ((info.button ?? 0) !== 0) return;
    this.inputs.pointer('up', info, this.viewport);
    this.dispatch('onPointerUp', info);
  }

  /** The wheel zooms about the pointer. */
  wheel(info: WheelInput): void {
    this.inputs.updateModifiers(info);
    this.store.setViewport((v) => zoomAt(v, { x: info.x, y: info.y }, Math.exp(-info.deltaY * 0.002)));
    this.dispatch('onWheel', info);
  }

  keyDown(key: string, mods: Modifiers = {}): void {
    const info = this.keyInput(key, mods, true);
    if (key === 'Escape') return void handleShortcut(this, info);
    const held = this.tools.forHoldKey(key);
    if (held) return this.hold(key, held.id);
    this.dispatch('onKeyDown', info);
    handleShortcut(this, info);
  }

  keyUp(key: string, mods: Modifiers = {}): void {
    const info = this.keyInput(key, mods, false);
    if (this.tools.forHoldKey(key)) return this.release(key);
    this.dispatch('onKeyUp', info);
  }

  /** Escape: the active gesture bails back to its mark and the tool returns to idle. */
  cancel(): void {
    this.dispatch('onCancel', undefined);
    this.store.history.bailAll();
  }

  undo(): void {
    if (this.isBusy) return this.cancel();
    this.store.undo();
  }
  redo(): void {
    if (this.isBusy) this.cancel();
    this.store.redo();
  }

  // Viewport

  screenToDocument(p: Point): Point {
    return screenToDocument(this.viewport, p);
  }
  documentToScreen(p: Point): Point {
    return documentToScreen(this.viewport, p);
  }
  setScreenSize(width: number, height: number): void {
    this.screenSize = { width, height };
  }
  zoomBy(factor: number, around: Point = { x: this.screenSize.width / 2, y: this.screenSize.height / 2 }): void {
    this.store.setViewport((v) => zoomAt(v, around, factor));
  }
  panBy(dx: number, dy: number): void {
    this.store.setViewport((v) => panBy(v, dx, dy));
  }
  zoomToFit(): void {
    if (this.screenSize.width > 0 && this.screenSize.height > 0) this.store.setViewport(fitViewport(this.doc.canvas, this.screenSize));
  }

  // Document operations shared by tools and shortcuts

  update(recipe: Recipe, opts?: UpdateOptions): void {
    this.store.update(recipe, opts);
  }

  select(item: SelectedItem | null): void {
    this.store.setUi({ selected: item });
  }

  /** Delete removes the selected layer (or clears the selection / removes the selected drag pair). */
  deleteSelected(): void {
    const sel = this.ui.selected;
    if (!sel || this.isBusy) return;
    if (sel.kind === 'layer') this.update(removeLayer(sel.id), { name: 'delete layer' });
    else if (sel.kind === 'selection') this.update(setSelection(null), { name: 'clear selection' });
    else if (sel.kind === 'reference') this.update(setReference(null), { name: 'clear reference region' });
    else this.update(removeDragPair(sel.id), { name: 'delete drag point' });
    this.select(null);
  }

  /**
   * Add a decoded image (already in the pixel store under `pixelId`) as a new top layer centred on
   * `at` (document coordinates; default the canvas centre), drawn at `scale` (both axes), select
   * it, and return its id.
   */
  addImageLayer(pixelId: string, width: number, height: number, at?: Point, name?: string, scale = 1): string {
    const centre = at ?? { x: this.doc.canvas.width / 2, y: this.doc.canvas.height / 2 };
    const topLeft = scale === 1 ? { x: Math.round(centre.x - width / 2), y: Math.round(centre.y - height / 2) } : { x: centre.x - (width * scale) / 2, y: centre.y - (height * scale) / 2 };
    const layer = { ...createImageLayer({ pixelId, width, height, at: topLeft, name: name ?? `Image ${this.doc.layers.length + 1}` }), scaleX: scale, scaleY: scale };
    if (this.isBusy) this.cancel();
    this.update(addLayer(layer), { name: 'add layer' });
    this.select({ kind: 'layer', id: layer.id });
    return layer.id;
  }

  /**
   * Set the brush's or the eraser's size or hardness. While the sizes are linked a size is set on
   * both; a size the user sets stops the sizes following the frame (`brushSized`).
   */
  setBrushOptions(mode: 'brush' | 'eraser', options: Partial<BrushOptions>): void {
    const current = this.ui[mode];
    const size = clampBrushSize(options.size ?? current.size);
    const hardness = Math.min(1, Math.max(0, options.hardness ?? current.hardness));
    const other = mode === 'brush' ? 'eraser' : 'brush';
    const linked = this.ui.linkBrushSizes && options.size !== undefined ? { [other]: { ...this.ui[other], size } } : {};
    this.store.setUi({ [mode]: { size, hardness }, ...linked, ...(options.size !== undefined ? { brushSized: true } : {}) });
  }

  /** Link the brush's and the eraser's sizes (both take `mode`'s size) or let them differ. */
  linkBrushSizes(linked: boolean, mode: 'brush' | 'eraser' = 'brush'): void {
    const other = mode === 'brush' ? 'eraser' : 'brush';
    this.store.setUi(linked ? { linkBrushSizes: true, [other]: { ...this.ui[other], size: this.ui[mode].size } } : { linkBrushSizes: false });
  }

  /** A tool's hold key went down (Space: the hand): switch to it until the key is released. */
  private hold(key: string, id: ToolId): void {
    if (this.held || this.toolId === id || this.isBusy) return;
    this.held = { key, returnTo: this.toolId };
    this.setTool(id);
  }

  private release(key: string): void {
    const held = this.held;
    if (!held || held.key !== key) return;
    this.held = null;
    this.setTool(held.returnTo);
  }

  private keyInput(key: string, mods: Modifiers, down: boolean): KeyInput {
    this.inputs.updateModifiers(mods);
    if (key === 'Shift') this.inputs.shiftKey = down;
    if (key === 'Alt') this.inputs.altKey = down;
    if (key === 'Control') this.inputs.ctrlKey = down;
    if (key === 'Meta') this.inputs.metaKey = down;
    const { shiftKey, altKey, ctrlKey, metaKey } = this.inputs;
    return { key, shiftKey, altKey, ctrlKey, metaKey };
  }

  private dispatch(name: Parameters<StateNode['handleEvent']>[0], info: unknown): void {
    this.tool.handleEvent(name, info);
    this.sync();
  }

  private sync(): void {
    const path = this.toolState();
    if (this.ui.toolState !== path) this.store.setUi({ toolState: path });
  }
}

/** Brush and eraser diameters, in document pixels. */
export const MAX_BRUSH_SIZE = 2000;

export function clampBrushSize(size: number): number {
  return Math.min(MAX_BRUSH_SIZE, Math.max(1, Math.round(size)));
}
