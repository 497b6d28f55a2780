/**
 * `driftline solvers`: the solver lab from the command line — measure every deterministic sampler ×
 * grid family × evaluation budget on a pack against its ODE solution (`--measure`), or show the
 * stored table. The table is what the `auto` sampler chooses from.
 */
import { parseArgs } from 'node:util';
import { LAB_GRIDS, type LabGrid, type SolverTable } from '../api/contract.js';
import type { EngineClient } from '../host/client.js';
import { num, UsageError, withJob } from './args.js';

export const SOLVERS_USAGE = `  driftline solvers --model NAME|PATH [--measure [--quick]] [--nfe 5,10,20] [--prompts "a|b"] [--seeds 1,2]
                    [--cfg X] [--samplers a,b] [--grids ${LAB_GRIDS.join(',')}]
                    (--quick: one sampler per family, 2 prompts × 1 seed; without --measure: the stored table; the studio's Solver lab panel shows it as a plot)`;

const list = (v: string | undefined, sep = ',') => (v === undefined ? undefined : v.split(sep).map((s) => s.trim()).filter(Boolean));
const ints = (v: string | undefined, name: string) => list(v)?.map((s) => {
  const n = num(s, name)!;
  if (!Number.isInteger(n)) throw new UsageError(`--${name} takes whole numbers, got "${s}"`);
  return n;
});

export async function solvers(client: EngineClient, argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return void console.log(`usage:\n${SOLVERS_USAGE}`);
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, measure: { type: 'boolean' }, quick: { type: 'boolean' }, nfe: { type: 'string' }, prompts: { type: 'string' },
      seeds: { type: 'string' }, cfg: { type: 'string' }, samplers: { type: 'string' }, grids: { type: 'string' },
    },
    strict: true,
  });
  if (!values.model) throw new UsageError('--model is required');
  if (!values.measure) {
    for (const k of ['quick', 'nfe', 'prompts', 'seeds', 'cfg', 'samplers', 'grids'] as const) if (values[k] !== undefined) throw new UsageError(`--${k} needs --measure`);
    const table = await client.call('getSolverTable', { model: values.model });
    if (!table) return void console.log(`no solver table stored for ${values.model}; run driftline solvers --model ${values.model} --measure`);
    console.log(formatTable(table));
    return;
  }
  const grids = list(values.grids);
  for (const g of grids ?? []) if (!(LAB_GRIDS as readonly string[]).includes(g)) throw new UsageError(`--grids takes ${LAB_GRIDS.join(', ')}; got "${g}"`);
  const jobId = `cli-lab-${process.pid}-${Date.now()}`;
  const res = await withJob(client, jobId, async () => client.call('solverLab', {
    jobId, model: values.model!, scope: values.quick ? 'quick' : 'full', nfes: ints(values.nfe, 'nfe'), prompts: list(values.prompts, '|'), seeds: ints(values.seeds, 'seeds'),
    cfgScale: num(values.cfg, 'cfg'), samplers: list(values.samplers), grids: grids as LabGrid[] | undefined,
  }));
  console.log(formatTable(res.table));
  console.error(`stored: ${res.path}`);
}

const fmt = (v: number) => (!Number.isFinite(v) ? 'broken' : v < 1e-3 ? v.toExponential(1) : v.toFixed(3));

/**
 * The table as text: per budget, every (sampler, grid) from best to worst with its steps and RMS
 * error, the pack's own plan marked; then the best per budget against the pack plan.
 */
export function formatTable(t: SolverTable): string {
  const head = [
    `${t.pack.name} (${t.pack.digest.slice(0, 12)}): RMS error of the final image in [−1, 1] vs the ODE solution; ${t.prompts.length} prompts × ${t.seeds.length} seeds, CFG ${t.cfgScale}, ${t.width}x${t.height}; measured ${t.date.slice(0, 10)} in ${t.seconds.toFixed(0)} s (${t.evaluations} model evaluations)`,
    `reference: ${t.reference.method}, ${t.reference.steps} steps; ${t.reference.check} lands ${fmt(t.reference.agreement)} from it`,
  ];
  const tuned = t.tuned.map((x) => `${x.nfe}: σ_hi ${+x.sigmaHi.toPrecision(4)}, ρ ${x.rho}`).join('; ');
  if (tuned) head.push(`tuned grid (searched on seeds ${t.tuned[0].seeds.join(', ')}): ${tuned}`);
  const body: string[] = [];
  for (const nfe of t.nfes) {
    const rows = t.rows.filter((r) => r.nfe === nfe).sort((a, b) => a.rms - b.rms);
    body.push(`\n${nfe} evaluations`);
    for (const r of rows) body.push(`  ${`${r.sampler} @ ${r.grid}`.padEnd(28)} ${String(r.steps).padStart(3)} steps  ${fmt(r.rms).padStart(8)}${r.sampler === 'pack' ? '   ← pack default' : ''}`);
  }
  const best = t.best.map((b) => `  ${String(b.nfe).padStart(3)}: ${b.sampler} @ ${b.grid} ${fmt(b.rms)} vs pack plan ${fmt(b.packRms)} (${Number.isFinite(b.packRms) ? (b.rms / b.packRms).toFixed(2) : '—'}×)`);
  return [...head, ...body, '\nauto picks:', ...best].join('\n');
}
