import { describe, expect, it } from 'vitest';
import { createDocument, editRequestFromDocument } from '../../renderer/src/document/index.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';

function setup() {
  const editor = new Editor({ tools: STUDIO_TOOLS, document: createDocument(200, 200) });
  editor.keyDown('d');
  return editor;
}

const click = (e: Editor, x: number, y: number) => {
  e.pointerDown({ x, y });
  e.pointerUp({ x, y });
};

describe('drag-points tool (D)', () => {
  it('click a handle, then a target: one pair, one undo step', () => {
    const editor = setup();
    click(editor, 20, 30);
    expect(editor.toolState()).toBe('dragPoints.targeting');
    editor.pointerMove({ x: 60, y: 40 });
    expect(editor.doc.dragPairs[0]).toMatchObject({ handle: { x: 20, y: 30 }, target: { x: 60, y: 40 } });
    click(editor, 80, 90);
    expect(editor.toolState()).toBe('dragPoints.idle');
    expect(editor.doc.dragPairs).toHaveLength(1);
    expect(editor.doc.dragPairs[0]).toMatchObject({ handle: { x: 20, y: 30 }, target: { x: 80, y: 90 } });
    expect(editor.store.history.stacks.undo.map((e) => e.name)).toEqual(['drag point']);
    expect(editRequestFromDocument(editor.doc).dragPoints).toEqual([{ handle: { x: 20, y: 30 }, target: { x: 80, y: 90 } }]);
    editor.undo();
    expect(editor.doc.dragPairs).toHaveLength(0);
  });

  it('press on the handle and release on the target also makes a pair', () => {
    const editor = setup();
    editor.pointerDown({ x: 10, y: 10 });
    editor.pointerMove({ x: 50, y: 10 });
    editor.pointerUp({ x: 100, y: 10 });
    expect(editor.toolState()).toBe('dragPoints.idle');
    expect(editor.doc.dragPairs[0]).toMatchObject({ handle: { x: 10, y: 10 }, target: { x: 100, y: 10 } });
  });

  it('Escape before the target removes the half-made pair', () => {
    const editor = setup();
    click(editor, 20, 30);
    editor.pointerMove({ x: 60, y: 40 });
    editor.keyDown('Escape');
    expect(editor.doc.dragPairs).toHaveLength(0);
    expect(editor.store.history.canUndo).toBe(false);
  });

  it('pairs stay editable: drag either end; Delete removes the selected pair', () => {
    const editor = setup();
    click(editor, 20, 30);
    click(editor, 80, 90);
    click(editor, 150, 150);
    click(editor, 170, 170);
    editor.pointerDown({ x: 83, y: 88 }); // near the first target
    expect(editor.toolState()).toBe('dragPoints.dragging');
    editor.pointerMove({ x: 100, y: 120 });
    editor.pointerUp({ x: 100, y: 120 });
    expect(editor.doc.dragPairs[0].target).toEqual({ x: 100, y: 120 });
    expect(editor.doc.dragPairs[0].handle).toEqual({ x: 20, y: 30 });
    expect(editor.store.history.undoName).toBe('move drag point');
    editor.keyDown('Delete');
    expect(editor.doc.dragPairs).toHaveLength(1);
    expect(editor.doc.dragPairs[0].handle).toEqual({ x: 150, y: 150 });
    editor.undo();
    editor.undo();
    expect(editor.doc.dragPairs[0].target).toEqual({ x: 80, y: 90 });
  });
});
