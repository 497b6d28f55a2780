import { describe, expect, it } from 'vitest';
import { createDocument } from '../../renderer/src/document/index.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';

describe('shortcuts', () => {
  it('tool keys', () => {
    const editor = new Editor({ tools: STUDIO_TOOLS, document: createDocument(64, 64) });
    const seen: string[] = [];
    for (const key of ['b', 'E', 'm', 'l', 'd', 'h', 'v']) {
      editor.keyDown(key);
      seen.push(editor.toolState());
    }
    expect(seen).toEqual(['brush.idle', 'eraser.idle', 'marquee.idle', 'lasso.idle', 'dragPoints.idle', 'hand.idle', 'select.idle']);
    expect(editor.ui.tool).toBe('select');
    editor.keyDown('b', { ctrlKey: true });
    expect(editor.toolState()).toBe('select.idle');
  });

  it('Ctrl/Cmd+Enter calls onGenerate; Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y undo and redo', () => {
    let generated = 0;
    const editor = new Editor({ tools: STUDIO_TOOLS, document: createDocument(64, 64), onGenerate: () => generated++ });
    editor.keyDown('Enter');
    editor.keyDown('Enter', { ctrlKey: true });
    editor.keyDown('Enter', { metaKey: true });
    expect(generated).toBe(2);
    editor.addImageLayer('px', 10, 10);
    editor.keyDown('z', { ctrlKey: true });
    expect(editor.doc.layers).toHaveLength(0);
    editor.keyDown('Z', { ctrlKey: true, shiftKey: true });
    expect(editor.doc.layers).toHaveLength(1);
    editor.keyDown('z', { metaKey: true });
    editor.keyDown('y', { ctrlKey: true });
    expect(editor.doc.layers).toHaveLength(1);
  });

  it('tool keys are ignored while the pointer is down; undo mid-gesture only bails it', () => {
    const editor = new Editor({ tools: STUDIO_TOOLS, document: createDocument(64, 64) });
    editor.setTool('brush');
    editor.pointerDown({ x: 5, y: 5 });
    editor.pointerUp({ x: 9, y: 5 });
    editor.pointerDown({ x: 20, y: 20 });
    editor.keyDown('v');
    expect(editor.toolState()).toBe('brush.drawing');
    editor.keyDown('z', { ctrlKey: true });
    expect(editor.toolState()).toBe('brush.idle');
    expect(editor.doc.mask.strokes).toHaveLength(1);
  });
});
