/**
 * Boundary condition search (inside the Upscale panel, folded until opened): model, sampler,
 * steps, candidates, metric, calibration folder and image count, seed; Run / Cancel with progress
 * and time left; and the stored search for the chosen model, sampler and steps as a chart of the
 * candidates' scores with a one-line summary. The logic lives in ui/upscale/search-controller.ts.
 */
import { useEffect, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { BcMetric } from '../../../main/api/contract.js';
import { catalogueSamplers, PACK_SAMPLER } from './generate/settings.js';
import { ScoreChart } from './ScoreChart.js';
import { METRIC_LABELS, SEARCH_METRICS, upscalerModels, type SearchForm } from './upscale/form.js';
import { chartSummary, scoreChart } from './upscale/score-chart.js';
import { srProgressCaption } from './upscale/summary.js';
import type { Studio } from './studio.js';
import { JobProgress } from './JobProgress.js';

type TextKey = 'steps' | 'candidates' | 'limit' | 'seed';

export function BoundarySearchPanel({ studio }: { studio: Studio }) {
  const { searches } = studio;
  const { form, open, stored, shown, lastPath } = useStore(searches.store);
  const models = useStore(studio.app, (a) => a.models);
  const samplers = useStore(studio.app, (a) => a.samplers);
  const job = useStore(studio.app, (a) => a.job);
  const connection = useStore(studio.app, (a) => a.connection);
  const ups = upscalerModels(models);
  const model = ups.find((m) => m.name === form.model);
  const set = (patch: Partial<SearchForm>) => searches.updateForm(patch);
  const searchJob = job?.kind === 'search' ? job : null;
  const canRun = connection === 'open' && !job && !!model;

  useEffect(() => {
    if (!open || connection !== 'open') return;
    // Typing a step count: look it up once the field settles.
    const t = setTimeout(() => void searches.refresh(), 250);
    return () => clearTimeout(t);
  }, [open, connection, form.model, form.sampler, form.steps, models, searches]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void searches.run();
  };
  const text = (key: TextKey, label: string, placeholder: string, title: string) => (
    <div>
      <label htmlFor={`bc-${key}`} title={title}>{label}</label>
      <input id={`bc-${key}`} type="text" inputMode="numeric" value={form[key]} placeholder={placeholder} title={title} onChange={(e) => set({ [key]: e.target.value })} />
    </div>
  );
  const record = stored?.status === 'found' ? stored.record : null;
  const chart = record ? scoreChart(record, shown ?? record.metric) : null;
  const summary = record && chart ? chartSummary(record, chart) : '';

  return (
    <details className="bc-search" open={open} onToggle={(e) => searches.setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>Boundary condition search</summary>
      <p className="hint">Tries random starting noises on a calibration set and stores the best for this model, sampler and steps (Ma et al. 2024); upscales with the same settings and Boundary "auto" start from it.</p>
      <form onSubmit={submit}>
        <label htmlFor="bc-model">Model</label>
        <select id="bc-model" value={form.model} onChange={(e) => set({ model: e.target.value })} disabled={!ups.length}>
          {!ups.length && <option value="">No upscaling model installed</option>}
          {ups.map((m) => <option key={m.name} value={m.name}>{m.name}</option>)}
        </select>
        <label htmlFor="bc-sampler">Sampler (deterministic only)</label>
        <select id="bc-sampler" value={form.sampler} onChange={(e) => set({ sampler: e.target.value })}>
          <option value={PACK_SAMPLER}>Pack scheduler (the model's own)</option>
          {catalogueSamplers(samplers).filter((x) => !x.stochastic).map((x) => <option key={x.name} value={x.name} title={x.paper}>{x.label}</option>)}
        </select>
        <div className="row">
          {text('steps', 'Steps', model?.recommended?.steps ? String(model.recommended.steps) : 'model', "Empty: the model's recommended steps")}
          {text('candidates', 'Candidates', '32', 'How many random starting noises to try')}
          {text('seed', 'Seed', '0', "The candidates' noise: candidate k is stream k of this seed")}
        </div>
        <label htmlFor="bc-metric">Metric</label>
        <select id="bc-metric" value={form.metric} onChange={(e) => set({ metric: e.target.value as BcMetric })}>
          {SEARCH_METRICS.map((m) => <option key={m} value={m}>{METRIC_LABELS[m]}</option>)}
        </select>
        <label htmlFor="bc-calibration">Calibration folder (on the engine's machine)</label>
        <input id="bc-calibration" type="text" value={form.calibration} placeholder="empty: the model's own calibration set" title="An absolute folder of high-resolution images" onChange={(e) => set({ calibration: e.target.value })} />
        <div className="row">
          {text('limit', 'Calibration images', 'all', 'Use only the first N images (name order): a quick search')}
        </div>
        <div className="bc-actions">
          {searchJob ? (
            <button type="button" className="danger" onClick={() => void studio.cancel()} disabled={searchJob.cancelling}>{searchJob.cancelling ? 'Cancelling…' : 'Cancel'}</button>
          ) : (
            <button type="submit" className="primary" disabled={!canRun} title={canRun ? 'Search and store the best starting noise' : connection !== 'open' ? 'The engine is not connected' : job ? 'A job is running' : 'No upscaling model is installed'}>Run search</button>
          )}
        </div>
        {searchJob && (
          <JobProgress progress={searchJob.progress} label="Search progress" captionClass="bc-caption" caption={srProgressCaption(searchJob.phase, searchJob.progress)} />
        )}
      </form>
      <div className="bc-stored" data-status={stored?.status ?? ''}>
        {stored?.status === 'loading' && <p className="hint">Looking up the stored search…</p>}
        {stored?.status === 'none' && <p className="hint">No search is stored for these settings: upscales start from random noise.</p>}
        {stored?.status === 'error' && <p className="notice" role="note">{stored.error}</p>}
        {record && chart && (
          <>
            <div className="row bc-show">
              <label htmlFor="bc-shown">Show</label>
              <select id="bc-shown" value={shown ?? record.metric} onChange={(e) => searches.showMetric(e.target.value as BcMetric)}>
                {SEARCH_METRICS.map((m) => <option key={m} value={m}>{m}{m === record.metric ? ' (searched)' : ''}</option>)}
              </select>
            </div>
            <ScoreChart chart={chart} summary={summary} />
            <p className="bc-summary">{summary}{chart.missing ? ` · ${chart.missing} without a score` : ''}</p>
            {lastPath && lastPath.key === stored?.key && <p className="hint" title={lastPath.path}>Stored in {lastPath.path}</p>}
          </>
        )}
        {record && !chart && <p className="hint">The stored search has no {shown ?? record.metric} scores to draw.</p>}
      </div>
    </details>
  );
}
