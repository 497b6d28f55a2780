import { describe, expect, it } from 'vitest';
import { createDocument, createImageLayer, editRequestFromDocument } from '../../renderer/src/document/index.js';
import { JobClock } from '../../renderer/src/ui/generate/progress.js';
import { editProgressCaption, summarizeEdit } from '../../renderer/src/ui/edit/summary.js';
import { decideKeyDown, isTypingTarget } from '../../renderer/src/ui/keyboard-rules.js';

const k = (key: string, m: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...m });

describe('Edit panel summary', () => {
  it('an empty canvas describes no edit', () => {
    const s = summarizeEdit(editRequestFromDocument(createDocument(100, 50)));
    expect(s.kind).toBe('none');
    expect(s.rows).toContainEqual(['Mask area', 'empty']);
    expect(s.rows).toContainEqual(['Masked region', '—']);
  });

  it('the progress caption names the phase', () => {
    const clock = new JobClock(0);
    expect(editProgressCaption(undefined, clock.snapshot)).toBe('Loading the model…');
    clock.tick(1, 10, 100);
    expect(editProgressCaption('invert', clock.tick(3, 10, 300))).toBe('Inverting the image · step 3 / 10 · 1 s left');
    expect(editProgressCaption('sample', clock.tick(1, 8, 400))).toMatch(/^Sampling the edit · step 1 \/ 8 · estimating/);
    expect(editProgressCaption('sample', clock.tick(8, 8, 900))).toBe('Sampling the edit · step 8 / 8 · finishing');
  });

  it('a moved selection reports offset, scale and mask area', () => {
    const doc = createDocument(100, 100);
    doc.selection = { shape: { kind: 'rect', x: 10, y: 10, width: 20, height: 10 }, dx: 5, dy: -3, scaleX: 2, scaleY: 1 };
    const s = summarizeEdit(editRequestFromDocument(doc));
    expect(s.kind).toBe('move');
    expect(s.rows).toContainEqual(['Mask area', '200 px (2.0 %)']);
    expect(s.rows).toContainEqual(['Offset', '5, -3 px']);
    expect(s.rows).toContainEqual(['Scale', '2.00 × 1.00']);
    expect(s.rows).toContainEqual(['Target box', '40 × 10 at (15, 7)']);
  });

  it('a pasted layer and drag pairs are listed', () => {
    const doc = createDocument(100, 100);
    doc.layers.push(createImageLayer({ pixelId: 'a', width: 100, height: 100 }), createImageLayer({ pixelId: 'b', width: 20, height: 10, at: { x: 30, y: 40 } }));
    doc.dragPairs.push({ id: 'd', handle: { x: 1, y: 2 }, target: { x: 3.5, y: 4 } });
    const s = summarizeEdit(editRequestFromDocument(doc));
    expect(s.kind).toBe('paste');
    expect(s.rows).toContainEqual(['Pasted layer', '20 × 10 px']);
    expect(s.rows).toContainEqual(['Placed at', '20 × 10 at (30, 40)']);
    expect(s.rows).toContainEqual(['  pair 1', '(1, 2) → (3.5, 4)']);
  });
});

describe('keyboard routing', () => {
  it('text fields keep their keys, except Ctrl/Cmd+Enter which generates', () => {
    expect(isTypingTarget({ tagName: 'TEXTAREA' })).toBe(true);
    expect(isTypingTarget({ tagName: 'input', type: 'number' })).toBe(true);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'range' })).toBe(false);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'checkbox' })).toBe(false);
    expect(isTypingTarget({ tagName: 'DIV', isContentEditable: true })).toBe(true);
    expect(isTypingTarget({ tagName: 'BUTTON' })).toBe(false);
    expect(decideKeyDown(k('b'), { typing: true, electron: false })).toEqual({ action: 'none', preventDefault: false });
    expect(decideKeyDown(k('z', { ctrlKey: true }), { typing: true, electron: false }).action).toBe('none');
    expect(decideKeyDown(k('Enter', { metaKey: true }), { typing: true, electron: false })).toEqual({ action: 'generate', preventDefault: true });
  });

  it('canvas keys go to the editor; page scrolling and browser zoom are stopped', () => {
    expect(decideKeyDown(k('b'), { typing: false, electron: false })).toEqual({ action: 'editor', preventDefault: false });
    expect(decideKeyDown(k(' '), { typing: false, electron: false })).toEqual({ action: 'editor', preventDefault: true });
    expect(decideKeyDown(k('Delete'), { typing: false, electron: false }).preventDefault).toBe(true);
    expect(decideKeyDown(k('0', { ctrlKey: true }), { typing: false, electron: false })).toEqual({ action: 'editor', preventDefault: true });
    expect(decideKeyDown(k('Z', { ctrlKey: true, shiftKey: true }), { typing: false, electron: false })).toEqual({ action: 'editor', preventDefault: true });
    expect(decideKeyDown(k('r', { ctrlKey: true }), { typing: false, electron: false })).toEqual({ action: 'none', preventDefault: false });
  });

  it('open and export are page shortcuts in a browser and menu accelerators in Electron', () => {
    expect(decideKeyDown(k('o', { ctrlKey: true }), { typing: false, electron: false })).toEqual({ action: 'openImage', preventDefault: true });
    expect(decideKeyDown(k('E', { ctrlKey: true, shiftKey: true }), { typing: false, electron: false })).toEqual({ action: 'exportPng', preventDefault: true });
    expect(decideKeyDown(k('o', { ctrlKey: true }), { typing: false, electron: true }).action).toBe('none');
  });
});
