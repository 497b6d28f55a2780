import { describe, expect, it } from 'vitest';
import { createDocument } from '../../renderer/src/document/index.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';
import { clipToCanvas } from '../../renderer/src/tools/reference/reference-tool.js';
import { Tool, type ToolDefinition } from '../../renderer/src/tools/tool.js';

const setup = () => new Editor({ tools: STUDIO_TOOLS, document: createDocument(100, 80) });

describe('reference region tool (R)', () => {
  it('declares its own key, label and cursor, and R selects it', () => {
    const editor = setup();
    const tool = editor.toolById('reference');
    expect(tool).toMatchObject({ id: 'reference', key: 'r', cursor: 'crosshair' });
    expect(editor.toolForKey('R')?.id).toBe('reference');
    editor.keyDown('r');
    expect(editor.currentTool).toBe('reference');
    expect(editor.toolState()).toBe('reference.idle');
  });

  it('drags a pixel-snapped rectangle, clipped to the canvas, as one undo step', () => {
    const editor = setup();
    editor.setTool('reference');
    editor.pointerDown({ x: 60.4, y: 10.2 });
    expect(editor.toolState()).toBe('reference.marking');
    editor.pointerMove({ x: 80, y: 30 });
    editor.pointerMove({ x: 130.2, y: 50.6 });
    editor.pointerUp({ x: 130.2, y: 50.6 });
    expect(editor.toolState()).toBe('reference.idle');
    expect(editor.doc.reference).toEqual({ kind: 'rect', x: 60, y: 10, width: 40, height: 41 });
    expect(editor.ui.selected).toEqual({ kind: 'reference' });
    // The selection and the mask are untouched: the reference is its own region.
    expect(editor.doc.selection).toBeNull();
    expect(editor.store.history.stacks.undo).toHaveLength(1);
    expect(editor.store.history.undoName).toBe('reference region');
    editor.undo();
    expect(editor.doc.reference).toBeNull();
    editor.redo();
    expect(editor.doc.reference).toMatchObject({ x: 60, y: 10 });
  });

  it('Escape mid-drag restores the previous region; a click clears it; Delete clears the selected one', () => {
    const editor = setup();
    editor.setTool('reference');
    editor.pointerDown({ x: 10, y: 10 });
    editor.pointerMove({ x: 30, y: 30 });
    editor.pointerUp({ x: 30, y: 30 });
    const first = editor.doc.reference;
    editor.pointerDown({ x: 50, y: 50 });
    editor.pointerMove({ x: 70, y: 70 });
    expect(editor.doc.reference).toMatchObject({ x: 50, y: 50 });
    editor.keyDown('Escape');
    expect(editor.doc.reference).toEqual(first);
    expect(editor.toolState()).toBe('reference.idle');
    editor.pointerDown({ x: 5, y: 5 });
    editor.pointerUp({ x: 5, y: 5 });
    expect(editor.doc.reference).toBeNull();
    editor.undo();
    expect(editor.doc.reference).toEqual(first);
    editor.select({ kind: 'reference' });
    editor.keyDown('Delete');
    expect(editor.doc.reference).toBeNull();
    expect(editor.ui.selected).toBeNull();
    expect(editor.store.history.undoName).toBe('clear reference region');
  });

  it('a drag entirely outside the canvas marks nothing', () => {
    const editor = setup();
    editor.setTool('reference');
    editor.pointerDown({ x: 120, y: 10 });
    editor.pointerMove({ x: 150, y: 40 });
    editor.pointerUp({ x: 150, y: 40 });
    expect(editor.doc.reference).toBeNull();
    expect(clipToCanvas({ x: -10, y: 70, width: 30, height: 30 }, { width: 100, height: 80 })).toEqual({ x: 0, y: 70, width: 20, height: 10 });
  });
});

describe('tools handed to the editor', () => {
  it('the editor offers exactly the tools it is given, with their keys', () => {
    class Dot extends Tool {}
    const dot: ToolDefinition = { id: 'hand', key: 'q', cursor: 'cell', toolbar: { label: 'Dot', icon: 'Dot' }, create: (e, d) => new Dot(e, d) };
    const editor = new Editor({ document: createDocument(10, 10), tools: [dot] });
    expect(editor.toolList().map((t) => t.id)).toEqual(['hand']);
    expect(editor.currentTool).toBe('hand');
    expect(editor.toolForKey('v')).toBeUndefined();
    expect(() => editor.setTool('select')).toThrow(/unknown tool/);
    expect(() => new Editor({ tools: [dot, dot] })).toThrow(/two tools/);
  });

  it('every default tool has a distinct shortcut and a cursor', () => {
    const tools = setup().toolList();
    expect(tools.map((t) => t.id)).toEqual(['select', 'frame', 'brush', 'eraser', 'marquee', 'lasso', 'dragPoints', 'reference', 'hand']);
    expect(new Set(tools.map((t) => t.key)).size).toBe(tools.length);
    for (const t of tools) expect(t.cursor.length).toBeGreaterThan(0);
  });
});
