/**
 * The Konva stage: sized to its container, drawing the editor's store through one module per
 * concern (background, image layers, mask, live preview in document space; the canvas's edge,
 * selection, reference region, generation frame, transformer, drag points, brush cursor in screen
 * space). Redraws are batched to one per frame.
 * Pointer and wheel input on the stage is forwarded to the headless Editor in screen coordinates;
 * nothing is ever read back from Konva.
 */
import Konva from 'konva';
import type { Point } from '../document/types.js';
import type { Editor } from '../tools/editor.js';
import type { PixelBank } from '../ui/pixel-bank.js';
import type { PreviewImage } from '../ui/progress/progress.js';
import { BackgroundModule } from './modules/background.js';
import { BrushCursorModule } from './modules/brush-cursor.js';
import { CanvasEdgeModule } from './modules/canvas-edge.js';
import { DragPointsOverlayModule } from './modules/drag-points-overlay.js';
import { FrameOverlayModule } from './modules/frame-overlay.js';
import { ImageLayersModule } from './modules/image-layers.js';
import { MaskOverlayModule } from './modules/mask-overlay.js';
import { PreviewModule } from './modules/preview.js';
import { ReferenceOverlayModule } from './modules/reference-overlay.js';
import { SelectionOverlayModule } from './modules/selection-overlay.js';
import { TransformerOverlayModule } from './modules/transformer-overlay.js';
import type { CanvasModule, RenderContext } from './types.js';

export interface CanvasViewOptions {
  /** The pointer moved over the canvas (document pixels), or left it (null). */
  onPointer?: (doc: Point | null) => void;
}

export class CanvasView {
  private readonly stage: Konva.Stage;
  private readonly docLayer = new Konva.Layer({ listening: false });
  private readonly overlayLayer = new Konva.Layer({ listening: false });
  private readonly docGroup = new Konva.Group({ listening: false });
  private readonly modules: CanvasModule[];
  private readonly preview: PreviewModule;
  private readonly disposers: (() => void)[] = [];
  private frame = 0;
  private pointer: Point | null = null;
  private bankVersion = 0;
  private fitted = false;
  private middlePan: Point | null = null;

  constructor(
    private readonly container: HTMLDivElement,
    private readonly editor: Editor,
    private readonly bank: PixelBank,
    private readonly opts: CanvasViewOptions = {},
  ) {
    this.stage = new Konva.Stage({ container, width: container.clientWidth || 1, height: container.clientHeight || 1, listening: false });
    this.docLayer.add(this.docGroup);
    this.stage.add(this.docLayer, this.overlayLayer);
    // Creation order is drawing order: background, images, mask, live preview; then the overlays.
    const background = new BackgroundModule(this.docGroup);
    const images = new ImageLayersModule(this.docGroup);
    const mask = new MaskOverlayModule(this.docGroup);
    this.preview = new PreviewModule(this.docGroup);
    this.modules = [
      background,
      images,
      mask,
      this.preview,
      new CanvasEdgeModule(this.overlayLayer),
      new SelectionOverlayModule(this.overlayLayer),
      new ReferenceOverlayModule(this.overlayLayer),
      new FrameOverlayModule(this.overlayLayer),
      new TransformerOverlayModule(this.overlayLayer),
      new DragPointsOverlayModule(this.overlayLayer),
      new BrushCursorModule(this.overlayLayer),
    ];
    this.disposers.push(
      editor.store.store.subscribe(() => this.schedule()),
      bank.onChange(() => {
        this.bankVersion++;
        this.schedule();
      }),
    );
    this.observeSize();
    this.attachInput();
    this.schedule();
  }

  setPreview(p: PreviewImage | null): void {
    this.preview.set(p);
    this.docLayer.batchDraw();
  }

  private observeSize(): void {
    const resize = () => {
      const w = this.container.clientWidth, h = this.container.clientHeight;
      if (w <= 0 || h <= 0) return;
      this.stage.size({ width: w, height: h });
      this.editor.setScreenSize(w, h);
      if (!this.fitted) {
        this.fitted = true;
        this.editor.zoomToFit();
      }
      this.schedule();
    };
    const ro = new ResizeObserver(resize);
    ro.observe(this.container);
    this.disposers.push(() => ro.disconnect());
    resize();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const { doc, viewport, ui } = this.editor.store.store.getState();
    const ctx: RenderContext = { doc, viewport, ui, bank: this.bank, bankVersion: this.bankVersion, screen: this.stage.size(), pointer: this.pointer };
    this.docGroup.setAttrs({ x: viewport.panX, y: viewport.panY, scaleX: viewport.zoom, scaleY: viewport.zoom });
    // Zoomed in, pixels stay crisp squares.
    this.docLayer.imageSmoothingEnabled(viewport.zoom < 2);
    for (const m of this.modules) m.update(ctx);
    const panning = ui.toolState === 'hand.panning' || this.middlePan !== null;
    this.container.style.cursor = panning ? 'grabbing' : this.editor.tools.cursor(ui.tool);
    this.docLayer.batchDraw();
    this.overlayLayer.batchDraw();
  }

  private local(e: { clientX: number; clientY: number }): Point {
    const r = this.container.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  private attachInput(): void {
    const el = this.container;
    const editor = this.editor;
    const mods = (e: PointerEvent | WheelEvent) => ({ shiftKey: e.shiftKey, altKey: e.altKey, ctrlKey: e.ctrlKey, metaKey: e.metaKey });
    const track = (p: Point | null) => {
      this.pointer = p;
      this.opts.onPointer?.(p ? editor.screenToDocument(p) : null);
      this.schedule();
    };
    const down = (e: PointerEvent) => {
      const p = this.local(e);
      // The canvas takes the keyboard back from any text field.
      (document.activeElement as HTMLElement | null)?.blur?.();
      el.setPointerCapture(e.pointerId);
      if (e.button === 1) {
        this.middlePan = p;
        e.preventDefault();
        return this.schedule();
      }
      if (e.button !== 0) return;
      editor.pointerDown({ ...p, button: 0, ...mods(e) });
    };
    const move = (e: PointerEvent) => {
      const p = this.local(e);
      track(p);
      if (this.middlePan) {
        editor.panBy(p.x - this.middlePan.x, p.y - this.middlePan.y);
        this.middlePan = p;
        return;
      }
      editor.pointerMove({ ...p, ...mods(e) });
    };
    const up = (e: PointerEvent) => {
      if (el.hasPointerCapture(e.pointerId)) el.releasePointerCapture(e.pointerId);
      if (e.button === 1) {
        this.middlePan = null;
        return this.schedule();
      }
      if (e.button !== 0) return;
      editor.pointerUp({ ...this.local(e), button: 0, ...mods(e) });
    };
    const cancel = () => {
      this.middlePan = null;
      if (editor.inputs.isPointerDown) editor.cancel();
    };
    const leave = () => track(null);
    const wheel = (e: WheelEvent) => {
      e.preventDefault();
      const scale = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
      editor.wheel({ ...this.local(e), deltaX: e.deltaX * scale, deltaY: e.deltaY * scale, ...mods(e) });
    };
    const menu = (e: Event) => e.preventDefault();
    el.addEventListener('pointerdown', down);
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
    el.addEventListener('pointercancel', cancel);
    el.addEventListener('pointerleave', leave);
    el.addEventListener('wheel', wheel, { passive: false });
    el.addEventListener('contextmenu', menu);
    this.disposers.push(() => {
      el.removeEventListener('pointerdown', down);
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
      el.removeEventListener('pointercancel', cancel);
      el.removeEventListener('pointerleave', leave);
      el.removeEventListener('wheel', wheel);
      el.removeEventListener('contextmenu', menu);
    });
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    for (const d of this.disposers.splice(0)) d();
    for (const m of this.modules) m.destroy();
    this.stage.destroy();
  }
}
