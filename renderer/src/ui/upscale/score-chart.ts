/**
 * The boundary search's chart, as numbers (pure; ScoreChart.tsx only draws them): every
 * candidate's score under one metric, sorted worst → best from left to right, with "better" up
 * whatever the metric's direction (GMSD: lower is better, so its axis is flipped). The candidates
 * are independent random draws of x_T, so their mean and standard deviation ARE the random-noise
 * baseline an upscale without a search gets; the band is mean ± 1 sd (sample sd, n − 1, as the
 * CLI reports it), and the chosen candidate — the one stored — is marked.
 */
import type { BcMetric } from '../../../../main/api/contract.js';
import type { StoredSearch } from './boundary-record.js';
import { formatDay } from './summary.js';

export const HIGHER_IS_BETTER: Record<BcMetric, boolean> = { psnr: true, ssim: true, gmsd: false };

export interface ChartSize {
  width: number;
  height: number;
  /** Margins around the plot (room for the axis labels). */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const DEFAULT_CHART_SIZE: ChartSize = { width: 300, height: 150, left: 52, right: 10, top: 10, bottom: 20 };

export interface CandidateMark {
  /** The candidate's index in the search (stream k of the seed). */
  index: number;
  value: number;
  /** 0 = worst. */
  rank: number;
  x: number;
  y: number;
  chosen: boolean;
}

export interface ScoreChart {
  metric: BcMetric;
  higherIsBetter: boolean;
  marks: CandidateMark[];
  plot: { x0: number; x1: number; y0: number; y1: number };
  /** The random baseline over the candidates. */
  mean: number;
  sd: number;
  meanY: number;
  /** mean ± 1 sd as a rectangle's top and height, clipped to the plot. */
  band: { y: number; height: number };
  ticks: { value: number; y: number; label: string }[];
  /** The chosen candidate's score, and how many sds better than the mean it is (null when sd is 0). */
  chosen: { index: number; value: number; sdsBetter: number | null } | null;
  /** Candidates whose score under this metric is missing (not a finite number). */
  missing: number;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** Sample standard deviation (n − 1); 0 for fewer than two values. */
export function sampleSd(v: number[]): number {
  if (v.length < 2) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
}

/** Decimals that tell apart values `range` apart (PSNR in dB needs fewer than SSIM). */
function decimalsFor(range: number, metric: BcMetric): number {
  const base = metric === 'psnr' ? 2 : 4;
  if (!(range > 0)) return base;
  return Math.min(6, Math.max(base, Math.ceil(-Math.log10(range)) + 1));
}

export function formatScore(metric: BcMetric, v: number, decimals = metric === 'psnr' ? 2 : 4): string {
  return metric === 'psnr' ? `${v.toFixed(decimals)} dB` : v.toFixed(decimals);
}

/** The chart of a stored search under `metric` (default the one it searched with); null when no score is finite. */
export function scoreChart(record: StoredSearch, metric: BcMetric = record.metric, size: ChartSize = DEFAULT_CHART_SIZE): ScoreChart | null {
  const higherIsBetter = HIGHER_IS_BETTER[metric];
  const scored = record.candidates
    .map((c) => ({ index: c.index, value: c.scores[metric] }))
    .filter((c): c is { index: number; value: number } => typeof c.value === 'number' && Number.isFinite(c.value));
  if (!scored.length) return null;
  const values = scored.map((c) => c.value);
  const m = mean(values);
  const sd = sampleSd(values);

  // The domain holds every score and the whole band, with a little air; a flat one gets a width.
  let lo = Math.min(...values, m - sd);
  let hi = Math.max(...values, m + sd);
  const pad = hi > lo ? (hi - lo) * 0.08 : Math.max(Math.abs(hi) * 1e-3, 1e-6);
  lo -= pad;
  hi += pad;
  const plot = { x0: size.left, x1: size.width - size.right, y0: size.top, y1: size.height - size.bottom };
  const t = (v: number) => (v - lo) / (hi - lo);
  // SVG's y grows downwards; "better" is up.
  const y = (v: number) => (higherIsBetter ? plot.y1 - t(v) * (plot.y1 - plot.y0) : plot.y0 + t(v) * (plot.y1 - plot.y0));

  const worstFirst = [...scored].sort((a, b) => (higherIsBetter ? a.value - b.value : b.value - a.value) || a.index - b.index);
  const step = (plot.x1 - plot.x0) / worstFirst.length;
  const marks = worstFirst.map((c, rank): CandidateMark => ({ ...c, rank, x: plot.x0 + (rank + 0.5) * step, y: y(c.value), chosen: c.index === record.best }));

  const bandTop = Math.max(plot.y0, Math.min(y(m + sd), y(m - sd)));
  const bandBottom = Math.min(plot.y1, Math.max(y(m + sd), y(m - sd)));
  const decimals = decimalsFor(hi - lo, metric);
  const ticks = [lo + pad, (lo + hi) / 2, hi - pad].map((value) => ({ value, y: y(value), label: formatScore(metric, value, decimals) }));
  const pick = marks.find((k) => k.chosen);
  const chosen = pick ? { index: pick.index, value: pick.value, sdsBetter: sd > 0 ? ((pick.value - m) / sd) * (higherIsBetter ? 1 : -1) : null } : null;
  return { metric, higherIsBetter, marks, plot, mean: m, sd, meanY: y(m), band: { y: bandTop, height: bandBottom - bandTop }, ticks, chosen, missing: record.candidates.length - scored.length };
}

/** The one line under the chart: the chosen score against the random baseline, the calibration set and the date. */
export function chartSummary(record: StoredSearch, chart: ScoreChart): string {
  const d = decimalsFor(chart.sd, chart.metric);
  const f = (v: number) => formatScore(chart.metric, v, d);
  const dir = chart.higherIsBetter ? '' : ' (lower is better)';
  const best = chart.chosen
    ? `Chosen ${f(chart.chosen.value)}${chart.chosen.sdsBetter === null ? '' : ` (${chart.chosen.sdsBetter >= 0 ? '+' : '−'}${Math.abs(chart.chosen.sdsBetter).toFixed(1)} sd)`}`
    : 'Chosen candidate has no score';
  const n = record.calibration.count;
  return `${chart.metric.toUpperCase()}${dir}: ${best} vs random ${f(chart.mean)} ± ${f(chart.sd)} over ${chart.marks.length} candidates · ${n} calibration image${n === 1 ? '' : 's'} · ${formatDay(record.date)}`;
}
