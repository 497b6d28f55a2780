/**
 * The Edit panel: which task Apply runs (a picker where the canvas holds several), the prompt,
 * the preset and every knob (empty means the preset's default), Apply / Cancel with progress by
 * phase, and "Show original" after an edit. The logic lives in ui/edit/ (plan, form, controller).
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { editRequestFromDocument } from '../document/edit-request.js';
import { comparisonActive } from '../store/state.js';
import type { EditChoice } from './edit/controller.js';
import { EDIT_PRESETS, PRESET_LABELS, type EditForm } from './edit/form.js';
import { KIND_LABELS } from './edit/plan.js';
import { editProgressCaption, formatRect, summarizeEdit, type EditSummary } from './edit/summary.js';
import type { Studio } from './studio.js';
import { JobProgress } from './JobProgress.js';

type TextKey = { [K in keyof EditForm]: EditForm[K] extends string ? K : never }[keyof EditForm];

export function EditPanel({ studio }: { studio: Studio }) {
  const { edits } = studio;
  const doc = useStore(studio.editor.store.store, (s) => s.doc);
  const selected = useStore(studio.editor.store.store, (s) => s.ui.selected);
  const comparison = useStore(studio.editor.store.store, (s) => s.ui.comparison);
  const showOriginal = useStore(studio.editor.store.store, (s) => s.ui.showOriginal);
  const form = useStore(studio.app, (a) => a.editForm);
  const settings = useStore(studio.app, (a) => a.settings);
  const job = useStore(studio.app, (a) => a.job);
  const connection = useStore(studio.app, (a) => a.connection);
  const [summary, setSummary] = useState<EditSummary | null>(null);
  const [choice, setChoice] = useState<EditChoice | null>(null);

  useEffect(() => {
    // Rasterising the mask costs O(canvas); wait until the document settles.
    const t = setTimeout(() => {
      setSummary(summarizeEdit(editRequestFromDocument(doc, { selectedLayerId: selected?.kind === 'layer' ? selected.id : null })));
      setChoice(edits.choose(doc));
    }, 150);
    return () => clearTimeout(t);
  }, [doc, selected, form.kind, edits]);

  const set = (patch: Partial<EditForm>) => edits.updateForm(patch);
  const text = (key: TextKey, label: string, placeholder = 'preset', title?: string) => (
    <div>
      <label htmlFor={`edit-${key}`} title={title}>{label}</label>
      <input id={`edit-${key}`} type="text" inputMode="decimal" value={form[key]} placeholder={placeholder} title={title} onChange={(e) => set({ [key]: e.target.value })} />
    </div>
  );
  const editJob = job?.kind === 'edit' ? job : null;
  const plan = choice?.plan;
  const canApply = connection === 'open' && !job && !!settings.model && !!plan?.ok;
  const compare = comparisonActive(doc, { comparison });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void edits.apply();
  };
  let why: ReactNode = null;
  if (plan && !plan.ok) why = plan.error;
  else if (!choice?.kind) why = summary?.description ?? null;

  return (
    <section className="panel edit-panel" aria-label="Edit">
      <h2>Edit</h2>
      <form onSubmit={submit}>
        {choice && choice.candidates.length > 1 ? (
          <>
            <label htmlFor="edit-kind">Task</label>
            <select id="edit-kind" value={choice.kind ?? ''} onChange={(e) => set({ kind: e.target.value as EditForm['kind'] })}>
              {choice.candidates.map((k) => <option key={k} value={k}>{KIND_LABELS[k]}</option>)}
            </select>
          </>
        ) : (
          <p className="edit-kind"><strong>{choice?.kind ? KIND_LABELS[choice.kind] : 'Nothing to edit yet'}</strong>{choice?.kind && <code>{choice.kind}</code>}</p>
        )}
        {why && <p className="hint" id="edit-why">{why}</p>}
        {plan?.ok && plan.plan.notes.map((n) => <p key={n} className="notice" role="note">{n}</p>)}
        {summary && (
          <table className="edit-table">
            <tbody>
              {summary.rows.map(([k, v], i) => (
                <tr key={i}><th scope="row">{k}</th><td>{v}</td></tr>
              ))}
              <tr><th scope="row">Reference (R)</th><td>{formatRect(doc.reference)}</td></tr>
            </tbody>
          </table>
        )}

        <p className="hint">Model: {settings.model || 'pick one in the Generate panel'}</p>
        <label htmlFor="edit-prompt">Prompt</label>
        <textarea id="edit-prompt" rows={2} value={form.prompt} placeholder={settings.prompt ? `as in Generate: ${settings.prompt}` : 'what the image shows'} onChange={(e) => set({ prompt: e.target.value })} />
        {choice?.kind === 'paste' && (
          <>
            <label htmlFor="edit-reference-prompt">Pasted image shows</label>
            <input id="edit-reference-prompt" type="text" value={form.referencePrompt} placeholder="as the prompt above" onChange={(e) => set({ referencePrompt: e.target.value })} />
          </>
        )}
        <label htmlFor="edit-preset">Preset</label>
        <select id="edit-preset" value={form.preset} onChange={(e) => set({ preset: e.target.value as EditForm['preset'] })}>
          {EDIT_PRESETS.map((p) => <option key={p} value={p}>{PRESET_LABELS[p]}</option>)}
        </select>
        <div className="row">
          {text('steps', 'Steps')}
          {text('cfg', 'CFG')}
          {text('seed', 'Seed', '0')}
        </div>

        <label className="check" title="Attends to the source's self-attention keys and values while sampling, so the edited object keeps its identity; used where the model supports it">
          <input id="edit-memory" type="checkbox" checked={form.memory} onChange={(e) => set({ memory: e.target.checked })} /> Attention memory
        </label>

        <details className="edit-advanced">
          <summary>Advanced</summary>
          <p className="hint">Empty fields take the preset's default for this task. Step positions are fractions of the steps (0 = first, 1 = last).</p>
          <label htmlFor="edit-inversion">Inversion</label>
          <select id="edit-inversion" value={form.inversion} onChange={(e) => set({ inversion: e.target.value as EditForm['inversion'] })}>
            <option value="">Preset default</option>
            <option value="exact">Exact (a no-op edit returns the image)</option>
            <option value="ddim">DDIM</option>
          </select>
          <div className="row">
            {text('eta', 'η (local SDE)', 'preset', 'Noise scale inside the edit region, 0 … 1')}
            {text('sdeFrom', 'SDE from')}
            {text('sdeTo', 'SDE to')}
          </div>
          <div className="row">
            {text('travelAt', 'Time travel at', 'preset', 'Fractions of the steps, separated by commas')}
            {text('travelTries', 'Tries')}
          </div>
          <label htmlFor="edit-guidance-kind">Region guidance</label>
          <select id="edit-guidance-kind" value={form.guidanceKind} onChange={(e) => set({ guidanceKind: e.target.value as EditForm['guidanceKind'] })}>
            <option value="">Preset default (predicted image)</option>
            <option value="x0">On the predicted image (fast)</option>
            <option value="features">On the model's features (exact, several times slower)</option>
          </select>
          <div className="row">
            {text('featureStep', 'Feature step', 'preset', 'Step of feature guidance: ε̂ = ε + c·α·∇E')}
          </div>
          <div className="row">
            {text('guidanceScale', 'Guidance')}
            {text('content', 'Content')}
            {text('edit', 'Edit')}
          </div>
          <div className="row">
            {text('contrast', 'Contrast')}
            {text('inpaint', 'Inpaint')}
          </div>
          <div className="row">
            {text('everyUntil', 'Every step until')}
            {text('alternateUntil', 'Every other until')}
          </div>
          <label htmlFor="edit-memory-layers">Attention-memory layers</label>
          <select id="edit-memory-layers" value={form.memoryLayers} onChange={(e) => set({ memoryLayers: e.target.value as EditForm['memoryLayers'] })}>
            <option value="">Preset default</option>
            <option value="decoder">Decoder (DiffEditor's)</option>
            <option value="all">All self-attention layers</option>
          </select>
          <div className="row">
            {text('memoryFrom', 'Memory from', 'preset', 'First step the memory is attended to (fraction)')}
            {text('memoryTo', 'Memory to', 'preset', 'Last step (fraction)')}
          </div>
          <label htmlFor="edit-composite">Composite onto the original</label>
          <select id="edit-composite" value={form.composite} onChange={(e) => set({ composite: e.target.value as EditForm['composite'] })}>
            <option value="">Preset default</option>
            <option value="on">On (outside the region the original is kept)</option>
            <option value="off">Off (the model's whole output)</option>
          </select>
          <button type="button" className="reset-advanced" onClick={() => edits.resetAdvanced()}>Reset to the preset's defaults</button>
        </details>

        <div className="edit-actions">
          {editJob ? (
            <button type="button" className="danger" onClick={() => void studio.cancel()} disabled={editJob.cancelling}>
              {editJob.cancelling ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : (
            <button type="submit" className="primary" disabled={!canApply} title={canApply ? 'Run the edit; the result replaces the base layer (Ctrl+Z undoes it)' : connection !== 'open' ? 'The engine is not connected' : job ? 'A job is running' : typeof why === 'string' ? why : 'Pick a model first'}>
              Apply edit
            </button>
          )}
        </div>
        {editJob && (
          <JobProgress progress={editJob.progress} label="Edit progress" captionClass="edit-phase" phase={editJob.phase ?? ''} caption={editProgressCaption(editJob.phase, editJob.progress)} />
        )}
        {compare && (
          <label className="check show-original" title="Show the image as it was before the last edit (the canvas is not changed)">
            <input id="edit-show-original" type="checkbox" checked={showOriginal} onChange={(e) => edits.showOriginal(e.target.checked)} /> Show original
          </label>
        )}
      </form>
    </section>
  );
}
