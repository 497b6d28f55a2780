/**
 * The Canvas panel: the canvas's size (typed, with the side the old canvas keeps), extending or
 * shrinking an edge by some pixels, cropping to the frame or the selection — each one undo step —
 * and how the mask is drawn (its colour and hatching; remembered). The logic lives in ui/canvas/.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { CanvasAnchor, CanvasSide } from '../document/canvas-size.js';
import type { Studio } from './studio.js';

const ANCHORS: { label: string; anchor: CanvasAnchor }[] = [
  { label: 'Centre', anchor: { x: 0.5, y: 0.5 } },
  { label: 'Top left', anchor: { x: 0, y: 0 } },
  { label: 'Top', anchor: { x: 0.5, y: 0 } },
  { label: 'Top right', anchor: { x: 1, y: 0 } },
  { label: 'Left', anchor: { x: 0, y: 0.5 } },
  { label: 'Right', anchor: { x: 1, y: 0.5 } },
  { label: 'Bottom left', anchor: { x: 0, y: 1 } },
  { label: 'Bottom', anchor: { x: 0.5, y: 1 } },
  { label: 'Bottom right', anchor: { x: 1, y: 1 } },
];

const SIDES: { side: CanvasSide; label: string; title: string }[] = [
  { side: 'left', label: '←', title: 'the left edge' },
  { side: 'top', label: '↑', title: 'the top edge' },
  { side: 'right', label: '→', title: 'the right edge' },
  { side: 'bottom', label: '↓', title: 'the bottom edge' },
  { side: 'all', label: 'All', title: 'every edge' },
];

export function CanvasPanel({ studio }: { studio: Studio }) {
  const store = studio.editor.store.store;
  const canvas = useStore(store, (s) => s.doc.canvas);
  const hasSelection = useStore(store, (s) => !!s.doc.selection);
  const maskStyle = useStore(store, (s) => s.ui.maskStyle);
  const [width, setWidth] = useState(String(canvas.width));
  const [height, setHeight] = useState(String(canvas.height));
  const [anchor, setAnchor] = useState(0);
  const [by, setBy] = useState('64');
  useEffect(() => {
    setWidth(String(canvas.width));
    setHeight(String(canvas.height));
  }, [canvas]);
  const resize = (e: FormEvent) => {
    e.preventDefault();
    studio.canvasSize.resize(Number(width), Number(height), ANCHORS[anchor].anchor);
  };

  return (
    <section className="panel canvas-panel" aria-label="Canvas">
      <h2>Canvas</h2>
      <form onSubmit={resize}>
        <div className="row">
          <div>
            <label htmlFor="canvas-width">Width</label>
            <input id="canvas-width" type="text" inputMode="numeric" value={width} onChange={(e) => setWidth(e.target.value)} />
          </div>
          <div>
            <label htmlFor="canvas-height">Height</label>
            <input id="canvas-height" type="text" inputMode="numeric" value={height} onChange={(e) => setHeight(e.target.value)} />
          </div>
          <div>
            <label htmlFor="canvas-anchor">Keep</label>
            <select id="canvas-anchor" value={anchor} title="Where the current canvas stays in the new size" onChange={(e) => setAnchor(Number(e.target.value))}>
              {ANCHORS.map((a, i) => <option key={a.label} value={i}>{a.label}</option>)}
            </select>
          </div>
          <button id="canvas-resize" type="submit" title="Give the canvas this size (undoable)">Set</button>
        </div>
      </form>
      <div className="row canvas-extend">
        <div>
          <label htmlFor="canvas-extend-by">Extend by (px; negative shrinks)</label>
          <input id="canvas-extend-by" type="text" inputMode="numeric" value={by} onChange={(e) => setBy(e.target.value)} />
        </div>
        {SIDES.map((s) => (
          <button key={s.side} type="button" data-side={s.side} title={`Move ${s.title} out by ${by} px (undoable)`} aria-label={`Extend ${s.title}`} onClick={() => studio.canvasSize.extend(s.side, Number(by))}>{s.label}</button>
        ))}
      </div>
      <div className="row">
        <button id="canvas-crop-frame" type="button" title="The canvas becomes the generation frame (undoable)" onClick={() => studio.canvasSize.cropToFrame()}>Crop to frame</button>
        <button id="canvas-crop-selection" type="button" disabled={!hasSelection} title={hasSelection ? 'The canvas becomes the selection’s box (undoable)' : 'Select a region first (M or L)'} onClick={() => studio.canvasSize.cropToSelection()}>Crop to selection</button>
      </div>
      <div className="row mask-style">
        <label htmlFor="mask-colour">Mask colour</label>
        <input id="mask-colour" type="color" value={maskStyle.colour} title="The mask's tint; its outline alternates it with black or white" onChange={(e) => studio.canvasPrefs.setMaskStyle({ colour: e.target.value })} />
        <label htmlFor="mask-hatch" title="Diagonal stripes in the tint">
          <input id="mask-hatch" type="checkbox" checked={maskStyle.hatch} onChange={(e) => studio.canvasPrefs.setMaskStyle({ hatch: e.target.checked })} /> Hatch
        </label>
      </div>
    </section>
  );
}
