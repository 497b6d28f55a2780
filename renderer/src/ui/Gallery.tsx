/**
 * The Gallery: generated, edited and upscaled images with their settings, batches grouped; reuse
 * settings, add to canvas, upscale, download or save, show in folder (desktop), compare side by
 * side, drag out as a file. Kept images show their thumbnails, fetched as they scroll into view;
 * their full PNGs are fetched when an action needs them.
 */
import { useEffect, useRef, type DragEvent } from 'react';
import { useStore } from 'zustand';
import { formatFactor } from '../store/actions/upscale.js';
import { providerSummary, type GalleryItem } from './app-state.js';
import { GALLERY_MIME } from './CanvasPane.js';
import { GalleryCompare } from './gallery/GalleryCompare.js';
import { galleryFileName } from './gallery/gallery.js';
import './gallery/gallery.css';
import { PACK_SAMPLER, samplerRanText } from './generate/settings.js';
import type { Studio } from './studio.js';
import { boundaryShort } from './upscale/summary.js';

function onDragStart(e: DragEvent, item: GalleryItem, studio: Studio): void {
  const name = galleryFileName(item);
  const client = studio.connection.client;
  if (client?.mode === 'electron' && !item.pending) {
    // Electron: the main process writes the PNG to a temporary file and starts a native file drag
    // (the canvas takes it as a dropped file); the page's own drag is cancelled in its favour.
    e.preventDefault();
    client.startDrag({ name, bytes: item.png as Uint8Array<ArrayBuffer> }).catch((err: unknown) => {
      studio.say(`Could not drag ${name} out: ${err instanceof Error ? err.message : String(err)}`, 'error');
    });
    return;
  }
  const dt = e.dataTransfer;
  dt.effectAllowed = 'copy';
  dt.setData(GALLERY_MIME, item.id);
  // A kept image whose PNG is still on its way can be dropped on the canvas (which fetches it), not saved.
  if (item.pending) return void studio.gallery.full(item.id);
  // Chromium: dropping onto the desktop or a file manager saves the file.
  dt.setData('DownloadURL', `image/png:${name}:${new URL(item.url, location.href).href}`);
  dt.setData('text/uri-list', item.url);
  try {
    // Where supported, the drag also carries the file itself.
    dt.items.add(new File([item.blob], name, { type: 'image/png' }));
  } catch {
    // Not supported here: the DownloadURL above still works in Chromium.
  }
}

/** The line under an item's prompt: what made it. */
function describe(item: GalleryItem): string {
  const s = item.settings;
  const size = `seed ${item.seed} · ${item.width}×${item.height}`;
  if (item.edit) return `${item.model} · edit: ${item.edit.task} · ${item.edit.preset} preset${item.edit.steps ? ` · ${item.edit.steps} steps` : ''} · ${item.edit.evaluations} evaluations · ${size}`;
  const u = item.upscale;
  if (u) return `${item.model} · upscaled ${formatFactor(u.factor)}× from ${u.from.width}×${u.from.height}${u.steps ? ` · ${u.steps} steps` : ''} · ${boundaryShort(u.boundary)}${u.tiles > 1 ? ` · ${u.tiles} tiles` : ''} · ${size}`;
  const sampler = samplerRanText(s.sampler, item.ran) ?? (s.sampler === PACK_SAMPLER ? 'pack scheduler' : s.sampler);
  return `${item.model} · ${sampler} · ${s.steps} steps · CFG ${s.cfgScale} · ${size}`;
}

/** Run `action` on the item once its full PNG is here. */
function withFull(studio: Studio, id: string, action: () => unknown): void {
  void studio.gallery.full(id).then((item) => item && action());
}

/** The item's picture: the thumbnail of a kept image (asked for once it scrolls into view), else the PNG itself. */
function Thumb({ item, studio }: { item: GalleryItem; studio: Studio }) {
  const ref = useRef<HTMLImageElement>(null);
  const needs = !!item.pending && !item.thumbUrl;
  useEffect(() => {
    const el = ref.current;
    if (!needs || !el) return;
    if (typeof IntersectionObserver === 'undefined') return void studio.gallery.wantThumbnail(item.id);
    const seen = new IntersectionObserver((records) => {
      if (records.some((r) => r.isIntersecting)) {
        studio.gallery.wantThumbnail(item.id);
        seen.disconnect();
      }
    }, { rootMargin: '200px' });
    seen.observe(el);
    return () => seen.disconnect();
  }, [needs, item.id, studio]);
  const src = item.thumbUrl ?? (item.pending ? undefined : item.url);
  return (
    <img ref={ref} src={src} data-thumb={item.thumbUrl ? 'thumbnail' : item.pending ? 'waiting' : 'image'} alt={`Generated: ${item.settings.prompt || '(no prompt)'}, seed ${item.seed}`}
      width={72} height={72} draggable onMouseDown={() => item.pending && void studio.gallery.full(item.id)} onDragStart={(e) => onDragStart(e, item, studio)}
      title="Drag onto the canvas, or out of the window to save the PNG" />
  );
}

export function Gallery({ studio }: { studio: Studio }) {
  const items = useStore(studio.app, (a) => a.gallery);
  const selectedId = useStore(studio.app, (a) => a.selectedGalleryId);
  const mode = useStore(studio.app, (a) => a.mode);
  const busy = useStore(studio.app, (a) => !!a.job || a.connection !== 'open');
  const upscaler = useStore(studio.upscales.store, (s) => s.form.model);
  const picked = useStore(studio.gallery.compare, (c) => c.picked);
  const canUpscale = !busy && !!upscaler;
  const desktop = mode === 'electron';

  const showInFolder = (id: string) => {
    const client = studio.connection.client;
    if (!client) return;
    client.showInFolder({ id }).catch((err: unknown) => studio.say(`Could not show the image in its folder: ${err instanceof Error ? err.message : String(err)}`, 'error'));
  };

  return (
    <section className="panel gallery" aria-label="Gallery">
      <h2>Gallery</h2>
      {!items.length && <p className="hint">Generated images appear here with their settings. Drag one onto the canvas or out of the window.</p>}
      {picked.length > 0 && (
        <div className="gallery-compare-bar" role="toolbar" aria-label="Compare">
          <span>{picked.length} picked</span>
          <button type="button" disabled={picked.length < 2} title="Show the picked images side by side at one scale, with the settings that differ" onClick={() => void studio.gallery.openCompare()}>Compare side by side</button>
          <button type="button" onClick={() => studio.gallery.closeCompare(true)}>Clear</button>
        </div>
      )}
      <ul className="gallery-list">
        {items.map((item, i) => {
          const s = item.settings;
          // A batch shows as a group: its items side by side under one heading (the first of them that is shown).
          const batch = item.batch && item.batch.size > 1 ? item.batch : undefined;
          const opens = batch && items[i - 1]?.batch?.id !== batch.id;
          const className = [item.id === selectedId ? 'selected' : '', batch ? 'in-batch' : '', opens ? 'batch-start' : ''].filter(Boolean).join(' ');
          return (
            <li key={item.id} className={className} data-batch={batch?.id} data-id={item.id} onClick={() => studio.gallery.select(item.id)}>
              {opens && (
                <p className="gallery-batch hint">
                  Batch of {batch.size} · {s.prompt || '(no prompt)'}
                  <button type="button" className="gallery-compare-batch" title="Pick this batch's images to compare them side by side" onClick={(e) => { e.stopPropagation(); studio.gallery.pickBatch(batch.id); void studio.gallery.openCompare(); }}>Compare batch</button>
                </p>
              )}
              <Thumb item={item} studio={studio} />
              <div className="gallery-meta">
                <p className="prompt" title={item.parameters}>{s.prompt || <em>(no prompt)</em>}</p>
                <p className="hint gallery-describe" title={item.ran?.reason}>
                  {describe(item)}
                  {providerSummary(item.providers) ? ` · ${providerSummary(item.providers)}` : ''}
                </p>
                <div className="gallery-actions">
                  <label className="gallery-pick" title="Pick for a side-by-side comparison" onClick={(e) => e.stopPropagation()}>
                    <input type="checkbox" checked={picked.includes(item.id)} onChange={() => studio.gallery.togglePick(item.id)} /> Compare
                  </label>
                  {!item.edit && !item.upscale && <button type="button" title="Fill the Generate panel with these settings (seed locked)" onClick={() => studio.generation.useSettingsOf(item.id)}>Use these settings again</button>}
                  <button type="button" title="Add as a new layer" onClick={() => withFull(studio, item.id, () => studio.imports.addGalleryItem(item.id))}>To canvas</button>
                  <button type="button" className="gallery-upscale" title={canUpscale ? `Upscale into a new gallery image with ${upscaler} (settings in the Upscale panel)` : 'Upscaling needs the engine, an upscaling model and no job running'} disabled={!canUpscale} onClick={(e) => { e.stopPropagation(); withFull(studio, item.id, () => studio.upscales.upscaleGalleryItem(item.id)); }}>Upscale</button>
                  <button type="button" className="gallery-download" title="The PNG as generated, its settings inside" onClick={() => withFull(studio, item.id, () => studio.exports.exportGalleryItem(item.id))}>{desktop ? 'Save PNG…' : 'Download PNG'}</button>
                  {desktop && item.stored && <button type="button" className="gallery-reveal" title="Show the PNG in the gallery's folder on disk" onClick={(e) => { e.stopPropagation(); showInFolder(item.id); }}>Show in folder</button>}
                  <button type="button" title={item.stored ? 'Delete from the gallery (and from disk)' : 'Remove from the gallery'} aria-label="Remove from the gallery" onClick={(e) => { e.stopPropagation(); void studio.gallery.remove(item.id); }}>✕</button>
                </div>
              </div>
            </li>
          );
        })}
      </ul>
      <GalleryCompare studio={studio} />
    </section>
  );
}
