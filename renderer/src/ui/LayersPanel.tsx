/** Layers: image layers top to bottom (visibility, opacity, order, upscale, delete), the mask, the selection, drag points. */
import { useRef, type ChangeEvent } from 'react';
import { useStore } from 'zustand';
import { clearDragPairs } from '../store/actions/drag-points.js';
import { removeLayer, reorderLayer, setLayerProps } from '../store/actions/layers.js';
import { clearMask, setMaskProps } from '../store/actions/mask.js';
import { setSelection } from '../store/actions/selection.js';
import type { Studio } from './studio.js';
import { upscalerModels } from './upscale/form.js';

/**
 * A 0–100 % slider whose drag is ONE undo step: intermediate values are applied without history,
 * and on release the start value is restored silently and the final value applied as one step.
 */
function OpacitySlider({ label, value, apply }: { label: string; value: number; apply: (v: number, undoable: boolean) => void }) {
  const start = useRef<number | null>(null);
  const latest = useRef(value);
  const change = (e: ChangeEvent<HTMLInputElement>) => {
    if (start.current === null) start.current = value;
    latest.current = Number(e.target.value) / 100;
    apply(latest.current, false);
  };
  const commit = () => {
    const s = start.current;
    start.current = null;
    if (s === null || s === latest.current) return;
    apply(s, false);
    apply(latest.current, true);
  };
  return (
    <input type="range" min={0} max={100} value={Math.round(value * 100)} aria-label={label} title={`${label}: ${Math.round(value * 100)}%`} onChange={change} onPointerUp={commit} onKeyUp={commit} onBlur={commit} />
  );
}

export function LayersPanel({ studio }: { studio: Studio }) {
  const { editor } = studio;
  const doc = useStore(editor.store.store, (s) => s.doc);
  const selected = useStore(editor.store.store, (s) => s.ui.selected);
  const layers = doc.layers.map((l, i) => ({ l, i })).reverse();
  const busy = useStore(studio.app, (a) => !!a.job || a.connection !== 'open');
  const upscaler = useStore(studio.upscales.store, (s) => s.form.model);
  const installed = useStore(studio.app, (a) => upscalerModels(a.models).some((m) => m.name === upscaler));
  const canUpscale = !busy && installed;

  return (
    <section className="panel layers-panel" aria-label="Layers">
      <h2>Layers</h2>
      <ul className="layer-list">
        {layers.map(({ l, i }) => {
          const isSel = selected?.kind === 'layer' && selected.id === l.id;
          return (
            <li key={l.id} className={isSel ? 'selected' : ''}>
              <input type="checkbox" checked={l.visible} aria-label={`Show ${l.name}`} title={l.visible ? 'Hide' : 'Show'} onChange={(e) => editor.update(setLayerProps(l.id, { visible: e.target.checked }), { name: 'layer visibility' })} />
              <button type="button" className="layer-name" title={`Select ${l.name} (${l.width}×${l.height})`} onClick={() => editor.select({ kind: 'layer', id: l.id })}>
                {l.name}
                {i === 0 && <span className="badge" title="The first layer is the base image edits apply to">base</span>}
              </button>
              <OpacitySlider label={`Opacity of ${l.name}`} value={l.opacity} apply={(v, undoable) => editor.update(setLayerProps(l.id, { opacity: v }), { undoable, name: 'layer opacity' })} />
              <button type="button" title="Move up" aria-label={`Move ${l.name} up`} disabled={i === doc.layers.length - 1} onClick={() => editor.update(reorderLayer(l.id, i + 1), { name: 'reorder layer' })}>▲</button>
              <button type="button" title="Move down" aria-label={`Move ${l.name} down`} disabled={i === 0} onClick={() => editor.update(reorderLayer(l.id, i - 1), { name: 'reorder layer' })}>▼</button>
              <button type="button" className="layer-upscale" title={canUpscale ? `Upscale into a new layer with ${upscaler} (settings in the Upscale panel)` : 'Upscaling needs the engine, an upscaling model and no job running'} aria-label={`Upscale ${l.name}`} disabled={!canUpscale} onClick={() => void studio.upscales.upscaleLayer(l.id)}>⤢</button>
              <button type="button" title="Delete layer (Delete)" aria-label={`Delete ${l.name}`} onClick={() => editor.update(removeLayer(l.id), { name: 'delete layer' })}>✕</button>
            </li>
          );
        })}
        {!layers.length && <li className="empty">No images yet: generate one, drop a file or paste (Ctrl+V).</li>}
      </ul>
      <ul className="layer-list extras">
        <li>
          <input type="checkbox" checked={doc.mask.visible} aria-label="Show the mask" title="Show or hide the mask" onChange={(e) => editor.update(setMaskProps({ visible: e.target.checked }), { name: 'mask visibility' })} />
          <span className="layer-name">Mask · {doc.mask.strokes.length} stroke{doc.mask.strokes.length === 1 ? '' : 's'}</span>
          <OpacitySlider label="Mask opacity" value={doc.mask.opacity} apply={(v, undoable) => editor.update(setMaskProps({ opacity: v }), { undoable, name: 'mask opacity' })} />
          <button type="button" title="Clear the mask" disabled={!doc.mask.strokes.length} onClick={() => editor.update(clearMask(), { name: 'clear mask' })}>Clear</button>
        </li>
        {doc.selection && (
          <li>
            <span className="layer-name">Selection · {doc.selection.shape.kind === 'rect' ? 'rectangle' : 'lasso'}</span>
            <button type="button" title="Clear the selection" onClick={() => editor.update(setSelection(null), { name: 'clear selection' })}>Clear</button>
          </li>
        )}
        {doc.dragPairs.length > 0 && (
          <li>
            <span className="layer-name">Drag points · {doc.dragPairs.length}</span>
            <button type="button" title="Remove every drag point" onClick={() => editor.update(clearDragPairs(), { name: 'clear drag points' })}>Clear</button>
          </li>
        )}
      </ul>
    </section>
  );
}
