import { describe, expect, it } from 'vitest';
import { METRIC_NAMES, METRICS, PSNR_CAP_DB, better, metricByName, scoreAll } from '../../main/engine/sr/metrics.js';
import type { Tensor } from '../../main/engine/tensor.js';

type Pattern = (i: number, j: number, c: number) => number;

/** A batch [B, 3, H, W] in [−1, 1] from 8-bit level patterns, one per row (u/127.5 − 1 quantises back to u). */
function image(h: number, w: number, ...rows: Pattern[]): Tensor {
  const data = new Float32Array(rows.length * 3 * h * w);
  let k = 0;
  for (const f of rows) for (let c = 0; c < 3; c++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) data[k++] = f(i, j, c) / 127.5 - 1;
  return { data, shape: [rows.length, 3, h, w] };
}

const clamp255 = (x: number) => Math.min(255, Math.max(0, x));
// Integer patterns, identical in the Python reference below (numpy int arithmetic).
const targetA: Pattern = (i, j, c) => (3 * i * i + 5 * j + 7 * i * j + 40 * c) % 256;
const predA: Pattern = (i, j, c) => clamp255(targetA(i, j, c) + ((i * 7 + j * 11 + c * 3) % 121) - 60);
const targetB: Pattern = (i, j, c) => Math.min(255, 8 * i + 4 * j + 30 * c);
const predB: Pattern = (i, j, c) => Math.min(255, (targetB(i, j, c) >> 5) * 32 + 16);

/** A smooth, textured test picture: a disc edge, stripes and a ramp. */
const scene: Pattern = (i, j, c) => {
  const disc = (i - 30) ** 2 + (j - 26) ** 2 < 300 ? 90 : 0;
  return Math.round(clamp255(60 + disc + 50 * Math.sin(0.45 * j + 0.2 * i + c) + 1.5 * i));
};

/** Box blur of radius r (mean over a (2r+1)² window, clamped at the edges) of one pattern on an h×w grid. */
function boxBlur(f: Pattern, r: number, h: number, w: number): Pattern {
  return (i, j, c) => {
    let s = 0;
    for (let a = -r; a <= r; a++) for (let b = -r; b <= r; b++) s += f(Math.min(h - 1, Math.max(0, i + a)), Math.min(w - 1, Math.max(0, j + b)), c);
    return Math.round(s / (2 * r + 1) ** 2);
  };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('PSNR', () => {
  const psnr = metricByName('psnr');

  it('caps identical images at 100 dB', () => {
    const x = image(8, 8, targetA);
    expect(psnr.score(x, x)).toEqual([PSNR_CAP_DB]);
    expect(PSNR_CAP_DB).toBe(100);
  });

  it('gives exactly 10·log10(255²/k²) for a constant offset of k grey levels', () => {
    for (const k of [1, 3, 17]) {
      const t = image(9, 7, (i, j, c) => 40 + ((i * 13 + j * 7 + c * 29) % 150));
      const p = image(9, 7, (i, j, c) => 40 + k + ((i * 13 + j * 7 + c * 29) % 150));
      expect(psnr.score(p, t)).toEqual([10 * Math.log10(255 ** 2 / k ** 2)]);
    }
  });

  it('scores each batch row on its own', () => {
    const base: Pattern = (i, j, c) => 20 + ((i * 13 + j * 7 + c * 29) % 180);
    const shifted = (k: number): Pattern => (i, j, c) => base(i, j, c) + k;
    const t = image(8, 8, base, base, base);
    const p = image(8, 8, shifted(2), base, shifted(-5));
    expect(psnr.score(p, t)).toEqual([10 * Math.log10(255 ** 2 / 4), 100, 10 * Math.log10(255 ** 2 / 25)]);
    expect(psnr.score(image(8, 8, shifted(-5)), image(8, 8, base))).toEqual([10 * Math.log10(255 ** 2 / 25)]);
  });

  it('scores the quantised PNG levels, clamping out-of-range values', () => {
    const t = image(4, 4, () => 255);
    const over: Tensor = { data: new Float32Array(48).fill(1.7), shape: [1, 3, 4, 4] };
    expect(psnr.score(over, t)).toEqual([100]);
    const tiny: Tensor = { data: new Float32Array(48).fill(1 - 0.2 / 127.5), shape: [1, 3, 4, 4] };
    expect(psnr.score(tiny, t)).toEqual([100]);
  });
});

describe('SSIM', () => {
  const ssim = metricByName('ssim');

  it('is 1 for identical images, symmetric, and within (−1, 1]', () => {
    const t = image(16, 20, targetA, targetB);
    const p = image(16, 20, predA, predB);
    expect(ssim.score(t, t)).toEqual([1, 1]);
    const s = ssim.score(p, t);
    const r = ssim.score(t, p);
    for (let k = 0; k < 2; k++) {
      expect(rel(s[k], r[k])).toBeLessThan(1e-14);
      expect(s[k]).toBeGreaterThan(-1);
      expect(s[k]).toBeLessThan(1);
    }
    const inverted = image(16, 20, (i, j, c) => 255 - targetA(i, j, c));
    const neg = ssim.score(inverted, image(16, 20, targetA))[0];
    expect(neg).toBeLessThan(0);
    expect(neg).toBeGreaterThan(-1);
  });

  it('matches `ssim` in models/train/eval_sr.py', () => {
    // Reference, run once from the repo root (numpy int patterns equal to targetA/predA, targetB/predB above):
    //   /usr/bin/python3 -c "
    //   import sys, numpy as np; sys.path.insert(0, 'models/train'); from eval_sr import ssim
    //   i, j, c = (a.transpose(2, 0, 1) for a in np.meshgrid(np.arange(16), np.arange(20), np.arange(3), indexing='ij'))
    //   ta = (3*i*i + 5*j + 7*i*j + 40*c) % 256; pa = np.clip(ta + (i*7 + j*11 + c*3) % 121 - 60, 0, 255)
    //   tb = np.minimum(255, 8*i + 4*j + 30*c); pb = np.minimum(255, (tb >> 5)*32 + 16)
    //   u8 = lambda x: x.astype(np.uint8)
    //   print(repr(ssim(u8(pa), u8(ta))), repr(ssim(u8(pb), u8(tb))))"
    //   → 0.9244654813921581 0.8325286547387177
    const [a, b] = ssim.score(image(16, 20, predA, predB), image(16, 20, targetA, targetB));
    expect(rel(a, 0.9244654813921581)).toBeLessThan(1e-9);
    expect(rel(b, 0.8325286547387177)).toBeLessThan(1e-9);
  });

  it('rejects images smaller than the 11-pixel window', () => {
    const x = image(10, 16, targetA);
    expect(() => ssim.score(x, x)).toThrow(RangeError);
    expect(() => ssim.score(x, x)).toThrow(/at least 11×11 pixels, got 16×10/);
    const y = image(11, 11, targetA);
    expect(ssim.score(y, y)).toEqual([1]);
  });
});

describe('GMSD', () => {
  const gmsd = metricByName('gmsd');

  it('is 0 for identical images and symmetric in pred and target', () => {
    const t = image(16, 20, targetA, targetB);
    const p = image(16, 20, predA, predB);
    expect(gmsd.score(t, t)).toEqual([0, 0]);
    const s = gmsd.score(p, t);
    const r = gmsd.score(t, p);
    for (let k = 0; k < 2; k++) {
      expect(s[k]).toBeGreaterThan(0);
      expect(rel(s[k], r[k])).toBeLessThan(1e-14);
    }
  });

  it('grows as the image is blurred more (box blur of radius 1, 2, 3)', () => {
    const t = image(64, 64, scene);
    const blurred = image(64, 64, boxBlur(scene, 1, 64, 64), boxBlur(scene, 2, 64, 64), boxBlur(scene, 3, 64, 64));
    const s = gmsd.score(blurred, image(64, 64, scene, scene, scene));
    expect(gmsd.score(t, t)[0]).toBe(0);
    expect(s[0]).toBeGreaterThan(0);
    expect(s[1]).toBeGreaterThan(s[0]);
    expect(s[2]).toBeGreaterThan(s[1]);
  });

  it("matches an independent numpy transcription of the authors' MATLAB code", () => {
    // Reference, run once from the repo root with /usr/bin/python3 (same patterns as above, plus an odd
    // 13×17 size that reaches the zero padding of the 2×2 average):
    //   def conv2_same(a, k):  # MATLAB conv2(a, k, 'same'): full convolution, central part
    //       h, w = a.shape; kh, kw = k.shape; full = np.zeros((h + kh - 1, w + kw - 1))
    //       for p in range(kh):
    //           for q in range(kw): full[p:p + h, q:q + w] += k[p, q] * a
    //       r0, c0 = int(np.ceil((kh - 1) / 2)), int(np.ceil((kw - 1) / 2)); return full[r0:r0 + h, c0:c0 + w]
    //   def gmsd(ref, dis):
    //       y = lambda x: 0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]   # float64 of the uint8 levels
    //       dx = np.array([[1, 0, -1]] * 3, dtype=float) / 3; dy = dx.T; ave = np.ones((2, 2)) / 4
    //       y1 = conv2_same(y(ref), ave)[0::2, 0::2]; y2 = conv2_same(y(dis), ave)[0::2, 0::2]
    //       g1 = np.sqrt(conv2_same(y1, dx)**2 + conv2_same(y1, dy)**2); g2 = (same for y2)
    //       return float(np.std((2*g1*g2 + 170) / (g1**2 + g2**2 + 170)))   # 1/N, eq. 5 of the paper
    //   → 16×20 A: 0.24842527436339737, 16×20 B: 0.00034249404326453127, 13×17 A: 0.19095965644252944
    const [a, b] = gmsd.score(image(16, 20, predA, predB), image(16, 20, targetA, targetB));
    expect(rel(a, 0.24842527436339737)).toBeLessThan(1e-9);
    expect(rel(b, 0.00034249404326453127)).toBeLessThan(1e-9);
    const [odd] = gmsd.score(image(13, 17, predA), image(13, 17, targetA));
    expect(rel(odd, 0.19095965644252944)).toBeLessThan(1e-9);
  });
});

describe('metric registry', () => {
  it('lists psnr, ssim and gmsd with their directions', () => {
    expect(METRICS.map((m) => m.name)).toEqual([...METRIC_NAMES]);
    expect(METRICS.map((m) => m.label)).toEqual(['PSNR (dB)', 'SSIM', 'GMSD']);
    expect(METRICS.map((m) => m.higherIsBetter)).toEqual([true, true, false]);
  });

  it('rejects an unknown name, naming the known ones', () => {
    expect(() => metricByName('lpips')).toThrow(RangeError);
    expect(() => metricByName('lpips')).toThrow(/psnr, ssim, gmsd/);
  });

  it('better() follows each metric’s direction, strictly', () => {
    expect(better(metricByName('psnr'), 31, 30)).toBe(true);
    expect(better(metricByName('ssim'), 0.8, 0.9)).toBe(false);
    expect(better(metricByName('gmsd'), 0.05, 0.1)).toBe(true);
    expect(better(metricByName('gmsd'), 0.1, 0.05)).toBe(false);
    expect(better(metricByName('psnr'), 30, 30)).toBe(false);
  });

  it('scoreAll gives every metric’s per-row scores', () => {
    const p = image(16, 20, predA, predB);
    const t = image(16, 20, targetA, targetB);
    const all = scoreAll(p, t);
    expect(Object.keys(all)).toEqual(['psnr', 'ssim', 'gmsd']);
    for (const name of METRIC_NAMES) expect(all[name]).toEqual(metricByName(name).score(p, t));
  });

  it('rejects mismatched or non-RGB shapes', () => {
    const psnr = metricByName('psnr');
    expect(() => psnr.score(image(8, 8, targetA), image(8, 9, targetA))).toThrow(/differ in shape/);
    const grey: Tensor = { data: new Float32Array(64), shape: [1, 1, 8, 8] };
    expect(() => psnr.score(grey, grey)).toThrow(/\[B, 3, H, W\]/);
  });
});
