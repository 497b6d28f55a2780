import { describe, expect, it } from 'vitest';
import { createDocument, createImageLayer } from '../../renderer/src/document/index.js';
import { DEFAULT_UI } from '../../renderer/src/store/state.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { relativeBrushSize } from '../../renderer/src/tools/mask/brush-size.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';
import { BrushSizeModule } from '../../renderer/src/ui/brush/brush-size.js';
import { CanvasSizeModule } from '../../renderer/src/ui/canvas/canvas-size.js';
import { CANVAS_PREFS_KEY, CanvasPrefsModule, parseCanvasPrefs } from '../../renderer/src/ui/canvas/prefs.js';
import { ImportModule } from '../../renderer/src/ui/import/import.js';

function editorWithImage(size = 32) {
  const doc = createDocument(size, size);
  doc.layers.push(createImageLayer({ pixelId: 'px', width: size, height: size, id: 'base' }));
  const editor = new Editor({ tools: STUDIO_TOOLS, document: doc });
  editor.setScreenSize(800, 600);
  return editor;
}

function said() {
  const lines: { text: string; level?: string }[] = [];
  return { lines, say: (text: string, level?: 'info' | 'warn' | 'error') => void lines.push({ text, level }) };
}

describe('canvas size commands', () => {
  it('extend a side by N pixels: one undo step, the view fits the new canvas', () => {
    const editor = editorWithImage();
    const { say, lines } = said();
    const sizes = new CanvasSizeModule({ editor, say });
    const zoomBefore = editor.viewport.zoom;
    expect(sizes.extend('right', 32)).toBe(true);
    expect(editor.doc.canvas).toEqual({ width: 64, height: 32 });
    expect(editor.doc.layers[0]).toMatchObject({ x: 0, y: 0 });
    expect(editor.viewport.zoom).not.toBe(zoomBefore);
    expect(lines.at(-1)?.text).toContain('Canvas 64 × 32');
    expect(sizes.extend('top', 8)).toBe(true);
    expect(editor.doc.layers[0]).toMatchObject({ x: 0, y: 8 });
    expect(editor.store.history.stacks.undo.map((e) => e.name)).toEqual(['extend canvas', 'extend canvas']);
    editor.undo();
    editor.undo();
    expect(editor.doc.canvas).toEqual({ width: 32, height: 32 });
    // Refused: the canvas would vanish; nothing changes and the user is told why.
    expect(sizes.extend('left', -40)).toBe(false);
    expect(lines.at(-1)?.level).toBe('warn');
    expect(editor.doc.canvas).toEqual({ width: 32, height: 32 });
  });

  it('resize with an anchor, crop to the frame and to the selection', () => {
    const editor = editorWithImage();
    const sizes = new CanvasSizeModule({ editor, say: () => {} });
    sizes.resize(64, 48, { x: 1, y: 1 });
    expect(editor.doc.canvas).toEqual({ width: 64, height: 48 });
    expect(editor.doc.layers[0]).toMatchObject({ x: 32, y: 16 });
    editor.store.setUi({ frameRules: { size: 32, multiple: 4, maxSide: 128 } });
    editor.update((doc) => {
      doc.frame = { x: 8, y: 4, width: 16, height: 24 };
    });
    expect(sizes.cropToFrame()).toBe(true);
    expect(editor.doc.canvas).toEqual({ width: 16, height: 24 });
    expect(editor.doc.frame).toEqual({ x: 0, y: 0, width: 16, height: 24 });
    expect(editor.doc.layers[0]).toMatchObject({ x: 24, y: 12 });
    expect(sizes.cropToSelection()).toBe(false);
    editor.update((doc) => {
      doc.selection = { shape: { kind: 'rect', x: 2, y: 3, width: 5, height: 6 }, dx: 1, dy: 0, scaleX: 1, scaleY: 1 };
    });
    expect(sizes.cropToSelection()).toBe(true);
    expect(editor.doc.canvas).toEqual({ width: 5, height: 6 });
    expect(editor.doc.selection?.shape).toMatchObject({ x: -1, y: 0 });
    // Each change is its own undo step ('edit': the test's own frame and selection).
    expect(editor.store.history.stacks.undo.map((e) => e.name)).toEqual(['resize canvas', 'edit', 'crop to frame', 'edit', 'crop to selection']);
  });
});

describe('brush and eraser sizes', () => {
  it('default to a fraction of the frame’s short side, and follow it until the user sets one', () => {
    expect(relativeBrushSize({ width: 32, height: 32 })).toBe(4);
    expect(relativeBrushSize({ width: 768, height: 512 })).toBe(64);
    expect(relativeBrushSize({ width: 4, height: 4 })).toBe(1);
    const editor = editorWithImage(512);
    const m = new BrushSizeModule(editor);
    m.initialize();
    // No rules yet: the fallback frame (512) → 64.
    expect([editor.ui.brush.size, editor.ui.eraser.size]).toEqual([64, 64]);
    editor.store.setUi({ frameRules: { size: 32, multiple: 4, maxSide: 128 } });
    expect([editor.ui.brush.size, editor.ui.eraser.size]).toEqual([4, 4]);
    editor.update((doc) => {
      doc.frame = { x: 0, y: 0, width: 128, height: 96 };
    });
    expect(editor.ui.brush.size).toBe(12);
    // The user picks a size: it stays when the frame changes.
    editor.setBrushOptions('brush', { size: 30 });
    editor.update((doc) => {
      doc.frame = { x: 0, y: 0, width: 32, height: 32 };
    });
    expect(editor.ui.brush.size).toBe(30);
    m.destroy();
  });

  it('share one size unless unlinked; [ and ] resize both while linked', () => {
    const editor = editorWithImage();
    expect(editor.ui.linkBrushSizes).toBe(true);
    editor.setBrushOptions('eraser', { size: 20, hardness: 0.3 });
    expect(editor.ui.brush).toEqual({ size: 20, hardness: DEFAULT_UI.brush.hardness });
    expect(editor.ui.eraser).toEqual({ size: 20, hardness: 0.3 });
    editor.setTool('brush');
    editor.keyDown(']');
    expect(editor.ui.brush.size).toBe(26);
    expect(editor.ui.eraser.size).toBe(26);
    editor.linkBrushSizes(false);
    editor.keyDown('[');
    expect([editor.ui.brush.size, editor.ui.eraser.size]).toEqual([21, 26]);
    // Linking again: the other tool takes the active one's size.
    editor.linkBrushSizes(true, 'eraser');
    expect([editor.ui.brush.size, editor.ui.eraser.size]).toEqual([26, 26]);
  });
});

describe('canvas preferences', () => {
  it('parse forgivingly and persist the mask colour, hatching and the size link', () => {
    expect(parseCanvasPrefs(null)).toEqual({ maskStyle: { colour: '#ff2020', hatch: true }, linkBrushSizes: true });
    expect(parseCanvasPrefs('{"maskStyle":{"colour":"#00FF88","hatch":false},"linkBrushSizes":false}')).toEqual({ maskStyle: { colour: '#00ff88', hatch: false }, linkBrushSizes: false });
    expect(parseCanvasPrefs('{"maskStyle":{"colour":"red","hatch":"yes"},"linkBrushSizes":1}')).toEqual(parseCanvasPrefs(null));
    expect(parseCanvasPrefs('not json')).toEqual(parseCanvasPrefs(null));

    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
    const editor = editorWithImage();
    const prefs = new CanvasPrefsModule(editor, () => storage);
    prefs.initialize();
    prefs.setMaskStyle({ colour: '#112233' });
    prefs.setMaskStyle({ colour: 'blue' }); // ignored
    prefs.setMaskStyle({ hatch: false });
    editor.linkBrushSizes(false);
    expect(JSON.parse(items.get(CANVAS_PREFS_KEY)!)).toEqual({ maskStyle: { colour: '#112233', hatch: false }, linkBrushSizes: false });
    prefs.destroy();

    // A new session reads them back.
    const next = editorWithImage();
    new CanvasPrefsModule(next, () => storage).initialize();
    expect(next.ui.maskStyle).toEqual({ colour: '#112233', hatch: false });
    expect(next.ui.linkBrushSizes).toBe(false);
  });
});

describe('importing an image larger than the canvas', () => {
  it('is scaled down to fit inside the canvas, centred, proportions kept; a small one is not', async () => {
    const editor = editorWithImage(64);
    const sizes = [{ id: 'big', width: 512, height: 256 }, { id: 'small', width: 16, height: 8 }];
    const { say, lines } = said();
    const imports = new ImportModule({ editor, bank: { add: async () => sizes.shift()! }, gallery: { item: () => undefined }, client: () => null, say });
    await imports.addImage(new Blob([], { type: 'image/png' }), { name: 'big.png', at: { x: 5, y: 5 } });
    const big = editor.doc.layers.at(-1)!;
    expect([big.scaleX, big.scaleY]).toEqual([0.125, 0.125]);
    const box = { x: big.x, y: big.y, w: big.width * big.scaleX, h: big.height * big.scaleY };
    expect(box).toEqual({ x: 0, y: 16, w: 64, h: 32 });
    expect(lines.at(-1)?.text).toContain('fitted inside it at 13%');
    await imports.addImage(new Blob([], { type: 'image/png' }), { at: { x: 10, y: 10 } });
    expect(editor.doc.layers.at(-1)).toMatchObject({ x: 2, y: 6, scaleX: 1, scaleY: 1 });
    // Each image is one undo step.
    editor.undo();
    editor.undo();
    expect(editor.doc.layers.map((l) => l.id)).toEqual(['base']);
  });
});
