/**
 * A quick proof that the installed engine computes what it should: each deterministic sampler
 * integrates the exact Gaussian oracle from σ = 20 to 0.05 at two step counts; the error must be
 * small and shrink at least linearly. Used by `npm start` where no window can open; the test suite
 * does the full convergence study (two step counts cannot separate an order from its warm-up).
 */
import { lambdaGrid, measureOrder } from './oracle.js';
import { SAMPLERS } from './samplers/index.js';

export interface CheckRow {
  name: string;
  ok: boolean;
  detail: string;
}

export async function selfCheck(): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  for (const s of SAMPLERS) {
    if (s.order === undefined) continue;
    const m = await measureOrder(s.run, lambdaGrid(20, 0.05), [12, 24]);
    const ok = Number.isFinite(m.order) && m.order > 0.8 && m.error[1] < 0.1;
    rows.push({ name: s.name, ok, detail: `order ${m.order.toFixed(2)} at 12–24 steps (${s.order} as the steps grow), error ${m.error[1].toExponential(2)} at ${m.nfe[1]} evaluations` });
  }
  return rows;
}
