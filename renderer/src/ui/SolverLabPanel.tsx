/**
 * The solver lab (in the right column, folded until opened): a model and the model-evaluation
 * budgets to measure; Measure / Cancel with progress and time left; the stored table of the model
 * as an error-vs-evaluations chart for one grid family with its legend, and the best (sampler,
 * grid) of each budget against the pack's own plan. Sampler "Automatic" in the Generate panel
 * uses this table. The logic lives in ui/lab/.
 */
import type { FormEvent } from 'react';
import { useStore } from 'zustand';
import type { LabGrid } from '../../../main/api/contract.js';
import { LabChart, LabLegend } from './LabChart.js';
import { bestTable, labChart } from './lab/lab-chart.js';
import { labModels, labProgressCaption } from './lab/lab-controller.js';
import { gridLabel } from './lab/solver-table.js';
import { formatDay } from './upscale/summary.js';
import type { Studio } from './studio.js';
import { JobProgress } from './JobProgress.js';

export function SolverLabPanel({ studio }: { studio: Studio }) {
  const { labs } = studio;
  const { form, open, stored, family, lastPath } = useStore(labs.store);
  const models = useStore(studio.app, (a) => a.models);
  // The chart's labels come from the catalogue: redraw when it arrives.
  useStore(studio.app, (a) => a.samplers);
  const job = useStore(studio.app, (a) => a.job);
  const connection = useStore(studio.app, (a) => a.connection);
  const choices = labModels(models);
  const labJob = job?.kind === 'lab' ? job : null;
  const canRun = connection === 'open' && !job && choices.some((m) => m.name === form.model);
  const why = connection !== 'open' ? 'The engine is not connected' : job ? 'A job is running' : !choices.length ? 'No model to measure is installed' : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void labs.run();
  };
  const table = stored?.status === 'found' ? stored.table : null;
  const chart = table ? labChart(table, family, labs.labelOf) : null;
  const best = table ? bestTable(table, labs.labelOf) : [];
  const caption = table && chart
    ? `RMS error against the ODE solution over model evaluations on ${table.pack.name}, ${gridLabel(chart.family)}; ${chart.lines.length} samplers and the pack's own plan`
    : '';

  return (
    <section className="panel lab-panel" aria-label="Solver lab" data-testid="solver-lab">
      <details id="lab-details" className="lab-details" open={open} onToggle={(e) => labs.setOpen((e.currentTarget as HTMLDetailsElement).open)}>
        <summary><h2>Solver lab</h2></summary>
        <p className="hint">Measures every deterministic sampler on every grid family against an accurate solution of the model's ODE from the same noise, at each budget of model evaluations. Sampler "Automatic" generates with the best one measured.</p>
        <form onSubmit={submit}>
          <label htmlFor="lab-model">Model</label>
          <select id="lab-model" value={form.model} onChange={(e) => labs.updateForm({ model: e.target.value })} disabled={!choices.length}>
            {!choices.length && <option value="">{connection === 'open' ? 'No model to measure installed' : 'Connecting…'}</option>}
            {choices.map((m) => <option key={m.name} value={m.name}>{m.name}{m.family ? ` — ${m.family}` : ''}{m.source === 'embedded' ? ' (built in)' : ''}</option>)}
          </select>
          <label htmlFor="lab-budgets">Budgets (model evaluations)</label>
          <input id="lab-budgets" type="text" value={form.budgets} placeholder="5, 10, 20" title="Whole numbers from 2 to 200, at most 8: a sampler gets the most steps whose evaluations fit" onChange={(e) => labs.updateForm({ budgets: e.target.value })} />
          <label className="check" htmlFor="lab-quick" title="One sampler per family, two prompts × one seed: minutes instead of tens of minutes">
            <input id="lab-quick" type="checkbox" checked={form.quick} onChange={(e) => labs.updateForm({ quick: e.target.checked })} /> Quick measurement
          </label>
          <div className="lab-actions">
            {labJob ? (
              <button id="lab-cancel" type="button" className="danger" onClick={() => void studio.cancel()} disabled={labJob.cancelling}>{labJob.cancelling ? 'Cancelling…' : 'Cancel'}</button>
            ) : (
              <button id="lab-measure" type="submit" className="primary" disabled={!canRun} title={why ?? 'Measure and store the table for this model'}>Measure</button>
            )}
          </div>
          {labJob && (
            <JobProgress progress={labJob.progress} label="Solver lab progress" id="lab-progress" testId="lab-progress" captionClass="lab-caption" caption={labProgressCaption(labJob.progress)} />
          )}
        </form>
        <div className="lab-stored" data-testid="lab-stored" data-status={stored?.status ?? ''}>
          {stored?.status === 'loading' && <p className="hint">Looking up the stored table…</p>}
          {stored?.status === 'none' && <p className="hint">No table is stored for this model: "Automatic" uses its robust default.</p>}
          {stored?.status === 'error' && <p className="notice" role="note">{stored.error}</p>}
          {table && chart && (
            <>
              <div className="row lab-show">
                <label htmlFor="lab-family">Grid family</label>
                <select id="lab-family" value={chart.family} onChange={(e) => labs.showFamily(e.target.value as LabGrid)}>
                  {chart.families.map((g) => <option key={g} value={g}>{gridLabel(g)}</option>)}
                </select>
              </div>
              <LabChart chart={chart} caption={caption} />
              <LabLegend chart={chart} />
              {chart.broken > 0 && <p className="hint lab-broken">{chart.broken} broken run{chart.broken === 1 ? '' : 's'} (no error or one past any image's range) drawn as triangles on the top edge.</p>}
              <table className="lab-best-table" data-testid="lab-best-table">
                <caption>Best per budget vs the pack's own plan</caption>
                <thead><tr><th scope="col">Budget</th><th scope="col">Best sampler · grid</th><th scope="col">Error vs pack plan</th></tr></thead>
                <tbody>
                  {best.map((b) => (
                    <tr key={b.nfe} data-nfe={b.nfe} title={b.text}>
                      <td>{b.nfe}</td>
                      <td>{b.what ?? 'no best measured'}</td>
                      <td>{b.versus}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p className="hint lab-summary">{table.pack.name} · {table.width}×{table.height} · {table.prompts.length} prompt{table.prompts.length === 1 ? '' : 's'} × {table.seeds.length} seed{table.seeds.length === 1 ? '' : 's'} · CFG {table.cfgScale} · reference {table.reference.method} ({table.reference.steps} steps) · {formatDay(table.date)}</p>
              {lastPath && lastPath.model === stored?.model && <p className="hint" title={lastPath.path}>Stored in {lastPath.path}</p>}
            </>
          )}
        </div>
      </details>
    </section>
  );
}
