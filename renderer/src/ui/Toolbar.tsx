/** The top toolbar: tools with their keys, brush size (shared by the brush and the eraser unless unlinked) and hardness, undo/redo, zoom. */
import { useStore } from 'zustand';
import type { Studio } from './studio.js';

export function Toolbar({ studio }: { studio: Studio }) {
  const { editor } = studio;
  const ui = useStore(editor.store.store, (s) => s.ui);
  const zoom = useStore(editor.store.store, (s) => s.viewport.zoom);
  const history = useStore(editor.store.store, (s) => s.history);
  const mode = ui.tool === 'eraser' ? 'eraser' : 'brush';
  const brush = ui[mode];
  const brushTool = ui.tool === 'brush' || ui.tool === 'eraser';

  return (
    <header className="toolbar" role="toolbar" aria-label="Canvas tools">
      <div className="tool-group">
        {editor.tools.toolbar().map((t) => (
          <button key={t.id} type="button" className={`tool${ui.tool === t.id ? ' active' : ''}`} aria-pressed={ui.tool === t.id} title={t.title} aria-label={t.title} data-tool={t.id} onClick={() => editor.setTool(t.id)}>
            <span aria-hidden="true">{t.icon}</span>
            <kbd>{t.key}</kbd>
          </button>
        ))}
      </div>
      <div className={`tool-group brush-options${brushTool ? '' : ' dim'}`}>
        <label htmlFor="brush-size">{mode === 'eraser' ? 'Eraser' : 'Brush'} size</label>
        <input id="brush-size" type="range" min={1} max={400} value={brush.size} title={ui.brushSized ? 'Brush diameter in canvas pixels' : 'Brush diameter in canvas pixels (follows the frame until you set it)'} onChange={(e) => editor.setBrushOptions(mode, { size: Number(e.target.value) })} />
        <input aria-label="Brush size in pixels" className="num" type="number" min={1} max={2000} value={brush.size} onChange={(e) => editor.setBrushOptions(mode, { size: Number(e.target.value) || 1 })} />
        <button type="button" id="brush-link" className={ui.linkBrushSizes ? 'active' : ''} aria-pressed={ui.linkBrushSizes} title={ui.linkBrushSizes ? 'The brush and the eraser share one size: click to size them apart' : 'The brush and the eraser have their own sizes: click to share one'} onClick={() => editor.linkBrushSizes(!ui.linkBrushSizes, mode)}>
          {ui.linkBrushSizes ? 'One size' : 'Own sizes'}
        </button>
        <label htmlFor="brush-hardness">Hardness</label>
        <input id="brush-hardness" type="range" min={0} max={100} value={Math.round(brush.hardness * 100)} title="0: soft edge, 100: hard edge" onChange={(e) => editor.setBrushOptions(mode, { hardness: Number(e.target.value) / 100 })} />
        <output htmlFor="brush-hardness">{Math.round(brush.hardness * 100)}%</output>
      </div>
      <div className="tool-group">
        <button type="button" title={history.undoName ? `Undo ${history.undoName} (Ctrl+Z)` : 'Nothing to undo'} disabled={!history.canUndo} onClick={() => editor.undo()}>↶ Undo</button>
        <button type="button" title={history.redoName ? `Redo ${history.redoName} (Ctrl+Shift+Z)` : 'Nothing to redo'} disabled={!history.canRedo} onClick={() => editor.redo()}>↷ Redo</button>
      </div>
      <div className="tool-group">
        <button type="button" title="Zoom out (−)" aria-label="Zoom out" onClick={() => editor.zoomBy(1 / 1.25)}>−</button>
        <button type="button" title="Zoom to fit (Ctrl+0)" onClick={() => editor.zoomToFit()}>{Math.round(zoom * 100)}%</button>
        <button type="button" title="Zoom in (+)" aria-label="Zoom in" onClick={() => editor.zoomBy(1.25)}>+</button>
      </div>
      <div className="tool-group">
        <button type="button" title="Open an image as a new layer (Ctrl+O)" onClick={() => void studio.imports.openImage()}>Open…</button>
        <button type="button" title="Export the selected gallery image, else the whole canvas flattened, as PNG with its settings (Ctrl+Shift+E)" onClick={() => void studio.exports.exportPng()}>Export</button>
        <button type="button" title="Export only what lies under the generation frame, at the frame's size, as PNG with its settings" onClick={() => void studio.exports.exportFrame()}>Export frame</button>
        <button type="button" title="Remove every layer, mask, selection and drag point (undoable)" onClick={() => studio.commands.clearCanvas()}>Clear</button>
      </div>
    </header>
  );
}
