import { describe, expect, it } from 'vitest';
import { createDocument } from '../../renderer/src/document/index.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { ToolRegistry } from '../../renderer/src/tools/registry.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';
import { declaredToolStatus, toolStatusText } from '../../renderer/src/ui/tool-status.js';

/** Every state path of every studio tool ('select.idle', …), read from the state machines themselves. */
function allStatePaths(): string[] {
  const editor = new Editor({ tools: STUDIO_TOOLS, document: createDocument(64, 64) });
  return STUDIO_TOOLS.flatMap((definition) => definition.create(editor, definition).statePaths().map((rest) => (rest ? `${definition.id}.${rest}` : definition.id)));
}

describe('the status bar names tool states in words', () => {
  const tools = new ToolRegistry(STUDIO_TOOLS);
  const paths = allStatePaths();

  it('walks every state of every tool', () => {
    expect(paths).toContain('select.translating');
    expect(paths).toContain('brush.drawing');
    expect(paths).toContain('frame.resizing');
    expect(paths.length).toBeGreaterThanOrEqual(2 * STUDIO_TOOLS.length);
  });

  it('every state has declared words that are not its internal name', () => {
    const missing = paths.filter((p) => !declaredToolStatus(tools, p));
    expect(missing).toEqual([]);
    for (const p of paths) {
      const words = toolStatusText(tools, p);
      expect(words).not.toContain(p);
      expect(words).not.toMatch(/\b[a-z]+[A-Z]?[a-z]*\.[a-z]+\b/);
    }
  });

  it('declarations name only states that exist (no stale words)', () => {
    const declared = STUDIO_TOOLS.flatMap((d) => Object.keys(d.status ?? {}).map((k) => `${d.id}.${k}`));
    expect(declared.filter((p) => !paths.includes(p))).toEqual([]);
  });

  it('a tool state without words fails the rule, and falls back to the tool label, not the path', () => {
    const bare = { ...STUDIO_TOOLS[0], id: 'bare', key: 'q', status: {} };
    const registry = new ToolRegistry([...STUDIO_TOOLS, bare]);
    expect(declaredToolStatus(registry, 'bare.idle')).toBeUndefined();
    expect(toolStatusText(registry, 'bare.idle')).toBe(bare.toolbar.label);
    expect(toolStatusText(tools, 'brush.drawing')).toMatch(/^Painting mask/);
  });
});
