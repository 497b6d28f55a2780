/**
 * The engine's progress events: each goes to the running job (its bar, ETA and phase, through
 * `Jobs`), and its preview, when it carries one, to the canvas where the result will land. The
 * canvas view listens with `onPreview`; null clears the preview. No DOM.
 */
import type { ProgressEvent } from '../../../../main/api/contract.js';
import type { StudioClient } from '../../api/index.js';
import type { CanvasDocument } from '../../document/types.js';
import type { Jobs } from '../jobs.js';
import type { StudioModule } from '../module.js';

export interface PreviewImage {
  width: number;
  height: number;
  rgb: Uint8Array;
  /** Where to draw it, in document pixels. */
  rect: { x: number; y: number; width: number; height: number };
}

export interface ProgressHost {
  readonly jobs: Jobs;
  /** The document now (its canvas size and whether it has layers). */
  doc(): CanvasDocument;
  client(): Pick<StudioClient, 'on'> | null;
}

type Size = { width: number; height: number };

export class ProgressModule implements StudioModule {
  private readonly listeners = new Set<(p: PreviewImage | null) => void>();
  private generationSize: Size | null = null;
  private off: (() => void) | null = null;

  constructor(private readonly host: ProgressHost) {}

  initialize(): void {
    this.off = this.host.client()?.on('onProgress', (p) => this.onProgress(p)) ?? null;
  }

  destroy(): void {
    this.off?.();
    this.off = null;
  }

  /** A generation starts: the size it asked for (null: the model's own, fitted into the canvas). */
  setGenerationSize(size: Size | null): void {
    this.generationSize = size;
  }

  onPreview(listener: (p: PreviewImage | null) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** The job ended: no preview any more. */
  clear(): void {
    this.emit(null);
  }

  private onProgress(p: ProgressEvent): void {
    if (!this.host.jobs.progress(p) || !p.preview) return;
    const { width, height, rgb } = p.preview;
    const doc = this.host.doc();
    const size = this.host.jobs.current?.kind === 'edit' ? 'canvas' : this.generationSize;
    this.emit({ width, height, rgb, rect: previewRect(doc, size, width, height) });
  }

  private emit(p: PreviewImage | null): void {
    for (const l of [...this.listeners]) l(p);
  }
}

/**
 * Where a preview of `pw`×`ph` is drawn: an edit's covers the canvas (`size` 'canvas'); a
 * generation's is the requested size centred on the canvas when the canvas has layers, else the
 * preview fitted into the canvas.
 */
export function previewRect(doc: Pick<CanvasDocument, 'canvas' | 'layers'>, size: Size | 'canvas' | null, pw: number, ph: number): PreviewImage['rect'] {
  const { width: cw, height: ch } = doc.canvas;
  if (size === 'canvas') return { x: 0, y: 0, width: cw, height: ch };
  let w: number, h: number;
  if (size && doc.layers.length > 0) [w, h] = [size.width, size.height];
  else {
    const s = Math.min(cw / pw, ch / ph);
    [w, h] = [pw * s, ph * s];
  }
  return { x: (cw - w) / 2, y: (ch - h) / 2, width: w, height: h };
}
