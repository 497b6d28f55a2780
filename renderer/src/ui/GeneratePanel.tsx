/**
 * The left panel: model, prompts, sampler, steps, CFG, seed, batch; the generation frame's size and
 * what is under it, with the strength for an image there; Generate and Cancel with progress.
 */
import { useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { effectiveFrame, FALLBACK_FRAME_RULES, frameModeHint, type FrameMode } from '../document/frame.js';
import { providerSummary } from './app-state.js';
import { frameSizeChoices } from './frame/rules.js';
import { progressCaption } from './generate/progress.js';
import { AUTO_SAMPLER, generateSamplerOptions, MAX_SEED, randomSeed, withModel } from './generate/settings.js';
import type { Studio } from './studio.js';
import { JobProgress } from './JobProgress.js';
import { promptPlaceholder, takesPrompt } from './generate/placeholder.js';

/** What the panel says Generate will do with what is under the frame. */
const UNDER_FRAME: Record<FrameMode, string> = {
  txt2img: 'Nothing under the frame: text to image.',
  img2img: 'An image under the frame: image to image at this strength.',
  inpaint: 'An image and a painted mask: the mask is inpainted at this strength.',
  outpaint: 'The frame hangs off the image: the empty part is outpainted.',
};

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
  // A file dragged over the prompt box: it shows it takes the PNG's settings.
  const [dropping, setDropping] = useState(false);
  const model = models.find((m) => m.name === s.model);
  const provider = providerSummary(providers[s.model]);
  const canGenerate = connection === 'open' && !!s.model;

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
        <textarea id="gen-prompt" rows={4} value={s.prompt} placeholder={promptPlaceholder(model)} title="Drop a PNG here to use its generation settings" className={dropping ? 'drop-target' : undefined} onChange={(e) => set({ prompt: e.target.value })}
          onDragOver={(e) => {
            if (!e.dataTransfer.types.includes('Files')) return;
            e.preventDefault();
            setDropping(true);
          }}
          onDragLeave={() => setDropping(false)}
          onDrop={(e) => {
            setDropping(false);
            const file = e.dataTransfer.files[0];
            if (!file) return;
            e.preventDefault();
            void studio.recall.fromFile(file, file.name || 'the dropped image');
          }} />
        <label htmlFor="gen-negative">Negative prompt</label>
        <textarea id="gen-negative" rows={2} value={s.negativePrompt} placeholder={takesPrompt(model) ? 'blurry, low quality' : 'This model takes no prompt'} onChange={(e) => set({ negativePrompt: e.target.value })} />

        <RecalledFields studio={studio} />

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

        <FrameFields studio={studio} strength={s.strength} setStrength={(strength) => set({ strength })} />

        {/* Cancel comes first while a generation runs, Generate (then Queue) is always there. */}
        <div className="generate-actions">
          {job && (
            <button type="button" className="danger" title="Stop this generation (Esc does not cancel it); the queue then goes on" onClick={() => void studio.cancel()} disabled={job.cancelling}>
              {job.cancelling ? 'Cancelling…' : 'Cancel'}
            </button>
          )}
          <button type="submit" className="primary" disabled={!canGenerate} title={canGenerate ? (anyJob ? 'Add to the queue: it starts when the running job ends (Ctrl/Cmd+Enter)' : 'Generate (Ctrl/Cmd+Enter)') : connection !== 'open' ? 'The engine is not connected' : 'Pick a model first'}>
            {anyJob ? 'Queue' : 'Generate'} <kbd>Ctrl+Enter</kbd>
          </button>
        </div>
        {job && (
          <JobProgress progress={job.progress} label="Generation progress" caption={`${progressCaption(job.progress)} · seed ${job.seed}`} cancelling={job.cancelling} />
        )}
        <QueueList studio={studio} />
      </form>
    </aside>
  );
}

/** The frame's size (the model's choices or typed sides), what is under it, and the strength. */
function FrameFields({ studio, strength, setStrength }: { studio: Studio; strength: number; setStrength: (v: number) => void }) {
  const store = studio.editor.store.store;
  const placed = useStore(store, (st) => st.doc.frame);
  const canvas = useStore(store, (st) => st.doc.canvas);
  const layers = useStore(store, (st) => st.doc.layers);
  const mask = useStore(store, (st) => st.doc.mask);
  const rules = useStore(store, (st) => st.ui.frameRules) ?? FALLBACK_FRAME_RULES;
  const frame = effectiveFrame({ canvas, frame: placed }, rules);
  const choices = frameSizeChoices(rules);
  const chosen = choices.find((c) => c.width === frame.width && c.height === frame.height)?.label;
  const [typing, setTyping] = useState(false);
  const custom = typing || !chosen;
  const mode = frameModeHint({ canvas, layers, mask }, frame);
  const setSize = (w: number, h: number) => studio.frame.setSize(w, h);

  return (
    <>
      <label htmlFor="gen-size">Frame size</label>
      <select id="gen-size" value={custom ? 'custom' : chosen} title="The generation frame on the canvas (F moves and resizes it); its sides are multiples of what the model needs" onChange={(e) => {
        const c = choices.find((x) => x.label === e.target.value);
        setTyping(!c);
        if (c) setSize(c.width, c.height);
      }}>
        {choices.map((c) => <option key={c.label} value={c.label}>{c.label}</option>)}
        <option value="custom">Custom…</option>
      </select>
      {custom && (
        <div className="row">
          <div>
            <label htmlFor="gen-width">Width</label>
            <SideField id="gen-width" value={frame.width} step={rules.multiple} max={rules.maxSide} onCommit={(w) => setSize(w, frame.height)} />
          </div>
          <div>
            <label htmlFor="gen-height">Height</label>
            <SideField id="gen-height" value={frame.height} step={rules.multiple} max={rules.maxSide} onCommit={(h) => setSize(frame.width, h)} />
          </div>
        </div>
      )}
      <p className="hint" id="gen-frame-hint" data-mode={mode}>
        Frame {frame.width} × {frame.height} at ({frame.x}, {frame.y}), multiples of {rules.multiple}. {UNDER_FRAME[mode]}
      </p>
      <label htmlFor="gen-strength">Strength</label>
      <div className={`row strength-row${mode === 'txt2img' ? ' dim' : ''}`}>
        <input type="range" aria-label="Strength slider" min={0} max={1} step={0.01} value={Number.isNaN(strength) ? 0 : strength} title="How much of the image under the frame changes: 0 keeps it, 1 ignores it" onChange={(e) => setStrength(Number(e.target.value))} />
        <NumberField id="gen-strength" min={0} max={1} step={0.05} value={strength} onValue={setStrength} />
      </div>
    </>
  );
}

/** A frame side typed in full and taken on Enter or leaving the field (snapped then), so typing is not snapped digit by digit. */
function SideField({ id, value, step, max, onCommit }: { id: string; value: number; step: number; max: number; onCommit: (v: number) => void }) {
  const [text, setText] = useState<string | null>(null);
  const commit = () => {
    if (text !== null && text.trim() !== '' && Number.isFinite(Number(text))) onCommit(Number(text));
    setText(null);
  };
  return (
    <input id={id} type="number" min={step} max={max} step={step} value={text ?? value} onChange={(e) => setText(e.target.value)} onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          commit();
        }
      }} />
  );
}

/** The generations waiting behind the running job, next first: each can move up or down or be removed. */
function QueueList({ studio }: { studio: Studio }) {
  const { queue } = studio.generation;
  const waiting = useStore(queue.store, (q) => q.waiting);
  if (!waiting.length) return null;
  return (
    <section className="queue" aria-label="Queue">
      <h3>Queue ({waiting.length} waiting)</h3>
      <ol>
        {waiting.map((q, i) => (
          <li key={q.id} data-queue-id={q.id}>
            <span className="queue-what" title={q.settings.prompt}>
              {q.settings.prompt.trim() || '(no prompt)'} · {q.settings.steps} steps · {q.settings.seedLocked ? `seed ${q.settings.seed}` : 'new seed'}
            </span>
            <button type="button" aria-label="Move up" title="Run earlier" disabled={i === 0} onClick={() => queue.shift(q.id, -1)}>↑</button>
            <button type="button" aria-label="Move down" title="Run later" disabled={i === waiting.length - 1} onClick={() => queue.shift(q.id, 1)}>↓</button>
            <button type="button" aria-label="Remove from queue" title="Cancel this waiting generation" onClick={() => queue.remove(q.id)}>✕</button>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The fields of the last recalled PNG that the panel has no place for, shown rather than dropped. */
function RecalledFields({ studio }: { studio: Studio }) {
  const { kept, source } = useStore(studio.recall.store);
  if (!kept) return null;
  return (
    <div className="recalled hint" data-testid="recalled-fields">
      <span>Settings from {source}.{kept.length ? ' Also in it, not used here:' : ''}</span>
      {kept.length > 0 && (
        <dl>
          {kept.map(([k, v], i) => (
            <div key={`${i}-${k}`}><dt>{k}</dt><dd>{v}</dd></div>
          ))}
        </dl>
      )}
      <button type="button" className="link" aria-label="Dismiss recalled settings" onClick={() => studio.recall.dismiss()}>Dismiss</button>
    </div>
  );
}
