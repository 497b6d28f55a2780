/** The Gallery: generated, edited and upscaled images with their settings; reuse settings, add to canvas, upscale, export, drag out as a file. */
import type { DragEvent } from 'react';
import { useStore } from 'zustand';
import { formatFactor } from '../store/actions/upscale.js';
import { providerSummary, type GalleryItem } from './app-state.js';
import { GALLERY_MIME } from './CanvasPane.js';
import { galleryFileName } from './gallery/gallery.js';
import { PACK_SAMPLER, samplerRanText } from './generate/settings.js';
import type { Studio } from './studio.js';
import { boundaryShort } from './upscale/summary.js';

function onDragStart(e: DragEvent, item: GalleryItem, studio: Studio): void {
  const name = galleryFileName(item);
  const client = studio.connection.client;
  if (client?.mode === 'electron') {
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

export function Gallery({ studio }: { studio: Studio }) {
  const items = useStore(studio.app, (a) => a.gallery);
  const selectedId = useStore(studio.app, (a) => a.selectedGalleryId);
  const busy = useStore(studio.app, (a) => !!a.job || a.connection !== 'open');
  const upscaler = useStore(studio.upscales.store, (s) => s.form.model);
  const canUpscale = !busy && !!upscaler;

  return (
    <section className="panel gallery" aria-label="Gallery">
      <h2>Gallery</h2>
      {!items.length && <p className="hint">Generated images appear here with their settings. Drag one onto the canvas or out of the window.</p>}
      <ul className="gallery-list">
        {items.map((item, i) => {
          const s = item.settings;
          // A batch shows as a group: its items side by side under one heading (the first of them that is shown).
          const batch = item.batch && item.batch.size > 1 ? item.batch : undefined;
          const opens = batch && items[i - 1]?.batch?.id !== batch.id;
          const className = [item.id === selectedId ? 'selected' : '', batch ? 'in-batch' : '', opens ? 'batch-start' : ''].filter(Boolean).join(' ');
          return (
            <li key={item.id} className={className} data-batch={batch?.id} onClick={() => studio.gallery.select(item.id)}>
              {opens && <p className="gallery-batch hint">Batch of {batch.size} · {s.prompt || '(no prompt)'}</p>}
              <img src={item.url} alt={`Generated: ${s.prompt || '(no prompt)'}, seed ${item.seed}`} width={72} height={72} draggable onDragStart={(e) => onDragStart(e, item, studio)} title="Drag onto the canvas, or out of the window to save the PNG" />
              <div className="gallery-meta">
                <p className="prompt" title={item.parameters}>{s.prompt || <em>(no prompt)</em>}</p>
                <p className="hint gallery-describe" title={item.ran?.reason}>
                  {describe(item)}
                  {providerSummary(item.providers) ? ` · ${providerSummary(item.providers)}` : ''}
                </p>
                <div className="gallery-actions">
                  {!item.edit && !item.upscale && <button type="button" title="Fill the Generate panel with these settings (seed locked)" onClick={() => studio.generation.useSettingsOf(item.id)}>Use these settings again</button>}
                  <button type="button" title="Add as a new layer" onClick={() => void studio.imports.addGalleryItem(item.id)}>To canvas</button>
                  <button type="button" className="gallery-upscale" title={canUpscale ? `Upscale into a new gallery image with ${upscaler} (settings in the Upscale panel)` : 'Upscaling needs the engine, an upscaling model and no job running'} disabled={!canUpscale} onClick={(e) => { e.stopPropagation(); void studio.upscales.upscaleGalleryItem(item.id); }}>Upscale</button>
                  <button type="button" title="Save the PNG (its settings are in the file)" onClick={() => void studio.exports.exportGalleryItem(item.id)}>Export PNG</button>
                  <button type="button" title={item.stored ? 'Delete from the gallery (and from disk)' : 'Remove from the gallery'} aria-label="Remove from the gallery" onClick={(e) => { e.stopPropagation(); void studio.gallery.remove(item.id); }}>✕</button>
                </div>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
