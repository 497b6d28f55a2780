/**
 * Full-reference image quality metrics for scoring super-resolution outputs against the true
 * high-resolution image: PSNR, SSIM (Wang et al. 2004) and GMSD (Xue et al. 2014).
 *
 * Every metric scores the image the user receives, not the raw network output: each value
 * x ∈ [−1, 1] is first quantised as a saved PNG would be, u = round((clamp(x, −1, 1) + 1)·127.5)
 * ∈ {0, …, 255} (the same bytes `tensorToRgb` in image/io.ts writes; NaN becomes 0 there and
 * here). Scores are computed in float64 on that 0..255 scale, one per batch row.
 */
import type { Tensor } from '../tensor.js';

export interface ImageMetric {
  readonly name: string;
  readonly label: string;
  readonly higherIsBetter: boolean;
  readonly paper: string;
  /** One score per batch row of pred and target, both [B, 3, H, W] in [−1, 1] (same shape). */
  score(pred: Tensor, target: Tensor): number[];
}

export type MetricName = 'psnr' | 'ssim' | 'gmsd';

/** Batch, height and width of a pair of image tensors, after checking they are [B, 3, H, W] alike. */
interface Dims {
  readonly b: number;
  readonly h: number;
  readonly w: number;
}

function imageDims(pred: Tensor, target: Tensor): Dims {
  const [b, c, h, w] = pred.shape;
  if (pred.shape.length !== 4 || c !== 3) throw new RangeError(`expected images [B, 3, H, W], got [${pred.shape.join(', ')}]`);
  if (target.shape.length !== 4 || target.shape.some((d, i) => d !== pred.shape[i])) {
    throw new RangeError(`pred [${pred.shape.join(', ')}] and target [${target.shape.join(', ')}] differ in shape`);
  }
  if (pred.data.length !== b * 3 * h * w || target.data.length !== pred.data.length) {
    throw new RangeError(`image data length does not match shape [${pred.shape.join(', ')}]`);
  }
  return { b, h, w };
}

/** Batch row `row` of [B, 3, H, W] in [−1, 1] as PNG levels round((clamp(x, −1, 1) + 1)·127.5) into `out` (3·H·W). */
function quantiseRow(t: Tensor, row: number, out: Float64Array): Float64Array {
  const src = t.data;
  const off = row * out.length;
  for (let k = 0; k < out.length; k++) {
    const x = src[off + k];
    // NaN fails both comparisons and falls through to 0, as a Uint8Array store of NaN does.
    out[k] = x >= -1 ? (x <= 1 ? Math.round((x + 1) * 127.5) : 255) : 0;
  }
  return out;
}

/** Applies `rowScore` to the quantised pair of every batch row. */
function perRow(pred: Tensor, target: Tensor, rowScore: (u: Float64Array, v: Float64Array, d: Dims) => number): number[] {
  const d = imageDims(pred, target);
  const u = new Float64Array(3 * d.h * d.w);
  const v = new Float64Array(3 * d.h * d.w);
  const scores: number[] = [];
  for (let row = 0; row < d.b; row++) scores.push(rowScore(quantiseRow(pred, row, u), quantiseRow(target, row, v), d));
  return scores;
}

// PSNR

/** PSNR is capped here so that identical images (MSE = 0, PSNR = +∞) keep averages finite. */
export const PSNR_CAP_DB = 100;

/** PSNR = 10·log10(255² / MSE), MSE over all channels and pixels of one row; capped at PSNR_CAP_DB. */
function psnrRow(u: Float64Array, v: Float64Array): number {
  let sse = 0;
  for (let k = 0; k < u.length; k++) {
    const e = u[k] - v[k];
    sse += e * e;
  }
  return Math.min(PSNR_CAP_DB, 10 * Math.log10((255 * 255) / (sse / u.length)));
}

const psnr: ImageMetric = {
  name: 'psnr',
  label: 'PSNR (dB)',
  higherIsBetter: true,
  paper: 'Peak signal-to-noise ratio, 10·log10(255²/MSE) on 8-bit RGB; capped at 100 dB for identical images',
  score: (pred, target) => perRow(pred, target, psnrRow),
};

// SSIM

const SSIM_WIN = 11;
const SSIM_C1 = (0.01 * 255) ** 2;
const SSIM_C2 = (0.03 * 255) ** 2;

/** The 11-tap Gaussian g_i ∝ exp(−(i − 5)² / (2·1.5²)), normalised to sum 1 (Wang et al. 2004, §III-C). */
const SSIM_KERNEL: Float64Array = (() => {
  const g = Float64Array.from({ length: SSIM_WIN }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 ** 2)));
  const s = g.reduce((a, b) => a + b, 0);
  return g.map((x) => x / s);
})();

/** Horizontal 'valid' correlation with SSIM_KERNEL of x, y, x², y², xy for one channel plane. */
function ssimHorizontal(x: Float64Array, y: Float64Array, off: number, h: number, w: number, out: Float64Array[]): void {
  const [fx, fy, fxx, fyy, fxy] = out;
  const wo = w - SSIM_WIN + 1;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < wo; j++) {
      let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      for (let t = 0; t < SSIM_WIN; t++) {
        const g = SSIM_KERNEL[t];
        const a = x[off + i * w + j + t], b = y[off + i * w + j + t];
        sx += g * a; sy += g * b; sxx += g * a * a; syy += g * b * b; sxy += g * a * b;
      }
      const o = i * wo + j;
      fx[o] = sx; fy[o] = sy; fxx[o] = sxx; fyy[o] = syy; fxy[o] = sxy;
    }
  }
}

/**
 * Mean SSIM map of one channel: vertical pass of the horizontally filtered moments, then eq. 13 of
 * Wang et al. 2004 at every 'valid' window, SSIM = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)).
 */
function ssimMeanFromMoments(f: Float64Array[], h: number, wo: number): number {
  const [fx, fy, fxx, fyy, fxy] = f;
  const ho = h - SSIM_WIN + 1;
  let total = 0;
  for (let i = 0; i < ho; i++) {
    for (let j = 0; j < wo; j++) {
      let mx = 0, my = 0, exx = 0, eyy = 0, exy = 0;
      for (let t = 0; t < SSIM_WIN; t++) {
        const g = SSIM_KERNEL[t];
        const o = (i + t) * wo + j;
        mx += g * fx[o]; my += g * fy[o]; exx += g * fxx[o]; eyy += g * fyy[o]; exy += g * fxy[o];
      }
      const sxx = exx - mx * mx, syy = eyy - my * my, sxy = exy - mx * my;
      total += ((2 * mx * my + SSIM_C1) * (2 * sxy + SSIM_C2)) / ((mx * mx + my * my + SSIM_C1) * (sxx + syy + SSIM_C2));
    }
  }
  return total / (ho * wo);
}

/**
 * SSIM of one row (Wang, Bovik, Sheikh, Simoncelli 2004, IEEE TIP 13(4), eq. 13): 11×11 Gaussian
 * window σ = 1.5 applied separably with no padding ('valid'), C1 = (0.01·255)², C2 = (0.03·255)²,
 * mean of the SSIM map per RGB channel, then the mean of the three. Same as `ssim` in
 * models/train/eval_sr.py.
 */
function ssimRow(u: Float64Array, v: Float64Array, { h, w }: Dims): number {
  if (h < SSIM_WIN || w < SSIM_WIN) throw new RangeError(`SSIM needs images of at least ${SSIM_WIN}×${SSIM_WIN} pixels, got ${w}×${h}`);
  const wo = w - SSIM_WIN + 1;
  const moments = Array.from({ length: 5 }, () => new Float64Array(h * wo));
  let sum = 0;
  for (let c = 0; c < 3; c++) {
    ssimHorizontal(u, v, c * h * w, h, w, moments);
    sum += ssimMeanFromMoments(moments, h, wo);
  }
  return sum / 3;
}

const ssim: ImageMetric = {
  name: 'ssim',
  label: 'SSIM',
  higherIsBetter: true,
  paper: 'Wang, Bovik, Sheikh, Simoncelli 2004, "Image Quality Assessment: From Error Visibility to Structural Similarity", IEEE TIP 13(4), eq. 13',
  score: (pred, target) => perRow(pred, target, ssimRow),
};

// GMSD

/** The constant c in the gradient magnitude similarity (Xue et al. 2014, eq. 4) for 0..255 images. */
const GMSD_C = 170;

/** Luminance Y = 0.299R + 0.587G + 0.114B of planar RGB on the 0..255 scale into `out` (H·W). */
function luminance(rgb: Float64Array, n: number, out: Float64Array): Float64Array {
  for (let p = 0; p < n; p++) out[p] = 0.299 * rgb[p] + 0.587 * rgb[n + p] + 0.114 * rgb[2 * n + p];
  return out;
}

/**
 * MATLAB's `conv2(Y, ones(2)/4, 'same')` followed by `Y(1:2:end, 1:2:end)`: the mean of the 2×2 block
 * whose top-left pixel is (2i, 2j), with zeros past the bottom and right edges; output ⌈h/2⌉ × ⌈w/2⌉.
 */
function downsample2(y: Float64Array, h: number, w: number, out: Float64Array): Float64Array {
  const hd = (h + 1) >> 1, wd = (w + 1) >> 1;
  for (let i = 0; i < hd; i++) {
    const r = 2 * i, rOk = r + 1 < h;
    for (let j = 0; j < wd; j++) {
      const c = 2 * j, cOk = c + 1 < w;
      let s = y[r * w + c];
      if (cOk) s += y[r * w + c + 1];
      if (rOk) s += y[(r + 1) * w + c];
      if (rOk && cOk) s += y[(r + 1) * w + c + 1];
      out[i * wd + j] = s / 4;
    }
  }
  return out;
}

/**
 * Prewitt gradient magnitude m = √(gx² + gy²) (Xue et al. 2014, eqs. 1–2) with MATLAB's
 * `conv2(Y, dx, 'same')`, dx = [1 0 −1; 1 0 −1; 1 0 −1]/3 and dy = dxᵀ, zero padding. conv2 flips
 * the kernel, so gx(i, j) = Σ_{a=−1..1} (Y(i+a, j+1) − Y(i+a, j−1))/3 and gy likewise down the rows.
 */
function prewittMagnitude(y: Float64Array, h: number, w: number, out: Float64Array): Float64Array {
  const at = (i: number, j: number) => (i >= 0 && i < h && j >= 0 && j < w ? y[i * w + j] : 0);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      let gx = 0, gy = 0;
      for (let a = -1; a <= 1; a++) {
        gx += at(i + a, j + 1) - at(i + a, j - 1);
        gy += at(i + 1, j + a) - at(i - 1, j + a);
      }
      gx /= 3;
      gy /= 3;
      out[i * w + j] = Math.sqrt(gx * gx + gy * gy);
    }
  }
  return out;
}

/**
 * GMSD = population standard deviation of GMS(i) = (2·m_r·m_d + c) / (m_r² + m_d² + c)
 * (Xue et al. 2014, eqs. 4–5). The authors' MATLAB ends in `std2`, which divides by N − 1; we
 * follow eq. 5 (1/N), a factor √((N − 1)/N) below the MATLAB score.
 */
function gmsDeviation(mr: Float64Array, md: Float64Array): number {
  const n = mr.length;
  let mean = 0;
  for (let k = 0; k < n; k++) mean += (2 * mr[k] * md[k] + GMSD_C) / (mr[k] * mr[k] + md[k] * md[k] + GMSD_C);
  mean /= n;
  let ss = 0;
  for (let k = 0; k < n; k++) {
    const d = (2 * mr[k] * md[k] + GMSD_C) / (mr[k] * mr[k] + md[k] * md[k] + GMSD_C) - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / n);
}

/** Gradient magnitude map of one row's luminance after the 2× averaging downsample, ⌈h/2⌉·⌈w/2⌉ values. */
function gradientMap(rgb: Float64Array, { h, w }: Dims): Float64Array {
  const hd = (h + 1) >> 1, wd = (w + 1) >> 1;
  const y = luminance(rgb, h * w, new Float64Array(h * w));
  const small = downsample2(y, h, w, new Float64Array(hd * wd));
  return prewittMagnitude(small, hd, wd, new Float64Array(hd * wd));
}

/** GMSD of one row, the target (reference) being `v` (eqs. 1–5 of Xue et al. 2014; symmetric in u, v). */
function gmsdRow(u: Float64Array, v: Float64Array, d: Dims): number {
  return gmsDeviation(gradientMap(v, d), gradientMap(u, d));
}

const gmsd: ImageMetric = {
  name: 'gmsd',
  label: 'GMSD',
  higherIsBetter: false,
  paper: 'Xue, Zhang, Mou, Bovik 2014, "Gradient Magnitude Similarity Deviation: A Highly Efficient Perceptual Image Quality Index", IEEE TIP 23(2), eqs. 1–5',
  score: (pred, target) => perRow(pred, target, gmsdRow),
};

// Registry

export const METRICS: readonly ImageMetric[] = [psnr, ssim, gmsd];

export const METRIC_NAMES: readonly MetricName[] = ['psnr', 'ssim', 'gmsd'];

export function metricByName(name: string): ImageMetric {
  const m = METRICS.find((x) => x.name === name);
  if (!m) throw new RangeError(`unknown image metric "${name}"; known: ${METRICS.map((x) => x.name).join(', ')}`);
  return m;
}

/** Every metric's per-row scores at once: { psnr: number[], ssim: number[], gmsd: number[] } */
export function scoreAll(pred: Tensor, target: Tensor): Record<MetricName, number[]> {
  return { psnr: psnr.score(pred, target), ssim: ssim.score(pred, target), gmsd: gmsd.score(pred, target) };
}

/** Whether score a is better than b under the metric (strictly; equal scores are not better). */
export function better(metric: ImageMetric, a: number, b: number): boolean {
  return metric.higherIsBetter ? a > b : a < b;
}
