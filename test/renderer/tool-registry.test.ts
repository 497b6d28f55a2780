import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { createDocument } from '../../renderer/src/document/index.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { ToolRegistry } from '../../renderer/src/tools/registry.js';
import { StateNode } from '../../renderer/src/tools/state-node.js';
import { Tool, type ToolDefinition } from '../../renderer/src/tools/tool.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';

/** A tool the studio does not have: one definition and a two-state machine, as a new tool's folder would hold. */
class RulerTool extends Tool {
  override readonly initial = 'idle';
  constructor(editor: Editor, definition: ToolDefinition) {
    super(editor, definition);
    this.addChildren(new RulerIdle(editor, this), new RulerMeasuring(editor, this));
  }
}
class RulerIdle extends StateNode {
  readonly id = 'idle';
  override onPointerDown(): void {
    this.go('measuring');
  }
}
class RulerMeasuring extends StateNode {
  readonly id = 'measuring';
  override onPointerUp(): void {
    this.go('idle');
  }
}
const rulerTool: ToolDefinition = {
  id: 'ruler',
  key: 'u',
  cursor: 'nwse-resize',
  toolbar: { label: 'Ruler', icon: 'Ruler' },
  create: (editor, definition) => new RulerTool(editor, definition),
};

const tool = (id: string, key: string, extra: Partial<ToolDefinition> = {}): ToolDefinition => ({
  id, key, cursor: 'default', toolbar: { label: id, icon: id }, create: (e, d) => new RulerTool(e, d), ...extra,
});

describe('the tool registry: toolbar, shortcuts and cursors come from the list of tools', () => {
  it("derives the studio's toolbar, keys and cursors from its definitions", () => {
    const tools = new ToolRegistry(STUDIO_TOOLS);
    expect(tools.toolbar()).toEqual([
      { id: 'select', icon: 'Move', label: 'Move and resize', key: 'V', title: 'Move and resize (V)' },
      { id: 'frame', icon: 'Frame', label: 'Generation frame (what Generate works on)', key: 'F', title: 'Generation frame (what Generate works on) (F)' },
      { id: 'brush', icon: 'Brush', label: 'Brush (paint the mask)', key: 'B', title: 'Brush (paint the mask) (B)' },
      { id: 'eraser', icon: 'Eraser', label: 'Eraser (erase the mask)', key: 'E', title: 'Eraser (erase the mask) (E)' },
      { id: 'marquee', icon: 'Rect', label: 'Rectangle selection', key: 'M', title: 'Rectangle selection (M)' },
      { id: 'lasso', icon: 'Lasso', label: 'Lasso selection', key: 'L', title: 'Lasso selection (L)' },
      { id: 'dragPoints', icon: 'Drag', label: 'Drag points', key: 'D', title: 'Drag points (D)' },
      { id: 'reference', icon: 'Ref', label: 'Reference region (for appearance edits)', key: 'R', title: 'Reference region (for appearance edits) (R)' },
      { id: 'hand', icon: 'Hand', label: 'Hand: pan (or hold Space)', key: 'H', title: 'Hand: pan (or hold Space) (H)' },
    ]);
    const keys = Object.fromEntries(['v', 'F', 'B', 'e', 'M', 'l', 'd', 'R', 'h', 'x'].map((k) => [k, tools.forKey(k)?.id ?? null]));
    expect(keys).toEqual({ v: 'select', F: 'frame', B: 'brush', e: 'eraser', M: 'marquee', l: 'lasso', d: 'dragPoints', R: 'reference', h: 'hand', x: null });
    const cursors = Object.fromEntries(STUDIO_TOOLS.map((t) => [t.id, tools.cursor(t.id)]));
    expect(cursors).toEqual({ select: 'default', frame: 'move', brush: 'none', eraser: 'none', marquee: 'crosshair', lasso: 'crosshair', dragPoints: 'crosshair', reference: 'crosshair', hand: 'grab' });
    expect(tools.cursor('nothing')).toBe('default');
    expect(tools.forHoldKey(' ')?.id).toBe('hand');
    expect(tools.forHoldKey('h')).toBeUndefined();
  });

  it('a new tool is one definition in the list: the editor offers its button, key and cursor', () => {
    const editor = new Editor({ document: createDocument(64, 64), tools: [...STUDIO_TOOLS, rulerTool] });
    expect(editor.tools.toolbar().at(-1)).toEqual({ id: 'ruler', icon: 'Ruler', label: 'Ruler', key: 'U', title: 'Ruler (U)' });
    editor.keyDown('U');
    expect(editor.currentTool).toBe('ruler');
    expect(editor.ui.tool).toBe('ruler');
    expect(editor.tools.cursor(editor.ui.tool)).toBe('nwse-resize');
    editor.pointerDown({ x: 5, y: 5 });
    expect(editor.toolState()).toBe('ruler.measuring');
    editor.pointerUp({ x: 5, y: 5 });
    editor.keyDown(' ');
    expect(editor.toolState()).toBe('hand.idle');
    editor.keyUp(' ');
    expect(editor.toolState()).toBe('ruler.idle');
  });

  it('the first tool in the list is active at the start', () => {
    const editor = new Editor({ document: createDocument(8, 8), tools: [rulerTool, ...STUDIO_TOOLS] });
    expect(editor.currentTool).toBe('ruler');
    expect(editor.ui.tool).toBe('ruler');
    expect(editor.toolState()).toBe('ruler.idle');
  });

  it('without a tool held by Space, Space is an ordinary key', () => {
    const editor = new Editor({ document: createDocument(8, 8), tools: STUDIO_TOOLS.filter((t) => t.id !== 'hand') });
    editor.setTool('brush');
    editor.keyDown(' ');
    editor.keyUp(' ');
    expect(editor.toolState()).toBe('brush.idle');
  });

  it('refuses two tools with one id, key or hold key, naming both', () => {
    expect(() => new ToolRegistry([tool('a', 'q'), tool('a', 'w')])).toThrow('two tools with the id "a"');
    expect(() => new ToolRegistry([tool('a', 'q'), tool('b', 'Q')])).toThrow('two tools with the key "Q": "a" and "b"');
    expect(() => new ToolRegistry([...STUDIO_TOOLS, tool('ruler', 'v')])).toThrow('two tools with the key "V": "select" and "ruler"');
    expect(() => new ToolRegistry([...STUDIO_TOOLS, tool('frame', 'u')])).toThrow('two tools with the id "frame"');
    expect(() => new ToolRegistry([tool('a', 'q', { holdKey: ' ' }), tool('b', 'w', { holdKey: ' ' })])).toThrow('two tools with the hold key "Space": "a" and "b"');
  });

  it("refuses keys a tool cannot have: none, several characters, Space, or the editor's own", () => {
    expect(() => new ToolRegistry([])).toThrow('the editor needs at least one tool');
    expect(() => new ToolRegistry([tool('', 'q')])).toThrow('a tool needs an id');
    expect(() => new ToolRegistry([tool('a', '')])).toThrow('the tool "a" needs a one-character key, not ""');
    expect(() => new ToolRegistry([tool('a', 'F1')])).toThrow('the tool "a" needs a one-character key, not "F1"');
    expect(() => new ToolRegistry([tool('a', ' ')])).toThrow('needs a one-character key');
    expect(() => new ToolRegistry([tool('a', '-')])).toThrow('the tool "a" cannot take the key "-": the editor uses it to zoom out');
    expect(() => new ToolRegistry([tool('a', '=')])).toThrow('the editor uses it to zoom in');
  });

  it('an editor handed a bad list throws before it builds any state machine', () => {
    const create = vi.fn((e: Editor, d: ToolDefinition) => new RulerTool(e, d));
    expect(() => new Editor({ tools: [tool('a', 'q', { create }), tool('b', 'q', { create })] })).toThrow(/two tools with the key/);
    expect(create).not.toHaveBeenCalled();
  });

  it('the editor imports no tool: its tools come only from the list it is handed', () => {
    const dir = new URL('../../renderer/src/tools/', import.meta.url);
    const toolFolders = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `./${e.name}/`);
    expect(toolFolders).toContain('./select/');
    const imports = [...readFileSync(new URL('editor.ts', dir), 'utf8').matchAll(/^import .* from '(.+)';$/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const path of imports) {
      expect(path).not.toBe('./tools.js');
      for (const folder of toolFolders) expect(path.startsWith(folder), path).toBe(false);
    }
  });
});
