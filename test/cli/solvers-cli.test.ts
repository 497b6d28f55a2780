/**
 * `driftline solvers` and `--sampler auto` end to end: the compiled CLI and engine host on the
 * embedded emoji-32 pack. A small lab (one prompt and seed, budget 10, DDIM and DPM++ 2M on the
 * pack's grid, the log-SNR grid and the tuned grid, and DPM++ with per-step orders searched on the tuned grid) is measured and stored in the user's data
 * folder; the stored table is shown without measuring again; `generate --sampler auto` then runs the
 * measured best and the PNG says what ran; before any measurement `auto` runs the default and says
 * so; bad requests get errors naming what is wrong (`npm test` builds first).
 *
 * What could fail: the reference must be converged (two methods within 2·10⁻³); at 10 evaluations
 * the tuned grid must beat the pack's own plan on an image it was not searched on (measured 0.08 vs
 * 0.46 on the 8-image default set; here one image, bound 0.75×); auto must run exactly the table's
 * best pair.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPngText } from '../../main/api/png-text.js';
import { parseParameters } from '../../main/api/parameters.js';
import { autoLabel } from '../../main/engine/lab/auto.js';
import type { SolverTable } from '../../main/api/contract.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'out', 'main', 'cli', 'driftline.js');
let home: string, fresh: string, work: string;
const env = (h: string) => ({ ...process.env, DRIFTLINE_HOME: h, DRIFTLINE_EP: 'cpu', DRIFTLINE_PACKS: path.join(root, 'models', 'packs') });

function run(args: string[], h = home): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: env(h), timeout: 400_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
const paramsOf = async (file: string) => parseParameters(readPngText(await readFile(file)).get('parameters') ?? '');

let table: SolverTable;
beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'driftline-lab-home-'));
  fresh = await mkdtemp(path.join(tmpdir(), 'driftline-lab-fresh-'));
  work = await mkdtemp(path.join(tmpdir(), 'driftline-lab-work-'));
});
afterAll(async () => { await Promise.all([home, fresh, work].map((d) => rm(d, { recursive: true, force: true }))); });

describe('driftline solvers / --sampler auto', () => {
  it('measures a small lab, stores the table and prints it', async () => {
    const r = await run(['solvers', '--model', 'emoji-32', '--measure', '--nfe', '10', '--prompts', 'red heart', '--seeds', '2',
      '--samplers', 'ddim,dpmpp_2m,dpmpp_usf', '--grids', 'pack,logsnr,tuned']);
    expect(r.code, r.stderr).toBe(0);
    const files = (await readdir(path.join(home, 'solvers'))).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    table = JSON.parse(await readFile(path.join(home, 'solvers', files[0]), 'utf8')) as SolverTable;
    expect(table.pack.name).toBe('emoji-32');
    expect(table.reference.agreement).toBeLessThanOrEqual(2e-3);
    // pack plan, ddim and dpmpp_2m on pack and logsnr, then both and the searched orders on the tuned grid.
    expect(table.rows.map((x) => `${x.sampler}@${x.grid}`).sort()).toEqual(['ddim@logsnr', 'ddim@pack', 'ddim@tuned', 'dpmpp_2m@logsnr', 'dpmpp_2m@pack', 'dpmpp_2m@tuned', 'dpmpp_usf@tuned', 'pack@pack']);
    const orders = table.tuned[0].orders!;
    expect(orders).toHaveLength(10);
    expect(orders.every((o) => o >= 1 && o <= 3)).toBe(true);
    for (const row of table.rows) {
      expect(row.evaluations, `${row.sampler}@${row.grid}`).toBeLessThanOrEqual(10);
      expect(Number.isFinite(row.rms), `${row.sampler}@${row.grid}`).toBe(true);
    }
    expect(table.tuned).toHaveLength(1);
    expect(table.tuned[0].seeds, 'searched on other seeds than measured').not.toContain(2);
    const best = table.best[0];
    expect(best.rms).toBe(Math.min(...table.rows.map((x) => x.rms)));
    const tuned = Math.min(...table.rows.filter((x) => x.grid === 'tuned').map((x) => x.rms));
    expect(tuned, `tuned grid vs the pack's plan ${best.packRms.toFixed(3)}`).toBeLessThan(0.75 * best.packRms);
    expect(r.stdout).toMatch(/10 evaluations/);
    expect(r.stdout).toMatch(/pack @ pack .*← pack default/);
    expect(r.stdout).toMatch(/auto picks:/);
  }, 420_000);

  it('shows the stored table without measuring', async () => {
    const r = await run(['solvers', '--model', 'emoji-32']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(table.pack.digest.slice(0, 12));
    expect(r.stdout).toMatch(/auto picks:/);
  });

  it('generate --sampler auto runs the measured best and the PNG says what ran', async () => {
    const out = path.join(work, 'auto.png');
    const r = await run(['generate', '--model', 'emoji-32', '--prompt', 'red heart', '--sampler', 'auto', '--steps', '10', '--seed', '2', '--cfg', '5', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/auto: .*solver lab: best at 10 evaluations/);
    const p = await paramsOf(out);
    const best = table.best[0];
    expect(p.sampler).toBe(`${autoLabel(best.sampler)} (auto)`);
    expect(String(p.extra?.['Schedule type'] ?? '')).toMatch(new RegExp(`^${best.grid}`));
  });

  it('without a table, auto runs the default and says so', async () => {
    const out = path.join(work, 'default.png');
    const r = await run(['generate', '--model', 'emoji-32', '--prompt', 'red heart', '--sampler', 'auto', '--steps', '10', '--seed', '2', '--out', out], fresh);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/not measured: default DPM\+\+ 2M on the tuned grid/);
    const p = await paramsOf(out);
    expect(p.sampler).toBe('DPM++ 2M (auto)');
    expect(p.extra?.['Schedule type']).toBe('tuned σ_hi 80 ρ 7');
    const show = await run(['solvers', '--model', 'emoji-32'], fresh);
    expect(show.stdout).toMatch(/no solver table stored for emoji-32/);
  });

  it('bad requests name what is wrong', async () => {
    const sde = await run(['solvers', '--model', 'emoji-32', '--measure', '--samplers', 'euler_a'], fresh);
    expect(sde.code).not.toBe(0);
    expect(sde.stderr).toMatch(/euler_a.*injects noise/);
    const grid = await run(['solvers', '--model', 'emoji-32', '--measure', '--grids', 'spiral'], fresh);
    expect(grid.code).not.toBe(0);
    expect(grid.stderr).toMatch(/--grids takes pack, karras, logsnr, time, tuned; got "spiral"/);
    const sr = await run(['solvers', '--model', 'emoji-sr-64', '--measure'], fresh);
    expect(sr.code).not.toBe(0);
    expect(sr.stderr).toMatch(/text-to-image packs/);
    const many = await run(['solvers', '--model', 'emoji-32', '--measure', '--prompts', 'a|b|c|d|e', '--seeds', '1,2,3,4'], fresh);
    expect(many.code).not.toBe(0);
    expect(many.stderr).toMatch(/5 prompts × 4 seeds = 20 images per model call; the lab takes at most 16/);
    const noFlag = await run(['solvers', '--model', 'emoji-32', '--nfe', '5'], fresh);
    expect(noFlag.stderr).toMatch(/--nfe needs --measure/);
  });

  it('a damaged stored table is an error naming the file, and auto does not guess', async () => {
    const dir = path.join(home, 'solvers');
    const [file] = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    await writeFile(path.join(dir, file), '{"version":1,');
    const r = await run(['generate', '--model', 'emoji-32', '--prompt', 'x', '--sampler', 'auto', '--steps', '5', '--out', path.join(work, 'x.png')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/solver table .*damaged; delete it or measure again/);
  });
});
