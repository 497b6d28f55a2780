import { describe, expect, it } from 'vitest';
import { createDocument } from '../../renderer/src/document/index.js';
import type { FrameRules } from '../../renderer/src/document/frame.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { currentFrame } from '../../renderer/src/tools/frame/current.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';

const EMOJI: FrameRules = { size: 32, multiple: 4, maxSide: 128 };

/** A 64×64 canvas at zoom 4 (document = screen / 4), emoji-32's rules, the frame tool active. */
function setup(rules: FrameRules | null = EMOJI) {
  const editor = new Editor({ tools: STUDIO_TOOLS, document: createDocument(64, 64) });
  editor.store.setViewport({ zoom: 4, panX: 0, panY: 0 });
  editor.store.setUi({ frameRules: rules });
  editor.keyDown('f');
  return editor;
}

/** Screen coordinates of a document point at zoom 4. */
const at = (x: number, y: number) => ({ x: x * 4, y: y * 4 });

function drag(editor: Editor, from: [number, number], to: [number, number], mods = {}) {
  editor.pointerDown({ ...at(...from), ...mods });
  editor.pointerMove({ ...at((from[0] + to[0]) / 2, (from[1] + to[1]) / 2), ...mods });
  editor.pointerMove({ ...at(...to), ...mods });
  editor.pointerUp({ ...at(...to), ...mods });
}

const undoNames = (e: Editor) => e.store.history.stacks.undo.map((s) => s.name);

describe('frame tool', () => {
  it('F selects it; the default frame is the trained size centred on the canvas', () => {
    const editor = setup();
    expect(editor.currentTool).toBe('frame');
    expect(editor.toolState()).toBe('frame.idle');
    expect(currentFrame(editor)).toEqual({ x: 16, y: 16, width: 32, height: 32 });
    expect(editor.doc.frame).toBeNull();
  });

  it('dragging inside moves it in whole pixels, one undo step; a click leaves it and the history alone', () => {
    const editor = setup();
    editor.pointerDown(at(30, 30));
    expect(editor.toolState()).toBe('frame.moving');
    editor.pointerMove(at(30.1, 30));
    editor.pointerUp(at(30.1, 30));
    expect(editor.toolState()).toBe('frame.idle');
    expect(editor.doc.frame).toBeNull();
    expect(undoNames(editor)).toEqual([]);

    drag(editor, [30, 30], [40.6, 27.2]);
    expect(editor.doc.frame).toEqual({ x: 27, y: 13, width: 32, height: 32 });
    expect(undoNames(editor)).toEqual(['move frame']);
    editor.undo();
    expect(editor.doc.frame).toBeNull();
    editor.redo();
    expect(editor.doc.frame).toEqual({ x: 27, y: 13, width: 32, height: 32 });
  });

  it('it may be moved half off the canvas to outpaint, but never off it entirely', () => {
    const editor = setup();
    drag(editor, [30, 30], [62, 30]);
    expect(editor.doc.frame).toEqual({ x: 48, y: 16, width: 32, height: 32 });
    drag(editor, [60, 30], [200, -200]);
    expect(editor.doc.frame).toEqual({ x: 63, y: -31, width: 32, height: 32 });
  });

  it('Shift locks a move to one axis', () => {
    const editor = setup();
    drag(editor, [30, 30], [40, 33], { shiftKey: true });
    expect(editor.doc.frame).toEqual({ x: 26, y: 16, width: 32, height: 32 });
  });

  it('a press outside brings the frame there, centred on the pointer, and it follows the drag', () => {
    const editor = setup();
    editor.pointerDown(at(4, 60));
    expect(editor.doc.frame).toEqual({ x: -12, y: 44, width: 32, height: 32 });
    editor.pointerMove(at(8, 60));
    editor.pointerUp(at(8, 60));
    expect(editor.doc.frame).toEqual({ x: -8, y: 44, width: 32, height: 32 });
    expect(undoNames(editor)).toEqual(['move frame']);
  });

  it("a handle resizes it: the moved sides snap to the model's multiple, the opposite ones stay put", () => {
    const editor = setup();
    // The bottom-right corner is at (48, 48).
    editor.pointerDown(at(48, 48));
    expect(editor.toolState()).toBe('frame.resizing');
    editor.pointerMove(at(55, 50.5));
    editor.pointerUp(at(55, 50.5));
    expect(editor.doc.frame).toEqual({ x: 16, y: 16, width: 40, height: 36 });
    // The left edge's handle, dragged left by 9: 49 wide snaps to 48, the right edge stays at 56.
    drag(editor, [16, 34], [7, 34]);
    expect(editor.doc.frame).toEqual({ x: 8, y: 16, width: 48, height: 36 });
    expect(undoNames(editor)).toEqual(['resize frame', 'resize frame']);
  });

  it("never below one multiple nor beyond the model's largest side; Shift on a corner keeps the proportions", () => {
    const editor = setup();
    drag(editor, [48, 48], [0, 0]);
    expect(editor.doc.frame).toEqual({ x: 16, y: 16, width: 4, height: 4 });
    editor.undo();
    drag(editor, [48, 48], [400, 300]);
    expect(editor.doc.frame).toEqual({ x: 16, y: 16, width: 128, height: 128 });
    editor.undo();
    drag(editor, [48, 48], [64, 52], { shiftKey: true });
    expect(editor.doc.frame).toEqual({ x: 16, y: 16, width: 48, height: 48 });
  });

  it('Escape mid-gesture puts the frame back and leaves no undo step', () => {
    const editor = setup();
    drag(editor, [30, 30], [40, 30]);
    editor.pointerDown(at(30, 30));
    editor.pointerMove(at(50, 50));
    expect(editor.doc.frame).toEqual({ x: 46, y: 36, width: 32, height: 32 });
    editor.keyDown('Escape');
    expect(editor.toolState()).toBe('frame.idle');
    expect(editor.doc.frame).toEqual({ x: 26, y: 16, width: 32, height: 32 });
    expect(undoNames(editor)).toEqual(['move frame']);
  });

  it('without the model’s rules it uses Stable Diffusion’s (512, multiples of 8)', () => {
    const editor = setup(null);
    expect(currentFrame(editor)).toEqual({ x: -224, y: -224, width: 512, height: 512 });
    // The bottom-right handle at (288, 288) is off screen here; a drag inside still moves it.
    drag(editor, [30, 30], [34, 30]);
    expect(editor.doc.frame).toEqual({ x: -220, y: -224, width: 512, height: 512 });
  });

  it('switching tools mid-drag cancels the gesture', () => {
    const editor = setup();
    editor.pointerDown(at(30, 30));
    editor.pointerMove(at(40, 40));
    editor.setTool('select');
    expect(editor.doc.frame).toBeNull();
    expect(editor.store.history.inGesture).toBe(false);
  });
});
