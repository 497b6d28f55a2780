/** Picked gallery images side by side at one scale, with the settings that differ between them and those they share. */
import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import type { GalleryItem } from '../app-state.js';
import type { Studio } from '../studio.js';
import { compareScale, compareTable } from './compare.js';

/** The space each image gets: an equal share of the window's width, most of its height. */
function cellFor(n: number): { width: number; height: number } {
  const gap = 16;
  return { width: Math.max(64, (window.innerWidth * 0.92 - gap * (n + 1)) / n), height: Math.max(64, window.innerHeight * 0.55) };
}

export function GalleryCompare({ studio }: { studio: Studio }) {
  const open = useStore(studio.gallery.compare, (c) => c.open);
  const picked = useStore(studio.gallery.compare, (c) => c.picked);
  const gallery = useStore(studio.app, (a) => a.gallery);
  const [, resized] = useState(0);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && studio.gallery.closeCompare();
    const onResize = () => resized((n) => n + 1);
    window.addEventListener('keydown', onKey);
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('resize', onResize);
    };
  }, [open, studio]);
  const items = picked.map((id) => gallery.find((g) => g.id === id)).filter((g): g is GalleryItem => g !== undefined && !g.pending);
  if (!open || items.length < 2) return null;
  const scale = compareScale(items, cellFor(items.length));
  const table = compareTable(items);
  return (
    <div className="gallery-compare" role="dialog" aria-modal="true" aria-label="Compare side by side">
      <div className="gallery-compare-head">
        <h2>Compare {items.length} images</h2>
        <span className="hint">one scale for all: {+(scale * 100).toFixed(0)}%</span>
        <button type="button" onClick={() => studio.gallery.closeCompare()}>Close</button>
      </div>
      <div className="gallery-compare-images">
        {items.map((item) => (
          <figure key={item.id} data-id={item.id}>
            <img src={item.url} alt={`Seed ${item.seed}: ${item.settings.prompt || '(no prompt)'}`} style={{ width: item.width * scale, height: item.height * scale }} />
            <figcaption>seed {item.seed} · {item.width}×{item.height}</figcaption>
          </figure>
        ))}
      </div>
      <table className="gallery-compare-table">
        <tbody>
          {table.differing.map((row) => (
            <tr key={row.label} className="differs">
              <th scope="row">{row.label}</th>
              {row.values.map((v, i) => <td key={i}>{v}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      {!table.differing.length && <p className="hint">The settings are the same for all of them.</p>}
      <p className="hint gallery-compare-shared">Same for all: {table.shared.map((r) => `${r.label} ${r.value}`).join(' · ')}</p>
    </div>
  );
}
