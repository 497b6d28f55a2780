import { describe, expect, it } from 'vitest';
import { createDocument, documentToScreen, fitViewport, screenToDocument, zoomAt } from '../../renderer/src/document/index.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';

describe('viewport', () => {
  it('screen ↔ document conversions are inverse; zoomAt keeps the anchor fixed', () => {
    const v = { zoom: 2.5, panX: -40, panY: 17 };
    const p = { x: 123, y: -45 };
    const back = screenToDocument(v, documentToScreen(v, p));
    expect(back.x).toBeCloseTo(p.x);
    expect(back.y).toBeCloseTo(p.y);
    const z = zoomAt(v, { x: 300, y: 200 }, 1.7);
    expect(z.zoom).toBeCloseTo(4.25);
    const anchor = screenToDocument(v, { x: 300, y: 200 });
    expect(documentToScreen(z, anchor).x).toBeCloseTo(300);
    expect(documentToScreen(z, anchor).y).toBeCloseTo(200);
    expect(zoomAt(v, p, 1e9).zoom).toBe(64);
    expect(fitViewport({ width: 512, height: 256 }, { width: 1056, height: 1056 })).toEqual({ zoom: 2, panX: 16, panY: 272 });
  });
});

describe('hand tool and zoom', () => {
  it('Space-drag pans without touching the document or history, then returns to the tool', () => {
    const editor = new Editor({ tools: STUDIO_TOOLS, document: createDocument(100, 100) });
    editor.setTool('brush');
    const doc = editor.doc;
    editor.keyDown(' ');
    editor.keyDown(' '); // key repeat
    expect(editor.toolState()).toBe('hand.idle');
    editor.pointerDown({ x: 10, y: 10 });
    expect(editor.toolState()).toBe('hand.panning');
    editor.pointerMove({ x: 30, y: 15 });
    editor.pointerMove({ x: 50, y: 40 });
    editor.pointerUp({ x: 50, y: 40 });
    editor.keyUp(' ');
    expect(editor.toolState()).toBe('brush.idle');
    expect(editor.viewport).toEqual({ zoom: 1, panX: 40, panY: 30 });
    expect(editor.doc).toBe(doc);
    expect(editor.store.history.canUndo).toBe(false);
    // brush strokes now land in document coordinates under the pan
    editor.pointerDown({ x: 50, y: 40 });
    editor.pointerUp({ x: 50, y: 40 });
    expect(editor.doc.mask.strokes[0].points).toEqual([10, 10]);
  });

  it('Space during a stroke does not interrupt it', () => {
    const editor = new Editor({ tools: STUDIO_TOOLS, document: createDocument(100, 100) });
    editor.setTool('brush');
    editor.pointerDown({ x: 10, y: 10 });
    editor.keyDown(' ');
    expect(editor.toolState()).toBe('brush.drawing');
    editor.pointerUp({ x: 20, y: 10 });
    editor.keyUp(' ');
    expect(editor.toolState()).toBe('brush.idle');
    expect(editor.doc.mask.strokes).toHaveLength(1);
  });

  it('+/− zoom about the screen centre; the wheel zooms about the pointer; neither is undoable', () => {
    const editor = new Editor({ tools: STUDIO_TOOLS, document: createDocument(100, 100) });
    editor.setScreenSize(400, 300);
    editor.keyDown('+');
    expect(editor.viewport.zoom).toBeCloseTo(1.25);
    expect(editor.screenToDocument({ x: 200, y: 150 }).x).toBeCloseTo(200);
    editor.keyDown('-');
    editor.keyDown('=');
    editor.keyDown('_');
    expect(editor.viewport.zoom).toBeCloseTo(1);
    const under = editor.screenToDocument({ x: 70, y: 90 });
    editor.wheel({ x: 70, y: 90, deltaY: -300 });
    expect(editor.viewport.zoom).toBeGreaterThan(1);
    const after = editor.screenToDocument({ x: 70, y: 90 });
    expect(after.x).toBeCloseTo(under.x);
    expect(after.y).toBeCloseTo(under.y);
    editor.keyDown('=', { ctrlKey: true });
    editor.keyDown('0', { metaKey: true });
    expect(editor.viewport).toEqual({ zoom: 2.68, panX: 66, panY: 16 });
    expect(editor.store.history.canUndo).toBe(false);
  });
});
