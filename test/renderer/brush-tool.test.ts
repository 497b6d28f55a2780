import { describe, expect, it } from 'vitest';
import { createDocument, maskStats, rasterizeSourceMask } from '../../renderer/src/document/index.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';

const setup = () => new Editor({ tools: STUDIO_TOOLS, document: createDocument(200, 200) });

function stroke(editor: Editor, points: [number, number][]) {
  const [first, ...rest] = points;
  editor.pointerDown({ x: first[0], y: first[1] });
  for (const [x, y] of rest) editor.pointerMove({ x, y });
  const last = points[points.length - 1];
  editor.pointerUp({ x: last[0], y: last[1] });
}

describe('brush and eraser tools', () => {
  it('B selects the brush; a stroke is drawn live and is ONE undo step', () => {
    const editor = setup();
    editor.keyDown('b');
    expect(editor.toolState()).toBe('brush.idle');
    editor.setBrushOptions('brush', { size: 10, hardness: 1 });
    editor.pointerDown({ x: 20, y: 20 });
    expect(editor.toolState()).toBe('brush.drawing');
    expect(editor.ui.toolState).toBe('brush.drawing');
    for (let x = 25; x <= 100; x += 5) editor.pointerMove({ x, y: 20 });
    expect(editor.doc.mask.strokes[0].points.length).toBeGreaterThan(10); // visible while drawing
    editor.pointerUp({ x: 100, y: 20 });
    expect(editor.toolState()).toBe('brush.idle');
    const s = editor.doc.mask.strokes[0];
    expect(s).toMatchObject({ mode: 'brush', size: 10, hardness: 1 });
    expect(s.points.slice(0, 2)).toEqual([20, 20]);
    expect(s.points.slice(-2)).toEqual([100, 20]);
    expect(editor.store.history.stacks.undo).toHaveLength(1);
    editor.keyDown('z', { ctrlKey: true });
    expect(editor.doc.mask.strokes).toHaveLength(0);
    editor.keyDown('z', { metaKey: true, shiftKey: true });
    expect(editor.doc.mask.strokes).toHaveLength(1);
  });

  it('Escape mid-stroke bails: the document is back at the mark, no undo step', () => {
    const editor = setup();
    editor.setTool('brush');
    stroke(editor, [[10, 10], [20, 10]]);
    const before = editor.doc;
    editor.pointerDown({ x: 50, y: 50 });
    editor.pointerMove({ x: 80, y: 80 });
    editor.keyDown('Escape');
    expect(editor.toolState()).toBe('brush.idle');
    expect(editor.doc).toEqual(before);
    expect(editor.store.history.stacks.undo).toHaveLength(1);
    editor.pointerUp({ x: 80, y: 80 }); // the release after Escape does nothing
    expect(editor.doc).toEqual(before);
  });

  it('strokes are in document coordinates through the viewport', () => {
    const editor = setup();
    editor.store.setViewport({ zoom: 2, panX: 100, panY: 50 });
    editor.setTool('brush');
    stroke(editor, [[120, 70], [140, 70]]);
    expect(editor.doc.mask.strokes[0].points).toEqual([10, 10, 20, 10]);
  });

  it('the eraser subtracts from the mask; [ and ] resize the brush', () => {
    const editor = setup();
    editor.setBrushOptions('brush', { size: 40, hardness: 1 });
    editor.setTool('brush');
    stroke(editor, [[100, 100]]);
    const painted = maskStats(rasterizeSourceMask(editor.doc)).count;
    editor.keyDown('e');
    expect(editor.toolState()).toBe('eraser.idle');
    editor.setBrushOptions('eraser', { size: 8, hardness: 1 });
    editor.keyDown(']');
    expect(editor.ui.eraser.size).toBe(11);
    editor.keyDown('[');
    expect(editor.ui.eraser.size).toBe(9);
    stroke(editor, [[100, 100]]);
    expect(editor.doc.mask.strokes.map((s) => s.mode)).toEqual(['brush', 'eraser']);
    expect(maskStats(rasterizeSourceMask(editor.doc)).count).toBeLessThan(painted);
    expect(editor.store.history.stacks.undo.map((e) => e.name)).toEqual(['brush', 'eraser']);
  });

  it('switching tools mid-stroke bails the stroke', () => {
    const editor = setup();
    editor.setTool('brush');
    editor.pointerDown({ x: 5, y: 5 });
    editor.pointerMove({ x: 30, y: 5 });
    editor.setTool('select');
    expect(editor.toolState()).toBe('select.idle');
    expect(editor.doc.mask.strokes).toHaveLength(0);
    expect(editor.store.history.inGesture).toBe(false);
  });
});
