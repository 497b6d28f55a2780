import { describe, expect, it } from 'vitest';
import { EDITOR_KEYS, EDITOR_SHORTCUTS, shortcutFor } from '../../renderer/src/tools/shortcuts.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';
import { keyboardMap, keyLabel } from '../../renderer/src/ui/help/keymap.js';
import { HelpModule } from '../../renderer/src/ui/help/help.js';
import { decideKeyDown, PAGE_SHORTCUTS } from '../../renderer/src/ui/keyboard-rules.js';

const map = keyboardMap(STUDIO_TOOLS);
const rows = map.flatMap((s) => s.rows.map((r) => ({ section: s.title, ...r })));
const listed = (key: string, what: RegExp | string) => rows.some((r) => r.keys.includes(key) && (typeof what === 'string' ? r.what === what : what.test(r.what)));

describe('the keyboard map', () => {
  it("lists every tool's key and hold key under its toolbar label", () => {
    for (const t of STUDIO_TOOLS) {
      expect(listed(keyLabel(t.key), t.toolbar.label), `${t.id} (${t.key})`).toBe(true);
      if (t.holdKey !== undefined) expect(listed(`${keyLabel(t.holdKey)} (hold)`, `${t.toolbar.icon}, while held`)).toBe(true);
    }
    expect(listed('Space (hold)', /while held/)).toBe(true);
  });

  it('lists every key a tool takes while active, naming the tools', () => {
    const keys = STUDIO_TOOLS.flatMap((t) => (t.keys ?? []).map((k) => ({ k, tool: t.toolbar.icon })));
    expect(keys.length).toBeGreaterThan(0);
    for (const { k, tool } of keys) expect(listed(keyLabel(k.key), new RegExp(`^${k.what.replace(/[()+]/g, '\\$&')} \\(.*${tool}`))).toBe(true);
    expect(listed('[', 'Smaller brush (Brush, Eraser)')).toBe(true);
  });

  it("lists every one of the editor's and the page's shortcuts, with every key of each", () => {
    // The page's Ctrl+Enter reaches the same Generate before the canvas sees it: listed under Studio.
    for (const s of EDITOR_SHORTCUTS) for (const k of s.keys) expect(listed(keyLabel(k, { accel: s.accel, shift: s.shift }), k === 'Enter' ? /^Generate/ : s.what), `${k}: ${s.what}`).toBe(true);
    expect(rows.filter((r) => r.keys.includes('Ctrl+Enter'))).toHaveLength(1);
    for (const p of PAGE_SHORTCUTS) expect(listed(keyLabel(p.key, { accel: p.accel, shift: p.shift }), p.what), p.what).toBe(true);
    expect(listed('Ctrl+Z', 'Undo')).toBe(true);
    expect(listed('Ctrl+Shift+Z', 'Redo')).toBe(true);
    expect(listed('Ctrl+Shift+E', 'Export the canvas as PNG')).toBe(true);
    expect(listed('?', /keyboard map/)).toBe(true);
    expect(keyboardMap(STUDIO_TOOLS, true).flatMap((s) => s.rows).some((r) => r.keys.includes('⌘Z'))).toBe(true);
  });

  it('every listed editor shortcut is the one its key reaches (none shadowed by an earlier entry)', () => {
    for (const s of EDITOR_SHORTCUTS) {
      for (const key of s.keys) {
        const press = { key, ctrlKey: !!s.accel, metaKey: false, shiftKey: !!s.shift, altKey: false };
        expect(shortcutFor(press), `${key}: ${s.what}`).toBe(s);
      }
    }
    expect(EDITOR_KEYS).toMatchObject({ '+': 'zoom in', '-': 'zoom out', '_': 'zoom out' });
  });

  it('every page shortcut is what its key decides; ? opens the map only outside text fields', () => {
    for (const p of PAGE_SHORTCUTS) {
      const press = { key: p.key === 'enter' ? 'Enter' : p.key, ctrlKey: p.accel, metaKey: false, shiftKey: !!p.shift, altKey: false };
      expect(decideKeyDown(press, { typing: false, electron: false })).toEqual({ action: p.action, preventDefault: true });
    }
    expect(decideKeyDown({ key: '?', ctrlKey: false, metaKey: false, shiftKey: true, altKey: false }, { typing: true, electron: false }).action).toBe('none');
    const help = new HelpModule();
    help.toggle();
    expect(help.store.getState().open).toBe(true);
    help.close();
    expect(help.store.getState().open).toBe(false);
  });
});
