/** The Edit panel: what `editRequestFromDocument` would send, and plainly that editing is not available yet. */
import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { editRequestFromDocument } from '../document/edit-request.js';
import { EDIT_UNAVAILABLE, summarizeEdit, type EditSummary } from './edit/summary.js';
import type { Studio } from './studio.js';

export function EditPanel({ studio }: { studio: Studio }) {
  const doc = useStore(studio.editor.store.store, (s) => s.doc);
  const selected = useStore(studio.editor.store.store, (s) => s.ui.selected);
  const [summary, setSummary] = useState<EditSummary | null>(null);

  useEffect(() => {
    // Rasterising the mask costs O(canvas); wait until the document settles.
    const t = setTimeout(() => setSummary(summarizeEdit(editRequestFromDocument(doc, { selectedLayerId: selected?.kind === 'layer' ? selected.id : null }))), 200);
    return () => clearTimeout(t);
  }, [doc, selected]);

  return (
    <section className="panel edit-panel" aria-label="Edit">
      <h2>Edit</h2>
      {summary && (
        <>
          <p className="edit-kind"><strong>{summary.title}</strong> <code>{summary.kind}</code></p>
          <p className="hint">{summary.description}</p>
          <table className="edit-table">
            <tbody>
              {summary.rows.map(([k, v], i) => (
                <tr key={i}><th scope="row">{k}</th><td>{v}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <p id="edit-unavailable" className="notice" role="note">{EDIT_UNAVAILABLE}</p>
      <button type="button" className="primary" disabled aria-describedby="edit-unavailable" title="Not available yet: the editing algorithms are not in this version">Apply edit</button>
    </section>
  );
}
