/**
 * The Upscale panel: an upscaling model, sampler, steps (empty: the model's recommended), the
 * boundary condition (auto: the searched one when stored), seed and where a layer's result goes;
 * "Upscale layer" for the selected image layer (the Layers panel and the Gallery have their own
 * Upscale buttons using these settings), Cancel with progress and time left, and the boundary
 * search below. The logic lives in ui/upscale/.
 */
import type { FormEvent } from 'react';
import { useStore } from 'zustand';
import { BoundarySearchPanel } from './BoundarySearchPanel.js';
import { catalogueSamplers, PACK_SAMPLER } from './generate/settings.js';
import type { UpscaleForm } from './upscale/form.js';
import { upscalerModels } from './upscale/form.js';
import { srProgressCaption } from './upscale/summary.js';
import type { Studio } from './studio.js';
import { JobProgress } from './JobProgress.js';

export function UpscalePanel({ studio }: { studio: Studio }) {
  const { upscales } = studio;
  const form = useStore(upscales.store, (s) => s.form);
  const models = useStore(studio.app, (a) => a.models);
  const samplers = useStore(studio.app, (a) => a.samplers);
  const job = useStore(studio.app, (a) => a.job);
  const connection = useStore(studio.app, (a) => a.connection);
  const selected = useStore(studio.editor.store.store, (s) => s.ui.selected);
  const layers = useStore(studio.editor.store.store, (s) => s.doc.layers);
  const source = selected?.kind === 'layer' ? layers.find((l) => l.id === selected.id) : undefined;
  const ups = upscalerModels(models);
  const model = ups.find((m) => m.name === form.model);
  const set = (patch: Partial<UpscaleForm>) => upscales.updateForm(patch);
  const upJob = job?.kind === 'upscale' ? job : null;
  const canRun = connection === 'open' && !job && !!model && !!source;
  const why = connection !== 'open' ? 'The engine is not connected' : job ? 'A job is running' : !model ? 'No upscaling model is installed' : !source ? 'Select an image layer first' : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void upscales.upscaleLayer();
  };

  return (
    <section className="panel upscale-panel" aria-label="Upscale">
      <h2>Upscale</h2>
      <form onSubmit={submit}>
        <label htmlFor="up-model">Model</label>
        <select id="up-model" value={form.model} onChange={(e) => set({ model: e.target.value })} disabled={!ups.length}>
          {!ups.length && <option value="">{connection === 'open' ? 'No upscaling model installed' : 'Connecting…'}</option>}
          {ups.map((m) => <option key={m.name} value={m.name}>{m.name} — {m.family}{m.source === 'embedded' ? ' (built in)' : ''}</option>)}
        </select>
        <label htmlFor="up-sampler">Sampler</label>
        <select id="up-sampler" value={form.sampler} onChange={(e) => set({ sampler: e.target.value })}>
          <option value={PACK_SAMPLER}>Pack scheduler (the model's own)</option>
          {catalogueSamplers(samplers).map((x) => <option key={x.name} value={x.name} title={x.paper}>{x.label}{x.stochastic ? ' (SDE)' : ''}</option>)}
        </select>
        <div className="row">
          <div>
            <label htmlFor="up-steps">Steps</label>
            <input id="up-steps" type="text" inputMode="numeric" value={form.steps} placeholder={model?.recommended?.steps ? String(model.recommended.steps) : 'model'} title="Empty: the model's recommended steps" onChange={(e) => set({ steps: e.target.value })} />
          </div>
          <div>
            <label htmlFor="up-seed">Seed</label>
            <input id="up-seed" type="text" inputMode="numeric" value={form.seed} placeholder="0" title="The random boundary condition's seed" onChange={(e) => set({ seed: e.target.value })} />
          </div>
        </div>
        <label htmlFor="up-bc">Boundary condition</label>
        <select id="up-bc" value={form.bc} onChange={(e) => set({ bc: e.target.value as UpscaleForm['bc'] })}>
          <option value="auto">Auto: the searched one when stored, else random</option>
          <option value="random">Random noise from the seed</option>
        </select>
        <label htmlFor="up-placement">A layer's result</label>
        <select id="up-placement" value={form.placement} onChange={(e) => set({ placement: e.target.value as UpscaleForm['placement'] })}>
          <option value="grow">New layer; the canvas grows with it</option>
          <option value="keep">New layer drawn at the original's size</option>
        </select>
        <p className="hint">{source ? `Layer: ${source.name} (${source.width}×${source.height})` : 'Select an image layer, or use Upscale on a gallery image.'}</p>
        <div className="upscale-actions">
          {upJob ? (
            <button type="button" className="danger" onClick={() => void studio.cancel()} disabled={upJob.cancelling}>{upJob.cancelling ? 'Cancelling…' : 'Cancel'}</button>
          ) : (
            <button type="submit" className="primary" disabled={!canRun} title={why ?? 'Upscale the selected layer into a new layer (Ctrl+Z removes it)'}>Upscale layer</button>
          )}
        </div>
        {upJob && (
          <JobProgress progress={upJob.progress} label="Upscale progress" captionClass="upscale-caption" caption={srProgressCaption(upJob.phase, upJob.progress)} />
        )}
      </form>
      <BoundarySearchPanel studio={studio} />
    </section>
  );
}
