import { describe, expect, it } from 'vitest';
import { createDocument, maskStats, rasterizeSourceMask } from '../../renderer/src/document/index.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';

const setup = () => new Editor({ tools: STUDIO_TOOLS, document: createDocument(100, 100) });

describe('rectangle selection (M)', () => {
  it('drags a pixel-snapped rectangle as one undo step', () => {
    const editor = setup();
    editor.keyDown('m');
    editor.pointerDown({ x: 30.4, y: 40.2 });
    expect(editor.toolState()).toBe('marquee.selecting');
    editor.pointerMove({ x: 20, y: 30 });
    editor.pointerMove({ x: 10.3, y: 20.6 });
    editor.pointerUp({ x: 10.3, y: 20.6 });
    expect(editor.doc.selection).toEqual({ shape: { kind: 'rect', x: 10, y: 21, width: 20, height: 19 }, dx: 0, dy: 0, scaleX: 1, scaleY: 1 });
    expect(maskStats(rasterizeSourceMask(editor.doc)).count).toBe(20 * 19);
    expect(editor.store.history.stacks.undo).toHaveLength(1);
    expect(editor.ui.selected).toEqual({ kind: 'selection' });
  });

  it('a click clears the selection (undoably); Escape mid-drag restores the old one', () => {
    const editor = setup();
    editor.setTool('marquee');
    editor.pointerDown({ x: 10, y: 10 });
    editor.pointerMove({ x: 50, y: 50 });
    editor.pointerUp({ x: 50, y: 50 });
    const first = editor.doc.selection;
    editor.pointerDown({ x: 60, y: 60 });
    editor.pointerMove({ x: 90, y: 90 });
    expect(editor.doc.selection?.shape).toMatchObject({ x: 60, y: 60 });
    editor.keyDown('Escape');
    expect(editor.doc.selection).toEqual(first);
    editor.pointerDown({ x: 70, y: 70 });
    editor.pointerUp({ x: 70, y: 70 });
    expect(editor.doc.selection).toBeNull();
    editor.undo();
    expect(editor.doc.selection).toEqual(first);
  });
});

describe('lasso selection (L)', () => {
  it('produces a closed polygon that rasterises to its area', () => {
    const editor = setup();
    editor.keyDown('l');
    editor.pointerDown({ x: 10, y: 10 });
    expect(editor.toolState()).toBe('lasso.drawing');
    expect(editor.doc.selection?.shape).toMatchObject({ kind: 'lasso', closed: false });
    for (const [x, y] of [[30, 10], [50, 10], [50, 30], [50, 50], [30, 50], [10, 50], [10, 30]]) editor.pointerMove({ x, y });
    editor.pointerUp({ x: 10, y: 30 });
    const shape = editor.doc.selection?.shape;
    expect(shape).toEqual({ kind: 'lasso', closed: true, points: [10, 10, 30, 10, 50, 10, 50, 30, 50, 50, 30, 50, 10, 50, 10, 30] });
    expect(maskStats(rasterizeSourceMask(editor.doc)).count).toBe(1600);
    expect(editor.store.history.stacks.undo.map((e) => e.name)).toEqual(['lasso']);
  });

  it('a lasso too small to enclose anything clears the selection', () => {
    const editor = setup();
    editor.setTool('lasso');
    editor.pointerDown({ x: 10, y: 10 });
    editor.pointerMove({ x: 20, y: 10 });
    editor.pointerUp({ x: 30, y: 10 });
    expect(editor.doc.selection).toBeNull();
    expect(editor.toolState()).toBe('lasso.idle');
  });

  it('skips points closer than 2 screen pixels', () => {
    const editor = setup();
    editor.setTool('lasso');
    editor.pointerDown({ x: 10, y: 10 });
    editor.pointerMove({ x: 11, y: 10 });
    editor.pointerMove({ x: 40, y: 10 });
    editor.pointerMove({ x: 40.5, y: 10 });
    editor.pointerMove({ x: 40, y: 40 });
    editor.pointerUp({ x: 40, y: 40 });
    expect(editor.doc.selection?.shape).toEqual({ kind: 'lasso', closed: true, points: [10, 10, 40, 10, 40, 40] });
  });
});
