import { describe, expect, it } from 'vitest';
import { createDocument, editRequestFromDocument } from '../../renderer/src/document/index.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';

function setup() {
  const editor = new Editor({ tools: STUDIO_TOOLS, document: createDocument(400, 300) });
  const id = editor.addImageLayer('px-1', 100, 50, { x: 100, y: 100 }); // top-left (50, 75)
  editor.setTool('select');
  return { editor, id };
}

const layer = (e: Editor, id: string) => e.doc.layers.find((l) => l.id === id)!;

function drag(editor: Editor, from: [number, number], to: [number, number], mods = {}) {
  editor.pointerDown({ x: from[0], y: from[1], ...mods });
  editor.pointerMove({ x: (from[0] + to[0]) / 2, y: (from[1] + to[1]) / 2, ...mods });
  editor.pointerMove({ x: to[0], y: to[1], ...mods });
  editor.pointerUp({ x: to[0], y: to[1], ...mods });
}

describe('select tool: move and transformer', () => {
  it('addImageLayer centres the layer, selects it and is undoable', () => {
    const { editor, id } = setup();
    expect(layer(editor, id)).toMatchObject({ x: 50, y: 75, width: 100, height: 50, pixelId: 'px-1' });
    expect(editor.ui.selected).toEqual({ kind: 'layer', id });
  });

  it('move then undo/redo; the move is one step', () => {
    const { editor, id } = setup();
    editor.pointerDown({ x: 60, y: 80 });
    expect(editor.toolState()).toBe('select.pointing');
    editor.pointerMove({ x: 70, y: 90 });
    expect(editor.toolState()).toBe('select.translating');
    editor.pointerMove({ x: 90, y: 100 });
    editor.pointerUp({ x: 90, y: 100 });
    expect(editor.toolState()).toBe('select.idle');
    expect(layer(editor, id)).toMatchObject({ x: 80, y: 95 });
    expect(editor.store.history.stacks.undo.map((e) => e.name)).toEqual(['add layer', 'move']);
    editor.undo();
    expect(layer(editor, id)).toMatchObject({ x: 50, y: 75 });
    editor.redo();
    expect(layer(editor, id)).toMatchObject({ x: 80, y: 95 });
  });

  it('a click without a drag selects but does not move; a click on empty canvas deselects', () => {
    const { editor, id } = setup();
    editor.select(null);
    editor.pointerDown({ x: 60, y: 80 });
    editor.pointerMove({ x: 61, y: 81 }); // under the drag threshold
    editor.pointerUp({ x: 61, y: 81 });
    expect(editor.ui.selected).toEqual({ kind: 'layer', id });
    expect(editor.store.history.stacks.undo).toHaveLength(1);
    editor.pointerDown({ x: 300, y: 250 });
    editor.pointerUp({ x: 300, y: 250 });
    expect(editor.ui.selected).toBeNull();
  });

  it('Escape mid-drag restores the layer and leaves no undo step', () => {
    const { editor, id } = setup();
    editor.pointerDown({ x: 60, y: 80 });
    editor.pointerMove({ x: 160, y: 180 });
    expect(layer(editor, id).x).toBe(150);
    editor.cancel();
    expect(editor.toolState()).toBe('select.idle');
    expect(layer(editor, id)).toMatchObject({ x: 50, y: 75 });
    expect(editor.store.history.stacks.undo).toHaveLength(1);
  });

  it('Shift locks a move to one axis', () => {
    const { editor, id } = setup();
    drag(editor, [60, 80], [100, 90], { shiftKey: true });
    expect(layer(editor, id)).toMatchObject({ x: 90, y: 75 });
  });

  it('a corner handle resizes freely, and keeps the aspect ratio with Shift', () => {
    const { editor, id } = setup();
    // bottom-right corner at (150, 125)
    drag(editor, [150, 125], [250, 135]);
    expect(layer(editor, id)).toMatchObject({ x: 50, y: 75, scaleX: 2, scaleY: 1.2 });
    editor.undo();
    drag(editor, [150, 125], [250, 135], { shiftKey: true });
    expect(layer(editor, id)).toMatchObject({ x: 50, y: 75, scaleX: 2, scaleY: 2 });
    editor.undo();
    // top-left corner with Shift: the bottom-right corner stays put
    drag(editor, [50, 75], [0, 70], { shiftKey: true });
    const l = layer(editor, id);
    expect(l.scaleX).toBeCloseTo(1.5);
    expect(l.scaleY).toBeCloseTo(1.5);
    expect(l.x + l.width * l.scaleX).toBeCloseTo(150);
    expect(l.y + l.height * l.scaleY).toBeCloseTo(125);
  });

  it('pressing Shift mid-resize re-applies the aspect lock at once; Escape restores', () => {
    const { editor, id } = setup();
    editor.pointerDown({ x: 150, y: 125 });
    editor.pointerMove({ x: 250, y: 135 });
    expect(editor.toolState()).toBe('select.resizing');
    editor.keyDown('Shift');
    expect(layer(editor, id)).toMatchObject({ scaleX: 2, scaleY: 2 });
    editor.keyUp('Shift');
    expect(layer(editor, id)).toMatchObject({ scaleX: 2, scaleY: 1.2 });
    editor.keyDown('Escape');
    expect(layer(editor, id)).toMatchObject({ x: 50, y: 75, scaleX: 1, scaleY: 1 });
  });

  it('an edge handle resizes one axis; sizes never flip', () => {
    const { editor, id } = setup();
    drag(editor, [150, 100], [170, 300]); // east edge
    expect(layer(editor, id)).toMatchObject({ scaleX: 1.2, scaleY: 1 });
    drag(editor, [170, 100], [-100, 100]);
    expect(layer(editor, id).width * layer(editor, id).scaleX).toBe(1);
  });

  it('moves and resizes the selection region, which becomes the edit target', () => {
    const { editor } = setup();
    editor.setTool('marquee');
    drag(editor, [200, 20], [240, 60]);
    editor.setTool('select');
    expect(editor.ui.selected).toEqual({ kind: 'selection' });
    drag(editor, [220, 40], [250, 60]); // move by (30, 20)
    drag(editor, [270, 80], [310, 120], { shiftKey: true }); // se corner: 40×40 → 80×80
    expect(editor.doc.selection).toMatchObject({ dx: 30, dy: 20, scaleX: 2, scaleY: 2 });
    const req = editRequestFromDocument(editor.doc);
    expect(req.target?.box).toEqual({ x: 230, y: 40, width: 80, height: 80 });
    editor.undo();
    expect(editor.doc.selection).toMatchObject({ dx: 30, dy: 20, scaleX: 1, scaleY: 1 });
  });

  it('Delete removes the selected layer; undo brings it back', () => {
    const { editor, id } = setup();
    editor.keyDown('Delete');
    expect(editor.doc.layers).toHaveLength(0);
    expect(editor.ui.selected).toBeNull();
    editor.keyDown('z', { ctrlKey: true });
    expect(layer(editor, id)).toBeDefined();
  });
});
