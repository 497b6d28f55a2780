/**
 * The mask overlay's pixels, rasterised with the document's own stroke rasteriser (so the overlay
 * shows exactly the mask an edit would send, hardness included), incrementally: while a stroke
 * is drawn only that stroke is re-applied over a cached raster of the strokes before it, and only
 * its bounding box is re-coloured. Pure (no DOM): the canvas module copies `rgba` into ImageData.
 */
import { applyStroke } from '../document/raster/stroke.js';
import type { MaskStroke, Rect } from '../document/types.js';

export interface MaskColour {
  r: number;
  g: number;
  b: number;
}

export class MaskRaster {
  width = 0;
  height = 0;
  /** Coverage 0 … 1 of all strokes. */
  mask: Float32Array = new Float32Array(0);
  /** Premultiplication-free RGBA for ImageData: colour where covered, alpha = coverage. */
  rgba: Uint8ClampedArray = new Uint8ClampedArray(0);
  /** Raster of every applied stroke but the last. */
  private base: Float32Array = new Float32Array(0);
  private applied: readonly MaskStroke[] = [];

  constructor(private readonly colour: MaskColour = { r: 255, g: 32, b: 32 }) {}

  /**
   * Bring the raster up to date with `strokes`; returns the region whose RGBA changed, or null.
   * Strokes are compared by identity (immer keeps unchanged strokes the same objects).
   */
  update(strokes: readonly MaskStroke[], width: number, height: number): Rect | null {
    if (width !== this.width || height !== this.height) {
      this.width = width;
      this.height = height;
      this.mask = new Float32Array(width * height);
      this.base = new Float32Array(width * height);
      this.rgba = new Uint8ClampedArray(width * height * 4);
      this.applied = [];
      this.paint({ x: 0, y: 0, width, height }); // colours the (empty) raster once
      if (strokes.length === 0) return { x: 0, y: 0, width, height };
    }
    const prev = this.applied;
    let k = 0;
    while (k < prev.length && k < strokes.length && prev[k] === strokes[k]) k++;
    if (k === prev.length && k === strokes.length) return null;

    let dirty: Rect | null;
    if (k === prev.length) {
      // Strokes appended: the old last stroke joins the base, the new ones are applied.
      dirty = null;
      for (let i = k; i < strokes.length; i++) {
        if (i === strokes.length - 1) this.base.set(this.mask);
        applyStroke(this.mask, width, height, strokes[i]);
        dirty = union(dirty, this.strokeBox(strokes[i]));
      }
    } else if (k === prev.length - 1 && strokes.length === prev.length) {
      // The last stroke grew (or changed): restore its box from the base and apply it again.
      const old = this.strokeBox(prev[k]);
      const now = this.strokeBox(strokes[k]);
      const box = union(old, now);
      if (box) this.copyRegion(this.base, this.mask, box);
      applyStroke(this.mask, width, height, strokes[k]);
      dirty = box;
    } else {
      // Undo, clear, or an earlier stroke changed: start over.
      this.base = this.rasterize(strokes.slice(0, -1));
      this.mask = this.base.slice();
      if (strokes.length) applyStroke(this.mask, width, height, strokes[strokes.length - 1]);
      dirty = { x: 0, y: 0, width, height };
    }
    this.applied = strokes.slice();
    if (dirty) this.paint(dirty);
    return dirty;
  }

  private rasterize(strokes: readonly MaskStroke[]): Float32Array {
    const out = new Float32Array(this.width * this.height);
    for (const s of strokes) applyStroke(out, this.width, this.height, s);
    return out;
  }

  /** Integer pixel box a stroke can touch, clipped to the raster; null when outside. */
  strokeBox(stroke: MaskStroke): Rect | null {
    const r = stroke.size / 2;
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    const p = stroke.points;
    for (let i = 0; i + 1 < p.length; i += 2) {
      minX = Math.min(minX, p[i]); maxX = Math.max(maxX, p[i]);
      minY = Math.min(minY, p[i + 1]); maxY = Math.max(maxY, p[i + 1]);
    }
    const x0 = Math.max(0, Math.floor(minX - r) - 1), y0 = Math.max(0, Math.floor(minY - r) - 1);
    const x1 = Math.min(this.width - 1, Math.ceil(maxX + r) + 1), y1 = Math.min(this.height - 1, Math.ceil(maxY + r) + 1);
    return x0 > x1 || y0 > y1 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
  }

  private copyRegion(from: Float32Array, to: Float32Array, box: Rect): void {
    for (let y = box.y; y < box.y + box.height; y++) {
      const row = y * this.width;
      to.set(from.subarray(row + box.x, row + box.x + box.width), row + box.x);
    }
  }

  private paint(box: Rect): void {
    const { r, g, b } = this.colour;
    for (let y = box.y; y < box.y + box.height; y++) {
      for (let x = box.x; x < box.x + box.width; x++) {
        const i = y * this.width + x;
        const o = i * 4;
        this.rgba[o] = r;
        this.rgba[o + 1] = g;
        this.rgba[o + 2] = b;
        this.rgba[o + 3] = Math.round(this.mask[i] * 255);
      }
    }
  }
}

function union(a: Rect | null, b: Rect | null): Rect | null {
  if (!a) return b;
  if (!b) return a;
  const x = Math.min(a.x, b.x), y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}
