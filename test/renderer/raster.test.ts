import { describe, expect, it } from 'vitest';
import { applyStroke, brushFalloff, fillPolygon, maskStats, rasterizePolygon, rasterizeStrokes } from '../../renderer/src/document/index.js';
import type { MaskStroke } from '../../renderer/src/document/index.js';

const stroke = (points: number[], size: number, hardness = 1, mode: MaskStroke['mode'] = 'brush'): MaskStroke => ({ id: 's', mode, size, hardness, points });

describe('scanline polygon fill', () => {
  it('fills a 10×10 rectangle on integer coordinates with exactly 100 pixels, at the right place', () => {
    const mask = rasterizePolygon([3, 4, 13, 4, 13, 14, 3, 14], 32, 32);
    expect(maskStats(mask).count).toBe(100);
    expect(mask[4 * 32 + 3]).toBe(1);
    expect(mask[13 * 32 + 12]).toBe(1);
    expect(mask[4 * 32 + 2]).toBe(0);
    expect(mask[14 * 32 + 3]).toBe(0);
  });

  it('fills adjacent rectangles without overlap or gap (half-open edges)', () => {
    const target = new Float32Array(20 * 20);
    const a = fillPolygon(target, 20, 20, [0, 0, 7, 0, 7, 10, 0, 10]);
    const b = fillPolygon(target, 20, 20, [7, 0, 15, 0, 15, 10, 7, 10]);
    expect(a + b).toBe(150);
    expect(maskStats(target).count).toBe(150);
  });

  it('samples pixel centres: a right triangle of legs 20 covers 190 pixels', () => {
    // Centres (x+½, y+½) with x + y + 1 < 20 → Σ_{y=0}^{18} (19 − y) = 190.
    expect(maskStats(rasterizePolygon([0, 0, 20, 0, 0, 20], 32, 32)).count).toBe(190);
  });

  it('clips to the canvas and ignores degenerate polygons', () => {
    expect(maskStats(rasterizePolygon([-5, -5, 5, -5, 5, 5, -5, 5], 10, 10)).count).toBe(25);
    expect(maskStats(rasterizePolygon([0, 0, 5, 5], 10, 10)).count).toBe(0);
    expect(maskStats(rasterizePolygon([0, 0, 10, 0, 10, 0, 0, 0], 10, 10)).count).toBe(0);
  });

  it('fills a concave polygon by the even-odd rule (a U shape)', () => {
    // 30×30 square minus a 10-wide notch from the top down to y = 20.
    const u = [0, 0, 10, 0, 10, 20, 20, 20, 20, 0, 30, 0, 30, 30, 0, 30];
    expect(maskStats(rasterizePolygon(u, 40, 40)).count).toBe(900 - 200);
  });
});

describe('stroke rasteriser', () => {
  it('a hard round dot covers ≈ πr² pixels', () => {
    for (const r of [5, 10, 25]) {
      const mask = new Float32Array(100 * 100);
      applyStroke(mask, 100, 100, stroke([50, 50], 2 * r));
      const { count, sum } = maskStats(mask);
      expect(count).toBe(sum); // hard: every covered pixel is exactly 1
      expect(Math.abs(count - Math.PI * r * r) / (Math.PI * r * r)).toBeLessThan(0.04);
    }
  });

  it('a hard horizontal line covers its capsule: 2r·L + πr²', () => {
    const mask = rasterizeStrokes([stroke([20, 50, 70, 50], 10)], 100, 100);
    const expected = 10 * 50 + Math.PI * 25;
    expect(Math.abs(maskStats(mask).count - expected) / expected).toBeLessThan(0.03);
  });

  it('joints of a polyline do not add up (segments combine by max)', () => {
    const mask = rasterizeStrokes([stroke([20, 20, 50, 20, 50, 50, 20, 50], 8, 0.3)], 80, 80);
    expect(Math.max(...mask)).toBe(1);
  });

  it('hardness: 1 inside h·r, smooth falloff to 0 at r', () => {
    expect(brushFalloff(0, 10, 0.5)).toBe(1);
    expect(brushFalloff(5, 10, 0.5)).toBe(1);
    expect(brushFalloff(7.5, 10, 0.5)).toBeCloseTo(0.5, 6);
    expect(brushFalloff(10, 10, 0.5)).toBe(0);
    expect(brushFalloff(10, 10, 1)).toBe(1);
    expect(brushFalloff(10.01, 10, 1)).toBe(0);
    const mask = new Float32Array(64 * 64);
    applyStroke(mask, 64, 64, stroke([32, 32], 40, 0));
    const row = Array.from(mask.slice(31 * 64 + 32, 31 * 64 + 60));
    for (let i = 1; i < row.length; i++) expect(row[i]).toBeLessThanOrEqual(row[i - 1]);
    const { sum, count } = maskStats(mask);
    expect(sum).toBeLessThan(count);
    expect(sum).toBeGreaterThan(0.25 * Math.PI * 400);
  });

  it('an eraser removes what a brush painted', () => {
    const mask = rasterizeStrokes([stroke([50, 50], 40), stroke([50, 50], 20, 1, 'eraser')], 100, 100);
    const outer = maskStats(rasterizeStrokes([stroke([50, 50], 40)], 100, 100)).count;
    const inner = maskStats(rasterizeStrokes([stroke([50, 50], 20)], 100, 100)).count;
    expect(maskStats(mask).count).toBe(outer - inner);
    expect(mask[50 * 100 + 50]).toBe(0);
  });

  it('clips strokes that leave the canvas', () => {
    const mask = rasterizeStrokes([stroke([0, 0], 20)], 50, 50);
    const full = maskStats(rasterizeStrokes([stroke([25, 25], 20)], 50, 50)).count;
    expect(maskStats(mask).count).toBe(full / 4);
  });
});
