/**
 * What Generate sends for what is under the frame: the mode (frame.ts `frameMode`), the image to
 * start from and the mask. Where no image covers the frame, the start image is filled from the
 * nearest image pixels and blurred (edge-extended colour), so the model starts from the picture's
 * own colours rather than from black. Pure: straight-alpha RGBA in, opaque RGBA out.
 */
import { COVERED_ALPHA, frameMode, generationMask, type FrameMode } from '../../document/frame.js';

/** Straight-alpha RGBA pixels (ImageData's shape). */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface FrameSource {
  mode: FrameMode;
  /** The image to start from (opaque; filled where nothing covered the frame); null for txt2img. */
  init: Rgba | null;
  /** 1 = regenerate: painted (inpaint) or painted ∪ uncovered (outpaint); null for txt2img and img2img. */
  mask: Float32Array | null;
}

/** The frame's source from the layers composited under it (`under`) and the mask painted there (`painted`, frame-sized). */
export function frameSource(under: Rgba, painted: Float32Array): FrameSource {
  const { width, height, data } = under;
  const mode = frameMode(data, painted, width, height);
  if (mode === 'txt2img') return { mode, init: null, mask: null };
  return { mode, init: fillUncovered(under), mask: generationMask(mode, data, painted, width, height) };
}

/**
 * The same source for an inpainting model (a 9-channel UNet always takes an image and a mask):
 * without a mask of its own the whole frame is the mask, over the image under it or, on an empty
 * frame, over mid grey. Such a model ignores strength: it redraws what is masked.
 */
export function forInpaintingModel(source: FrameSource, width: number, height: number): FrameSource {
  if (source.mask) return source;
  const init = source.init ?? fillUncovered({ width, height, data: new Uint8ClampedArray(4 * width * height) });
  return { mode: source.mode, init, mask: new Float32Array(width * height).fill(1) };
}

/** Blur radius of the fill: a sixteenth of the frame's shorter side, at least 1 pixel. */
export function fillRadius(width: number, height: number): number {
  return Math.max(1, Math.round(Math.min(width, height) / 16));
}

/**
 * An opaque image: each pixel's colour over the fill by its alpha, where the fill is the colour of
 * the nearest covered pixel (alpha ≥ COVERED_ALPHA, 4-neighbour distance), box-blurred three times
 * (close to a Gaussian). Covered opaque pixels keep their exact colour; with nothing covered the
 * fill is mid grey.
 */
export function fillUncovered(src: Rgba, radius = fillRadius(src.width, src.height)): Rgba {
  const { width, height, data } = src;
  const n = width * height;
  const fill = nearestCoveredColour(src);
  for (let pass = 0; pass < 3; pass++) boxBlur(fill, width, height, radius);
  const out = new Uint8ClampedArray(4 * n);
  for (let i = 0; i < n; i++) {
    const a = data[4 * i + 3] / 255;
    for (let c = 0; c < 3; c++) out[4 * i + c] = Math.round(a * data[4 * i + c] + (1 - a) * fill[3 * i + c]);
    out[4 * i + 3] = 255;
  }
  return { width, height, data: out };
}

/** RGB (float) of the nearest covered pixel for every pixel, by a breadth-first walk from all covered pixels at once. */
function nearestCoveredColour({ width, height, data }: Rgba): Float32Array {
  const n = width * height;
  const rgb = new Float32Array(3 * n);
  const seen = new Uint8Array(n);
  const queue = new Int32Array(n);
  let head = 0, tail = 0;
  for (let i = 0; i < n; i++) {
    if (data[4 * i + 3] < COVERED_ALPHA) continue;
    seen[i] = 1;
    queue[tail++] = i;
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = data[4 * i + c];
  }
  if (tail === 0) return rgb.fill(128);
  while (head < tail) {
    const i = queue[head++];
    const x = i % width, y = (i - x) / width;
    const visit = (j: number) => {
      if (seen[j]) return;
      seen[j] = 1;
      rgb[3 * j] = rgb[3 * i];
      rgb[3 * j + 1] = rgb[3 * i + 1];
      rgb[3 * j + 2] = rgb[3 * i + 2];
      queue[tail++] = j;
    };
    if (x > 0) visit(i - 1);
    if (x < width - 1) visit(i + 1);
    if (y > 0) visit(i - width);
    if (y < height - 1) visit(i + width);
  }
  return rgb;
}

/** In-place separable box blur of interleaved RGB, edges clamped. */
function boxBlur(rgb: Float32Array, width: number, height: number, r: number): void {
  const k = 2 * r + 1;
  const line = new Float32Array(3 * Math.max(width, height));
  const run = (count: number, at: (t: number) => number) => {
    for (let t = 0; t < count; t++) for (let c = 0; c < 3; c++) line[3 * t + c] = rgb[at(t) + c];
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let d = -r; d <= r; d++) sum += line[3 * Math.min(count - 1, Math.max(0, d)) + c];
      for (let t = 0; t < count; t++) {
        rgb[at(t) + c] = sum / k;
        sum += line[3 * Math.min(count - 1, t + r + 1) + c] - line[3 * Math.max(0, t - r) + c];
      }
    }
  };
  for (let y = 0; y < height; y++) run(width, (x) => 3 * (y * width + x));
  for (let x = 0; x < width; x++) run(height, (y) => 3 * (y * width + x));
}
