/**
 * The mask overlay's pixels, rasterised with the document's own stroke rasteriser (so the overlay
 * shows exactly the mask an edit would send, hardness included), incrementally: while a stroke
 * is drawn only that stroke is re-applied over a cached raster of the strokes before it, and only
 * its bounding box (grown by the outline's reach) is re-coloured. Two RGBA rasters come out: the
 * tint (the user's colour, alpha = coverage, lighter between diagonal hatch stripes when hatching
 * is on) and the outline (the edge of the region covered at least half, dashed in the colour and a
 * contrasting black or white), so the mask stays distinguishable on any image, even one of its own
 * colour. Pure (no DOM): the canvas module copies them into ImageData.
 */
import { applyStroke } from '../document/raster/stroke.js';
import type { MaskStroke, Rect } from '../document/types.js';

export interface MaskColour {
  r: number;
  g: number;
  b: number;
}

export interface MaskRasterStyle {
  colour: MaskColour;
  /** Diagonal stripes: full tint on them, HATCH_GAP of it between. */
  hatch: boolean;
}

/** The tint's strength between hatch stripes, as a fraction of it on them. */
export const HATCH_GAP = 0.3;

/** `#rrggbb` as numbers (red for anything else). */
export function hexColour(hex: string): MaskColour {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? { r: parseInt(m[1], 16), g: parseInt(m[2], 16), b: parseInt(m[3], 16) } : { r: 255, g: 32, b: 32 };
}

/** Black or white, whichever stands out more against `c` (relative luminance above or below one half). */
export function contrastColour(c: MaskColour): MaskColour {
  const lum = (0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b) / 255;
  return lum > 0.5 ? { r: 0, g: 0, b: 0 } : { r: 255, g: 255, b: 255 };
}

/**
 * The outline's and the hatching's sizes in document pixels, grown with the canvas so they stay
 * visible when a large canvas is zoomed out: the outline's width, the length of its dashes and the
 * hatch stripes' period.
 */
export function maskPatternSizes(width: number, height: number): { edge: number; dash: number; hatch: number } {
  const short = Math.min(width, height);
  return { edge: Math.max(1, Math.round(short / 384)), dash: Math.max(2, Math.round(short / 64)), hatch: Math.max(4, Math.round(short / 48)) };
}

/** A pixel counts as inside the mask for the outline from this coverage. */
const INSIDE = 0.5;

export class MaskRaster {
  width = 0;
  height = 0;
  /** Coverage 0 … 1 of all strokes. */
  mask: Float32Array = new Float32Array(0);
  /** Premultiplication-free RGBA for ImageData: colour where covered, alpha = coverage (hatched). */
  rgba: Uint8ClampedArray = new Uint8ClampedArray(0);
  /** The outline, RGBA: opaque dashes of the colour and its contrast on the edge, transparent elsewhere. */
  edge: Uint8ClampedArray = new Uint8ClampedArray(0);
  /** Raster of every applied stroke but the last. */
  private base: Float32Array = new Float32Array(0);
  private applied: readonly MaskStroke[] = [];

  private style: MaskRasterStyle;

  constructor(style: Partial<MaskRasterStyle> = {}) {
    this.style = { colour: style.colour ?? { r: 255, g: 32, b: 32 }, hatch: style.hatch ?? false };
  }

  /** Change the colour or the hatching; returns whether the rasters were re-coloured (all of them). */
  setStyle(style: MaskRasterStyle): boolean {
    const a = this.style, b = style;
    if (a.hatch === b.hatch && a.colour.r === b.colour.r && a.colour.g === b.colour.g && a.colour.b === b.colour.b) return false;
    this.style = { colour: { ...b.colour }, hatch: b.hatch };
    this.paint({ x: 0, y: 0, width: this.width, height: this.height });
    return true;
  }

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
      this.edge = new Uint8ClampedArray(width * height * 4);
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
    if (!dirty) return null;
    // The outline of a pixel depends on its neighbours within the edge width: re-colour around the change.
    const grown = this.grow(dirty, maskPatternSizes(width, height).edge + 1);
    this.paint(grown);
    return grown;
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

  private grow(box: Rect, by: number): Rect {
    const x0 = Math.max(0, box.x - by), y0 = Math.max(0, box.y - by);
    const x1 = Math.min(this.width, box.x + box.width + by), y1 = Math.min(this.height, box.y + box.height + by);
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }

  private paint(box: Rect): void {
    if (box.width <= 0 || box.height <= 0) return;
    const { colour, hatch } = this.style;
    const contrast = contrastColour(colour);
    const sizes = maskPatternSizes(this.width, this.height);
    const near = this.outsideNearby(box, sizes.edge);
    for (let y = box.y; y < box.y + box.height; y++) {
      for (let x = box.x; x < box.x + box.width; x++) {
        const i = y * this.width + x;
        const o = i * 4;
        const stripe = !hatch || (x + y) % sizes.hatch < sizes.hatch / 2;
        this.rgba[o] = colour.r;
        this.rgba[o + 1] = colour.g;
        this.rgba[o + 2] = colour.b;
        this.rgba[o + 3] = Math.round(this.mask[i] * 255 * (stripe ? 1 : HATCH_GAP));
        const onEdge = this.mask[i] >= INSIDE && near[(y - box.y) * box.width + (x - box.x)] > 0;
        const c = Math.floor((x + y) / sizes.dash) % 2 === 0 ? colour : contrast;
        this.edge[o] = c.r;
        this.edge[o + 1] = c.g;
        this.edge[o + 2] = c.b;
        this.edge[o + 3] = onEdge ? 255 : 0;
      }
    }
  }

  /**
   * For each pixel of `box`: how many pixels within `reach` (a square around it) are outside the
   * mask, pixels beyond the raster counting as outside — two passes of running counts.
   */
  private outsideNearby(box: Rect, reach: number): Int32Array {
    const { width: W, height: H } = this;
    const outside = (x: number, y: number) => (x < 0 || y < 0 || x >= W || y >= H || this.mask[y * W + x] < INSIDE ? 1 : 0);
    // Rows box.y − reach … box.y + height + reach, columns of the box: horizontal window counts.
    const rows = box.height + 2 * reach;
    const across = new Int32Array(rows * box.width);
    for (let r = 0; r < rows; r++) {
      const y = box.y - reach + r;
      let n = 0;
      for (let x = box.x - reach; x < box.x + reach; x++) n += outside(x, y);
      for (let c = 0; c < box.width; c++) {
        const x = box.x + c;
        n += outside(x + reach, y);
        across[r * box.width + c] = n;
        n -= outside(x - reach, y);
      }
    }
    const out = new Int32Array(box.width * box.height);
    for (let c = 0; c < box.width; c++) {
      let n = 0;
      for (let r = 0; r < 2 * reach; r++) n += across[r * box.width + c];
      for (let r = 0; r < box.height; r++) {
        n += across[(r + 2 * reach) * box.width + c];
        out[r * box.width + c] = n;
        n -= across[r * box.width + c];
      }
    }
    return out;
  }
}

function union(a: Rect | null, b: Rect | null): Rect | null {
  if (!a) return b;
  if (!b) return a;
  const x = Math.min(a.x, b.x), y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}
