/** The centre: the Konva canvas, accepting dropped image files and gallery items. */
import { useEffect, useRef, useState, type DragEvent } from 'react';
import { CanvasView } from '../canvas/canvas-view.js';
import type { Studio } from './studio.js';

export const GALLERY_MIME = 'application/x-driftline-gallery';

export function CanvasPane({ studio }: { studio: Studio }) {
  const ref = useRef<HTMLDivElement>(null);
  const [dragOver, setDragOver] = useState(false);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const view = new CanvasView(el, studio.editor, studio.bank, { onPointer: (p) => studio.app.setState({ pointer: p }) });
    const off = studio.progress.onPreview((p) => view.setPreview(p));
    return () => {
      off();
      view.destroy();
    };
  }, [studio]);

  const accepts = (e: DragEvent) => e.dataTransfer.types.includes('Files') || e.dataTransfer.types.includes(GALLERY_MIME);
  const onDragOver = (e: DragEvent) => {
    if (!accepts(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    setDragOver(true);
  };
  const onDrop = (e: DragEvent) => {
    setDragOver(false);
    if (!accepts(e)) return;
    e.preventDefault();
    const r = ref.current!.getBoundingClientRect();
    const at = studio.editor.screenToDocument({ x: e.clientX - r.left, y: e.clientY - r.top });
    const galleryId = e.dataTransfer.getData(GALLERY_MIME);
    // A kept image's PNG may not be here yet: fetched first (at once when the drag began on it).
    if (galleryId) return void studio.gallery.full(galleryId).then((item) => item && studio.imports.addGalleryItem(galleryId, at));
    void studio.imports.addFiles([...e.dataTransfer.files], at);
  };

  return (
    <section className={`canvas-pane${dragOver ? ' drag-over' : ''}`} aria-label="Canvas" onDragOver={onDragOver} onDragLeave={() => setDragOver(false)} onDrop={onDrop}>
      <div ref={ref} className="stage" data-testid="stage" />
      {dragOver && <div className="drop-hint">Drop to add as a new layer</div>}
    </section>
  );
}
