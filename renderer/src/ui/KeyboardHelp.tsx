/** The keyboard map (`?`): every shortcut, generated from the tables the keys are handled by. */
import { useStore } from 'zustand';
import { keyboardMap } from './help/keymap.js';
import type { Studio } from './studio.js';

export function KeyboardHelp({ studio }: { studio: Studio }) {
  const open = useStore(studio.help.store, (h) => h.open);
  if (!open) return null;
  const mac = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform);
  const sections = keyboardMap(studio.editor.tools.list, mac);
  return (
    <div className="keymap-backdrop" onClick={() => studio.help.close()}>
      <div className="keymap" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onClick={(e) => e.stopPropagation()}>
        <header>
          <h2>Keyboard shortcuts</h2>
          <button type="button" aria-label="Close keyboard shortcuts" onClick={() => studio.help.close()}>Close <kbd>Esc</kbd></button>
        </header>
        {sections.map((s) => (
          <section key={s.title} aria-label={s.title}>
            <h3>{s.title}</h3>
            <table>
              <tbody>
                {s.rows.map((r, i) => (
                  <tr key={`${i}-${r.what}`}>
                    <td>{r.keys.map((k) => <kbd key={k}>{k}</kbd>)}</td>
                    <td>{r.what}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))}
      </div>
    </div>
  );
}
