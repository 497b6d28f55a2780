/** The left panel: model, prompts, sampler, steps, CFG, seed, size, batch; Generate and Cancel with progress. */
import type { FormEvent } from 'react';
import { useStore } from 'zustand';
import { providerSummary } from './app-state.js';
import { progressCaption } from './generate/progress.js';
import { AUTO_SAMPLER, generateSamplerOptions, MAX_SEED, randomSeed, SIZE_PRESETS, withModel } from './generate/settings.js';
import type { Studio } from './studio.js';
import { JobProgress } from './JobProgress.js';

/**
 * A number field whose empty text is NaN in the settings (so validation can name the field)
 * and whose NaN shows as empty, instead of React's "NaN".
 */
function NumberField({ value, onValue, ...rest }: { id: string; min: number; max: number; step?: number; value: number; onValue: (v: number) => void }) {
  return <input type="number" {...rest} value={Number.isNaN(value) ? '' : value} onChange={(e) => onValue(e.target.value.trim() === '' ? NaN : Number(e.target.value))} />;
}

export function GeneratePanel({ studio }: { studio: Studio }) {
  const s = useStore(studio.app, (a) => a.settings);
  const models = useStore(studio.app, (a) => a.models);
  const samplers = useStore(studio.app, (a) => a.samplers);
  const providers = useStore(studio.app, (a) => a.providers);
  const anyJob = useStore(studio.app, (a) => a.job);
  // An edit's progress and Cancel are in the Edit panel; here it only keeps Generate disabled.
  const job = anyJob?.kind === 'generate' ? anyJob : null;
  const connection = useStore(studio.app, (a) => a.connection);
  const set = studio.generation.updateSettings.bind(studio.generation);
  const model = models.find((m) => m.name === s.model);
  const provider = providerSummary(providers[s.model]);
  const presetValue = s.sizeMode === 'default' ? 'default' : (SIZE_PRESETS.find((p) => p.width === s.width && p.height === s.height)?.label ?? 'custom');
  const canGenerate = connection === 'open' && !anyJob && !!s.model;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void studio.generation.generate();
  };

  return (
    <aside className="panel generate-panel" aria-label="Generate">
      <h2>Generate</h2>
      <form onSubmit={submit}>
        <label htmlFor="gen-model">Model</label>
        <select id="gen-model" value={s.model} onChange={(e) => set(withModel(s, models.find((m) => m.name === e.target.value)))} disabled={!models.length}>
          {!models.length && <option value="">{connection === 'open' ? 'No models installed' : 'Connecting…'}</option>}
          {models.map((m) => (
            <option key={m.name} value={m.name}>
              {m.name}{m.family ? ` — ${m.family}` : ''}{m.source === 'embedded' ? ' (built in)' : ''}
            </option>
          ))}
        </select>
        <p className="hint" aria-live="polite">
          {model ? <>Family: {model.family ?? 'unknown'} · Runs on: {provider ?? 'known after the first image'}</> : null}
        </p>

        <label htmlFor="gen-prompt">Prompt</label>
        <textarea id="gen-prompt" rows={4} value={s.prompt} placeholder="a red fox in the snow" onChange={(e) => set({ prompt: e.target.value })} />
        <label htmlFor="gen-negative">Negative prompt</label>
        <textarea id="gen-negative" rows={2} value={s.negativePrompt} placeholder="blurry, low quality" onChange={(e) => set({ negativePrompt: e.target.value })} />

        <label htmlFor="gen-sampler">Sampler</label>
        <select id="gen-sampler" value={s.sampler} onChange={(e) => set({ sampler: e.target.value })}>
          {generateSamplerOptions(samplers).map((x) => <option key={x.name} value={x.name} title={x.title}>{x.label}</option>)}
        </select>
        {s.sampler === AUTO_SAMPLER && <p className="hint" id="gen-sampler-auto">The solver lab's best sampler and grid for this model and step count (Solver lab panel), else a robust default.</p>}

        <div className="row">
          <div>
            <label htmlFor="gen-steps">Steps</label>
            <NumberField id="gen-steps" min={1} max={1000} value={s.steps} onValue={(v) => set({ steps: v })} />
          </div>
          <div>
            <label htmlFor="gen-cfg">CFG</label>
            <NumberField id="gen-cfg" min={0} max={100} step={0.5} value={s.cfgScale} onValue={(v) => set({ cfgScale: v })} />
          </div>
          <div>
            <label htmlFor="gen-batch">Batch</label>
            <NumberField id="gen-batch" min={1} max={64} value={s.batch} onValue={(v) => set({ batch: v })} />
          </div>
        </div>

        <label htmlFor="gen-seed">Seed</label>
        <div className="row seed-row">
          <NumberField id="gen-seed" min={0} max={MAX_SEED} value={s.seed} onValue={(v) => set({ seed: v, seedLocked: true })} />
          <button type="button" title="New random seed (locks it)" aria-label="New random seed" onClick={() => set({ seed: randomSeed(), seedLocked: true })}>Random</button>
          <label className="check" title="Locked: every run uses this seed. Unlocked: a new seed each run.">
            <input type="checkbox" checked={s.seedLocked} onChange={(e) => set({ seedLocked: e.target.checked })} /> Lock
          </label>
        </div>

        <label htmlFor="gen-size">Size</label>
        <select id="gen-size" value={presetValue} onChange={(e) => {
          const v = e.target.value;
          if (v === 'default') return set({ sizeMode: 'default' });
          if (v === 'custom') return set({ sizeMode: 'custom' });
          const p = SIZE_PRESETS.find((x) => x.label === v);
          if (p) set({ sizeMode: 'custom', width: p.width, height: p.height });
        }}>
          <option value="default">Model default</option>
          {SIZE_PRESETS.map((p) => <option key={p.label} value={p.label}>{p.label}</option>)}
          <option value="custom">Custom…</option>
        </select>
        {s.sizeMode === 'custom' && (
          <div className="row">
            <div>
              <label htmlFor="gen-width">Width</label>
              <NumberField id="gen-width" min={8} max={4096} step={8} value={s.width} onValue={(v) => set({ width: v })} />
            </div>
            <div>
              <label htmlFor="gen-height">Height</label>
              <NumberField id="gen-height" min={8} max={4096} step={8} value={s.height} onValue={(v) => set({ height: v })} />
            </div>
          </div>
        )}

        <div className="generate-actions">
          {job ? (
            <button type="button" className="danger" title="Stop this generation (Esc does not cancel it)" onClick={() => void studio.cancel()} disabled={job.cancelling}>
              {job.cancelling ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : (
            <button type="submit" className="primary" disabled={!canGenerate} title={canGenerate ? 'Generate (Ctrl/Cmd+Enter)' : connection !== 'open' ? 'The engine is not connected' : anyJob ? 'An edit is running' : 'Pick a model first'}>
              Generate <kbd>Ctrl+Enter</kbd>
            </button>
          )}
        </div>
        {job && (
          <JobProgress progress={job.progress} label="Generation progress" caption={`${progressCaption(job.progress)} · seed ${job.seed}`} />
        )}
      </form>
    </aside>
  );
}
