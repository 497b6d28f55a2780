/**
 * The solver lab's chart, as numbers (pure; LabChart.tsx only draws them): RMS error against the
 * ODE solution over the model evaluations a run took, both axes logarithmic, one line per sampler
 * on one grid family, and the pack's own plan (sampler `pack` on grid `pack`) as a reference line
 * on every family. The best (sampler, grid) of each budget is ringed, in whichever family it lies.
 * A run that broke — an error that is missing (NaN, ∞) or beyond any two images' distance — is
 * drawn on the plot's top edge, left out of its line's path and counted, never dropped; an error of exactly 0 sits on the
 * bottom edge.
 */
import { LAB_GRIDS, type LabGrid } from '../../../../main/api/contract.js';
import type { ChartSize } from '../upscale/score-chart.js';
import { gridLabel, type StoredBest, type StoredRow, type StoredTable } from './solver-table.js';

export const DEFAULT_LAB_CHART_SIZE: ChartSize = { width: 320, height: 200, left: 40, right: 10, top: 10, bottom: 30 };

/** The pack's own plan in the table: this sampler on this grid. */
export const PACK_PLAN = { sampler: 'pack', grid: 'pack' } as const;

/**
 * Images live in [−1, 1], so two of them are at most 2 apart in RMS: a larger error means the run
 * left the image range (it diverged), and is drawn as broken.
 */
export const BROKEN_RMS = 2;

export interface LabPoint {
  sampler: string;
  grid: LabGrid;
  nfe: number;
  steps: number;
  evaluations: number;
  /** As measured; null when the run gave no number. */
  rms: number | null;
  x: number;
  y: number;
  /** high: a broken run on the top edge; low: an error of 0 on the bottom edge. */
  clipped: 'high' | 'low' | null;
  /** This (sampler, grid) is the best of its budget. */
  best: boolean;
}

export interface LabLine {
  sampler: string;
  label: string;
  /** The pack's own plan (drawn distinct, "pack default"). */
  pack: boolean;
  /** A stable index for the line's colour: the sampler's first appearance in the table. */
  color: number;
  points: LabPoint[];
  /** SVG path through the points, fewest evaluations first; it breaks at a broken run (drawn alone). */
  path: string;
  /** The error at the largest budget it ran (null: broken there). */
  last: number | null;
}

export interface LabTick {
  value: number;
  /** x for the x axis, y for the y axis. */
  at: number;
  label: string;
  /** A power of ten. */
  major: boolean;
}

export interface BestMark {
  nfe: number;
  sampler: string;
  grid: LabGrid;
  /** "DPM++ 2M · tuned grid". */
  what: string;
  rms: number;
  x: number;
  y: number;
  /** It lies on a line of the family shown (else it is ringed alone). */
  inFamily: boolean;
}

export interface LabChart {
  family: LabGrid;
  /** The grid families the table measured, in LAB_GRIDS order (the selector's choices). */
  families: LabGrid[];
  plot: { x0: number; x1: number; y0: number; y1: number };
  /** Axis domains (values at the plot's edges). */
  xDomain: [number, number];
  yDomain: [number, number];
  xTicks: LabTick[];
  yTicks: LabTick[];
  /** The family's samplers, lowest error at the largest budget first (broken ones last). */
  lines: LabLine[];
  pack: LabLine | null;
  best: BestMark[];
  /** Points drawn on the top edge because their run broke. */
  broken: number;
}

const isPackPlan = (r: { sampler: string; grid: string }) => r.sampler === PACK_PLAN.sampler && r.grid === PACK_PLAN.grid;
const usable = (rms: number | null): rms is number => rms !== null && Number.isFinite(rms) && rms < BROKEN_RMS;
/** The x a row sits at: the evaluations it took (its budget if it reports none). */
const cost = (r: Pick<StoredRow, 'evaluations' | 'nfe'>) => (r.evaluations > 0 ? r.evaluations : r.nfe);

/** The grid families a table measured, in LAB_GRIDS order. */
export function tableFamilies(table: StoredTable): LabGrid[] {
  const present = new Set(table.rows.map((r) => r.grid));
  return LAB_GRIDS.filter((g) => present.has(g));
}

/** The best of the largest budget that has one. */
export function topBest(table: StoredTable): StoredBest | null {
  return table.best.reduce<StoredBest | null>((a, b) => (!a || b.nfe > a.nfe ? b : a), null);
}

/** The family shown first: the grid of the best row at the largest budget, else the first measured. */
export function defaultFamily(table: StoredTable): LabGrid {
  const families = tableFamilies(table);
  const top = topBest(table);
  return top && families.includes(top.grid) ? top.grid : (families[0] ?? 'pack');
}

/**
 * A log-scale domain around positive values: a little air on both sides, half a decade each way
 * when they are all equal, and 10⁻³ … 1 when there are none.
 */
export function logDomain(values: readonly number[]): [number, number] {
  const logs = values.filter((v) => v > 0 && Number.isFinite(v)).map(Math.log10);
  if (!logs.length) return [1e-3, 1];
  const lo = Math.min(...logs);
  const hi = Math.max(...logs);
  const pad = hi > lo ? Math.max(0.04, (hi - lo) * 0.06) : 0.5;
  return [10 ** (lo - pad), 10 ** (hi + pad)];
}

/**
 * Decades inside the domain; where fewer than two fit, the 1–2–5 series, then every digit
 * (decades stay major); a domain too narrow for any gets its middle.
 */
export function logTicks(lo: number, hi: number): { value: number; major: boolean }[] {
  const series = (mantissas: number[]) => {
    const out: { value: number; major: boolean }[] = [];
    for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
      for (const m of mantissas) {
        // Rounded so 2·10⁻² is 0.02, not 0.020000000000000004.
        const value = Number((m * 10 ** k).toPrecision(6));
        if (value >= lo * (1 - 1e-9) && value <= hi * (1 + 1e-9)) out.push({ value, major: m === 1 });
      }
    }
    return out;
  };
  for (const mantissas of [[1], [1, 2, 5]]) {
    const ticks = series(mantissas);
    if (ticks.length >= 2) return ticks;
  }
  const digits = series([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  return digits.length ? digits : [{ value: Number(Math.sqrt(lo * hi).toPrecision(2)), major: false }];
}

/** A tick or an error in few characters: "0.02", "5", "1e-4", "3e+5". */
export function formatValue(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(digits)));
}

function scale(domain: [number, number], a: number, b: number): (v: number) => number {
  const l0 = Math.log10(domain[0]);
  const l1 = Math.log10(domain[1]);
  return (v) => a + ((Math.log10(v) - l0) / (l1 - l0)) * (b - a);
}

/**
 * The chart of a table for one grid family (default: defaultFamily). `labelOf` names samplers
 * (the catalogue's labels); the pack's plan is "Pack scheduler".
 */
export function labChart(table: StoredTable, family: LabGrid | null = null, labelOf: (sampler: string) => string = (s) => s, size: ChartSize = DEFAULT_LAB_CHART_SIZE): LabChart {
  const families = tableFamilies(table);
  const shown = family && families.includes(family) ? family : defaultFamily(table);
  const inFamily = table.rows.filter((r) => r.grid === shown && !isPackPlan(r));
  const packRows = table.rows.filter(isPackPlan);
  const bestKeys = new Set(table.best.map((b) => `${b.sampler}\u0000${b.grid}\u0000${b.nfe}`));
  const bestRows = table.best.map((b) => ({ b, row: table.rows.find((r) => r.sampler === b.sampler && r.grid === b.grid && r.nfe === b.nfe) }));

  const drawn = [...inFamily, ...packRows];
  const xDomain = logDomain([...drawn.map(cost), ...bestRows.map(({ b, row }) => (row ? cost(row) : b.nfe))]);
  const yDomain = logDomain([...drawn.map((r) => r.rms).filter(usable), ...table.best.map((b) => b.rms).filter(usable)]);
  const plot = { x0: size.left, x1: size.width - size.right, y0: size.top, y1: size.height - size.bottom };
  const x = scale(xDomain, plot.x0, plot.x1);
  // SVG's y grows downwards; a smaller error is lower on the plot.
  const y = scale(yDomain, plot.y1, plot.y0);

  const point = (r: StoredRow): LabPoint => {
    const clipped = !usable(r.rms) ? 'high' : r.rms <= 0 ? 'low' : null;
    return {
      sampler: r.sampler, grid: r.grid, nfe: r.nfe, steps: r.steps, evaluations: r.evaluations, rms: r.rms,
      x: x(cost(r)), y: clipped === 'high' ? plot.y0 : clipped === 'low' ? plot.y1 : y(r.rms!), clipped,
      best: bestKeys.has(`${r.sampler}\u0000${r.grid}\u0000${r.nfe}`),
    };
  };
  const colors = new Map<string, number>();
  for (const r of table.rows) if (!isPackPlan(r) && !colors.has(r.sampler)) colors.set(r.sampler, colors.size);
  const line = (sampler: string, rows: StoredRow[], pack: boolean): LabLine => {
    const sorted = [...rows].sort((a, b) => cost(a) - cost(b) || a.nfe - b.nfe);
    const points = sorted.map(point);
    const lastRow = sorted.reduce<StoredRow | null>((a, r) => (!a || r.nfe >= a.nfe ? r : a), null);
    return {
      sampler, label: pack ? 'Pack scheduler (pack default)' : labelOf(sampler), pack, color: pack ? -1 : (colors.get(sampler) ?? 0), points,
      path: linePath(points),
      last: lastRow && usable(lastRow.rms) ? lastRow.rms : null,
    };
  };

  const bySampler = new Map<string, StoredRow[]>();
  for (const r of inFamily) bySampler.set(r.sampler, [...(bySampler.get(r.sampler) ?? []), r]);
  const lines = [...bySampler].map(([s, rows]) => line(s, rows, false))
    .sort((a, b) => (a.last ?? Infinity) - (b.last ?? Infinity) || a.label.localeCompare(b.label));
  const pack = packRows.length ? line(PACK_PLAN.sampler, packRows, true) : null;

  const best = bestRows.map(({ b, row }): BestMark => ({
    nfe: b.nfe, sampler: b.sampler, grid: b.grid, what: whatRan(b.sampler, b.grid, labelOf), rms: b.rms,
    x: x(row ? cost(row) : b.nfe), y: usable(b.rms) && b.rms > 0 ? y(b.rms) : b.rms <= 0 ? plot.y1 : plot.y0,
    inFamily: b.grid === shown || isPackPlan(b),
  }));

  const ticks = (domain: [number, number], at: (v: number) => number): LabTick[] =>
    logTicks(domain[0], domain[1]).map((t) => ({ ...t, at: at(t.value), label: formatValue(t.value) }));
  const all = [...lines, ...(pack ? [pack] : [])];
  return {
    family: shown, families, plot, xDomain, yDomain, xTicks: ticks(xDomain, x), yTicks: ticks(yDomain, y), lines, pack, best,
    broken: all.reduce((n, l) => n + l.points.filter((p) => p.clipped === 'high').length, 0),
  };
}

const round = (v: number) => Math.round(v * 100) / 100;

/** "M x y L x y …" through the points, restarting after each broken one (it is not joined in). */
function linePath(points: readonly LabPoint[]): string {
  let out = '';
  let pen = false;
  for (const p of points) {
    if (p.clipped === 'high') {
      pen = false;
      continue;
    }
    out += `${out ? ' ' : ''}${pen ? 'L' : 'M'}${round(p.x)} ${round(p.y)}`;
    pen = true;
  }
  return out;
}

/** One budget under the chart: its best (sampler, grid), its error, and the pack's plan's. */
export interface BestRow {
  nfe: number;
  /** "DPM++ 2M · tuned grid"; null when the budget has no best. */
  what: string | null;
  rms: number | null;
  packRms: number | null;
  /** The pack's plan's error over the best's (> 1: the best is better); null when either is missing or 0. */
  ratio: number | null;
  /** "0.012 vs pack plan 0.048 (3.9× lower)". */
  versus: string;
  /** "20 → DPM++ 2M · tuned grid · 0.012 vs pack plan 0.048 (3.9× lower)". */
  text: string;
}

/** "1.8× lower", "same", "2.0× higher" for a ratio of pack error over best error. */
export function ratioText(ratio: number | null): string {
  if (ratio === null) return 'no ratio';
  if (Math.abs(ratio - 1) < 0.05) return 'same as the pack plan';
  return ratio > 1 ? `${ratio.toFixed(1)}× lower` : `${(1 / ratio).toFixed(1)}× higher`;
}

/** "DPM++ 2M · tuned grid" (the pack's plan: "Pack scheduler · pack grid"). */
export function whatRan(sampler: string, grid: string, labelOf: (sampler: string) => string = (s) => s): string {
  return `${sampler === PACK_PLAN.sampler ? 'Pack scheduler' : labelOf(sampler)} · ${gridLabel(grid)}`;
}

/** The table under the chart: budget → best sampler · grid · error vs the pack's plan's (ratio). */
export function bestTable(table: StoredTable, labelOf: (sampler: string) => string = (s) => s): BestRow[] {
  return [...new Set(table.nfes)].sort((a, b) => a - b).map((nfe): BestRow => {
    const b = table.best.find((x) => x.nfe === nfe);
    if (!b) return { nfe, what: null, rms: null, packRms: null, ratio: null, versus: '—', text: `${nfe} → no best measured` };
    const what = whatRan(b.sampler, b.grid, labelOf);
    const ratio = b.packRms !== null && b.rms > 0 ? b.packRms / b.rms : null;
    const pack = b.packRms === null ? 'the pack plan broke' : `pack plan ${formatValue(b.packRms, 3)}`;
    const versus = `${formatValue(b.rms, 3)} vs ${pack}${ratio === null ? '' : ` (${ratioText(ratio)})`}`;
    return { nfe, what, rms: b.rms, packRms: b.packRms, ratio, versus, text: `${nfe} → ${what} · ${versus}` };
  });
}
