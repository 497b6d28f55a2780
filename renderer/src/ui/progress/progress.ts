/**
 * The engine's progress events: each goes to the running job (its bar, ETA and phase, through
 * `Jobs`), and its preview, when it carries one, to the canvas where the result will land — a
 * generation's in its frame, at the frame's scale. The canvas view listens with `onPreview`; null
 * clears the preview. No DOM.
 */
import type { ProgressEvent } from '../../../../main/api/contract.js';
import type { StudioClient } from '../../api/index.js';
import type { CanvasDocument, Rect } from '../../document/types.js';
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

export class ProgressModule implements StudioModule {
  private readonly listeners = new Set<(p: PreviewImage | null) => void>();
  private generationRect: Rect | null = null;
  private off: (() => void) | null = null;

  constructor(private readonly host: ProgressHost) {}

  initialize(): void {
    this.off = this.host.client()?.on('onProgress', (p) => this.onProgress(p)) ?? null;
  }

  destroy(): void {
    this.off?.();
    this.off = null;
  }

  /** A generation starts: the frame its result will land in (document pixels). */
  setGenerationRect(rect: Rect | null): void {
    this.generationRect = rect;
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
    const kind = this.host.jobs.current?.kind;
    const where = kind === 'edit' ? 'canvas' : kind === 'generate' ? this.generationRect : null;
    this.emit({ width, height, rgb, rect: previewRect(doc, where, width, height) });
  }

  private emit(p: PreviewImage | null): void {
    for (const l of [...this.listeners]) l(p);
  }
}

/**
 * Where a preview of `pw`×`ph` is drawn: an edit's covers the canvas (`where` 'canvas'); a
 * generation's fills the frame it runs in (whatever the preview's own resolution); without one it
 * is fitted into the canvas, centred.
 */
export function previewRect(doc: Pick<CanvasDocument, 'canvas'>, where: Rect | 'canvas' | null, pw: number, ph: number): PreviewImage['rect'] {
  const { width: cw, height: ch } = doc.canvas;
  if (where === 'canvas') return { x: 0, y: 0, width: cw, height: ch };
  if (where) return { x: where.x, y: where.y, width: where.width, height: where.height };
  const s = Math.min(cw / pw, ch / ph);
  const w = pw * s, h = ph * s;
  return { x: (cw - w) / 2, y: (ch - h) / 2, width: w, height: h };
}
