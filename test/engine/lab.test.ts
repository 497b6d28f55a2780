/**
 * The solver lab's pieces that need no model run: the tuned grid's levels, the budget → steps fit,
 * the table store (atomic, ∞ kept through JSON, damage and foreign files refused) and how `auto`
 * reads a table.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SolverTable } from '../../main/api/contract.js';
import { inspectPack } from '../../main/engine/packs/pack.js';
import type { PackInfo } from '../../main/engine/packs/types.js';
import { labPlan, planEvaluations, sigmaRange, stepsWithin, tunedLevels } from '../../main/engine/lab/grids.js';
import { loadSolverTable, saveSolverTable, solverTablePath } from '../../main/engine/lab/store.js';
import { autoChoice, DEFAULT_AUTO, measuredChoice } from '../../main/engine/lab/auto.js';
import { checkLabRequest, effectiveOrders, imageErrors, orderTrials } from '../../main/engine/lab/lab.js';
import { loadStatistics, saveStatistics, statisticsGrid, statisticsPath } from '../../main/engine/lab/statistics.js';
import { statisticsRange, V3 } from '../../main/engine/lab/grids.js';
import type { ModelStatistics } from '../../main/engine/samplers/ems.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let info: PackInfo;
beforeAll(async () => { info = await inspectPack(path.join(root, 'models', 'packs', 'emoji-32')); });

const digest = 'ab'.repeat(32);
function table(over: Partial<SolverTable> = {}): SolverTable {
  return {
    version: 1, pack: { name: 'p', digest }, date: '2026-01-01T00:00:00.000Z', seconds: 1, evaluations: 10,
    prompts: ['x'], seeds: [1], cfgScale: 5, width: 32, height: 32,
    reference: { method: 'm', check: 'c', steps: 80, agreement: 1e-3 },
    nfes: [5, 10],
    rows: [
      { sampler: 'pack', grid: 'pack', nfe: 5, steps: 5, evaluations: 5, rms: 0.5, images: [0.5] },
      { sampler: 'heun', grid: 'karras', nfe: 5, steps: 3, evaluations: 5, rms: Infinity, images: [Infinity] },
      { sampler: 'ddim', grid: 'tuned', nfe: 5, steps: 5, evaluations: 5, rms: 0.4, images: [0.4] },
      { sampler: 'pack', grid: 'pack', nfe: 10, steps: 10, evaluations: 10, rms: 0.45, images: [0.45] },
      { sampler: 'unipc_bh2', grid: 'logsnr', nfe: 10, steps: 10, evaluations: 10, rms: 0.2, images: [0.2] },
    ],
    tuned: [{ nfe: 5, sigmaHi: 5, rho: 10, seeds: [1001] }],
    best: [{ nfe: 5, sampler: 'ddim', grid: 'tuned', rms: 0.4, packRms: 0.5 }, { nfe: 10, sampler: 'unipc_bh2', grid: 'logsnr', rms: 0.2, packRms: 0.45 }],
    ...over,
  };
}

describe('grids', () => {
  it('tuned levels: σ_max first, then Karras spacing from σ_hi to σ_min', () => {
    const [lo, hi] = sigmaRange(info);
    expect(hi).toBeGreaterThan(1e4); // the cosine schedule with β capped at 0.999
    const levels = tunedLevels([lo, hi], 5, { sigmaHi: 80, rho: 7 });
    expect(levels).toHaveLength(5);
    expect(levels[0]).toBe(hi);
    expect(levels[1]).toBeCloseTo(80, 10);
    expect(levels[4]).toBeCloseTo(lo, 12);
    // eq. 5: the ρ-th roots are evenly spaced.
    const roots = levels.slice(1).map((s) => s ** (1 / 7));
    for (let i = 2; i < roots.length; i++) expect(roots[i] - roots[i - 1]).toBeCloseTo(roots[1] - roots[0], 10);
    // σ_hi at or above σ_max: plain eq. 5 from σ_max.
    expect(tunedLevels([lo, hi], 4, { sigmaHi: Infinity, rho: 7 })[0]).toBe(hi);
    expect(() => tunedLevels([lo, hi], 4, { sigmaHi: lo / 2, rho: 7 })).toThrow(/σ_hi above σ_min/);
  });

  it('a budget buys the most steps whose evaluations fit it', async () => {
    expect(await stepsWithin(info, 'ddim', 'pack', 10)).toEqual({ steps: 10, evaluations: 10 });
    const heun = await stepsWithin(info, 'heun', 'karras', 10);
    expect(heun!.evaluations).toBeLessThanOrEqual(10);
    expect(await planEvaluations(labPlan(info, 'heun', 'karras', heun!.steps + 1))).toBeGreaterThan(10);
    expect(await stepsWithin(info, 'dpmpp_2s', 'logsnr', 1)).toEqual({ steps: 1, evaluations: 1 });
    expect(() => labPlan(info, 'pack', 'karras', 5)).toThrow(/own grid/);
    expect(() => labPlan(info, 'ddim', 'tuned', 5)).toThrow(/searched/);
  });

  it('errors per image, with a broken image as ∞', () => {
    const e = imageErrors([0, 0, 1, 1], [0, 0, 0, 0], 2);
    expect(e.images).toEqual([0, 1]);
    expect(e.rms).toBeCloseTo(Math.SQRT1_2, 12);
    expect(imageErrors([NaN, 0], [0, 0], 1).rms).toBe(Infinity);
  });
});

describe('the lab request and its searches', () => {
  const req = { prompts: ['x'], seeds: [1, 2], cfgScale: 5, nfes: [5], samplers: ['ddim'], grids: ['pack' as const], width: 32, height: 32 };

  it('refuses seeds that meet its own calibration or statistics seeds, or overflow them', () => {
    expect(() => checkLabRequest(info, req)).not.toThrow();
    expect(() => checkLabRequest(info, { ...req, seeds: [1, 1001] })).toThrow(/meet the lab's own calibration seeds/);
    expect(() => checkLabRequest(info, { ...req, seeds: [5, 2105] })).toThrow(/statistics seeds/);
    expect(() => checkLabRequest(info, { ...req, seeds: [Number.MAX_SAFE_INTEGER - 10] })).toThrow(/seeds must be at most/);
    expect(() => checkLabRequest(info, { ...req, samplers: ['dpmpp_usf'] })).toThrow(/dpmpp_usf is measured on the tuned grid only: add the tuned grid/);
    expect(() => checkLabRequest(info, { ...req, samplers: ['euler_a'] })).toThrow(/injects noise/);
  });

  it('searches only the orders a step can run: none at the first and last steps, at most i + 1 at step i', () => {
    expect(effectiveOrders(5)).toEqual([1, 2, 2, 2, 1]);
    expect(orderTrials(5)).toEqual([[1, 1], [2, 1], [2, 3], [3, 1], [3, 3]]);
    expect(orderTrials(2)).toEqual([]);
  });
});

describe('store', () => {
  it('round-trips a table, broken runs included', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'driftline-lab-'));
    const file = await saveSolverTable(table(), dir);
    expect(file).toBe(solverTablePath(digest, dir));
    expect(await readFile(file, 'utf8')).toContain('"rms": null');
    const back = await loadSolverTable(digest, dir);
    expect(back!.table.rows[1].rms).toBe(Infinity);
    expect(back!.table).toEqual(table());
    expect(await loadSolverTable('cd'.repeat(32), dir)).toBeNull();
  });

  it('refuses a table whose best entry was not measured, or that measures a row twice', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'driftline-lab-'));
    const file = await saveSolverTable(table({ best: [{ nfe: 5, sampler: 'euler', grid: 'karras', rms: 0.01, packRms: 0.5 }] }), dir);
    await expect(loadSolverTable(digest, dir)).rejects.toThrow(/damaged/);
    await writeFile(file, JSON.stringify({ ...table(), rows: [...table().rows, table().rows[0]] }));
    await expect(loadSolverTable(digest, dir)).rejects.toThrow(/damaged/);
  });

  it('refuses a damaged table and one that belongs to another pack', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'driftline-lab-'));
    const file = await saveSolverTable(table(), dir);
    await writeFile(file, JSON.stringify({ ...table(), rows: 'no' }));
    await expect(loadSolverTable(digest, dir)).rejects.toThrow(/damaged/);
    const other = 'ab'.repeat(8) + 'cd'.repeat(24); // same 16-hex file name, other digest
    await writeFile(file, JSON.stringify(table({ pack: { name: 'q', digest: other } })));
    await expect(loadSolverTable(digest, dir)).rejects.toThrow(/another pack/);
  });
});

describe('auto', () => {
  it('reads the best pair at the largest measured budget not above the request', () => {
    expect(measuredChoice(table(), 12)).toMatchObject({ sampler: 'unipc_bh2', grid: 'logsnr', nfe: 10 });
    expect(measuredChoice(table(), 7)).toMatchObject({ sampler: 'ddim', grid: 'tuned', tuned: { sigmaHi: 5, rho: 10 }, nfe: 5 });
    expect(measuredChoice(table(), 3), 'below every budget: the smallest').toMatchObject({ nfe: 5 });
    expect(measuredChoice(table({ best: [] }), 10)).toBeUndefined();
    expect(measuredChoice(table({ tuned: [] }), 5), 'a tuned pick without its parameters is not used').toBeUndefined();
  });

  it('runs the pick within the budget, else the default, else the pack plan', async () => {
    const measured = await autoChoice(info, 12, table());
    expect(measured).toMatchObject({ sampler: 'unipc_bh2', grid: 'logsnr', steps: 12 });
    expect(measured.plan(12).sigmas).toHaveLength(13);
    const fallback = await autoChoice(info, 10, null);
    expect(fallback).toMatchObject({ sampler: DEFAULT_AUTO.sampler, grid: 'tuned', tuned: DEFAULT_AUTO.tuned, steps: 10 });
    expect(fallback.plan(10).sigmas[1]).toBeCloseTo(80, 8);
    const heunOnly = table({ best: [{ nfe: 5, sampler: 'heun', grid: 'karras', rms: 0.3, packRms: 0.5 }] });
    const one = await autoChoice(info, 1, heunOnly);
    expect(one).toMatchObject({ sampler: 'heun', steps: 1 });
  });
});

/** Degenerate statistics (l = 1, s = b = 0: DPM-Solver-v3 is DPM-Solver++ then) over the pack's range. */
function flatStatistics(dim: number): ModelStatistics {
  const lambdas = statisticsGrid(statisticsRange(info));
  const K = lambdas.length;
  return { lambdas, dim, l: new Float64Array(K * dim).fill(1), s: new Float64Array(K * dim), b: new Float64Array(K * dim) };
}

describe('DPM-Solver-v3 in the lab', () => {
  const v3Best = () => table({
    rows: [...table().rows, { sampler: V3, grid: 'logsnr', nfe: 10, steps: 10, evaluations: 10, rms: 0.1, images: [0.1] }],
    best: [table().best[0], { nfe: 10, sampler: V3, grid: 'logsnr', rms: 0.1, packRms: 0.45 }],
    statistics: { sha256: 'e'.repeat(64), images: 32 },
  });
  const dim = 3 * 32 * 32;

  it('statistics round-trip through the store; damage and another pack are refused', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'driftline-ems-'));
    const stats = flatStatistics(4);
    stats.b[7] = 0.25;
    const meta = { digest, cfgScale: 5, width: 32, height: 32, prompts: ['x'], seeds: [2001], images: 4 };
    const { path: file, sha256 } = await saveStatistics(stats, meta, dir);
    expect(file).toBe(statisticsPath(digest, dir));
    const back = await loadStatistics(digest, dir);
    expect(back!.meta).toMatchObject({ ...meta, nodes: stats.lambdas.length, dim: 4, sha256 });
    expect(Array.from(back!.stats.b)).toEqual(Array.from(stats.b));
    expect(Array.from(back!.stats.lambdas)).toEqual(Array.from(stats.lambdas));
    const bytes = await readFile(file);
    bytes[bytes.length - 3] ^= 0xff;
    await writeFile(file, bytes);
    await expect(loadStatistics(digest, dir)).rejects.toThrow(/statistics .* are damaged/);
    expect(await loadStatistics('cd'.repeat(32), dir)).toBeNull();
  });

  it('the v3 plan needs statistics; with degenerate ones it lands next to DPM-Solver++(2M) (its corrector on)', async () => {
    expect(() => labPlan(info, V3, 'logsnr', 5)).toThrow(/needs the pack's statistics/);
    expect(await stepsWithin(info, V3, 'karras', 10)).toEqual({ steps: 10, evaluations: 10 });
    const d = async (x: ArrayLike<number>, sigma: number) => Float64Array.from(x, (v, j) => Math.tanh(v / (1 + sigma)) * 0.5 + 0.01 * (j % 3));
    const x = Float64Array.from({ length: dim }, (_, j) => Math.sin(j) * 100);
    const a = await labPlan(info, V3, 'logsnr', 8, { stats: flatStatistics(dim) }).run(d, x.slice(), { batch: 1 });
    const b = await labPlan(info, 'dpmpp_2m', 'logsnr', 8).run(d, x.slice(), { batch: 1 });
    let worst = 0;
    for (let j = 0; j < dim; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
    // The v3 corrector (UniC-like) is on by default, so the runs differ — but not by much on a smooth model.
    expect(worst).toBeLessThan(0.05);
  });

  it('auto runs v3 only with statistics for the request\'s guidance scale and size; else the next best, saying why', async () => {
    const stats = { stats: flatStatistics(dim), cfgScale: 5, dim, sha256: 'e'.repeat(64) };
    const fits = await autoChoice(info, 10, v3Best(), { cfgScale: 5.2, dim }, stats);
    expect(fits).toMatchObject({ sampler: V3, grid: 'logsnr', steps: 10 });
    expect(fits.plan(10).samplerName).toBe(V3);
    const otherCfg = await autoChoice(info, 10, v3Best(), { cfgScale: 8, dim }, stats);
    expect(otherCfg, 'the best other row at 10').toMatchObject({ sampler: 'unipc_bh2', grid: 'logsnr' });
    expect(otherCfg.reason).toMatch(/DPM-Solver-v3 was best but its statistics are for CFG 5/);
    const otherSize = await autoChoice(info, 10, v3Best(), { cfgScale: 5, dim: 4 * dim }, stats);
    expect(otherSize.sampler).not.toBe(V3);
    const none = await autoChoice(info, 10, v3Best(), { cfgScale: 5, dim }, null);
    expect(none.sampler).not.toBe(V3);
    const other = await autoChoice(info, 10, v3Best(), { cfgScale: 5, dim }, { ...stats, sha256: 'f'.repeat(64) });
    expect(other.sampler, 'statistics other than the ones the table measured').not.toBe(V3);
    expect(other.reason).toMatch(/statistics are missing or not the ones measured/);
  });

  it('packs the lab does not measure run their own plan under auto', async () => {
    const lcm = { ...info, family: 'lcm' } as PackInfo;
    const choice = await autoChoice(lcm, 4, table());
    expect(choice).toMatchObject({ sampler: 'pack', grid: 'pack', steps: 4 });
    expect(choice.reason).toMatch(/not lcm packs: the pack's own plan/);
  });
});
