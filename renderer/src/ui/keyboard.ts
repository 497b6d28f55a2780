/** Keyboard and clipboard for the whole window: shortcuts go to the Editor unless a text field has the key. */
import { decideKeyDown, isTypingTarget } from './keyboard-rules.js';
import type { Studio } from './studio.js';

export function attachKeyboard(studio: Studio): () => void {
  const { editor } = studio;
  const mods = (e: KeyboardEvent) => ({ shiftKey: e.shiftKey, altKey: e.altKey, ctrlKey: e.ctrlKey, metaKey: e.metaKey });

  const keydown = (e: KeyboardEvent) => {
    if (e.isComposing) return;
    if (e.key === 'Escape' && studio.help.store.getState().open) {
      e.preventDefault();
      return studio.help.close();
    }
    const typing = isTypingTarget(e.target as HTMLElement | null);
    const d = decideKeyDown(e, { typing, electron: studio.connection.client?.mode === 'electron' });
    if (d.preventDefault) e.preventDefault();
    switch (d.action) {
      case 'editor':
        // A focused button must not also "click" on Space or Enter.
        if (e.key === ' ' && e.repeat) return;
        editor.keyDown(e.key, mods(e));
        break;
      case 'generate':
        void studio.generation.generate();
        break;
      case 'openImage':
        void studio.imports.openImage();
        break;
      case 'exportPng':
        void studio.exports.exportPng();
        break;
      case 'help':
        studio.help.toggle();
        break;
    }
  };
  const keyup = (e: KeyboardEvent) => {
    // Releases always reach the editor (Space held on the canvas, then released in a field).
    if (isTypingTarget(e.target as HTMLElement | null) && e.key !== ' ' && !['Shift', 'Alt', 'Control', 'Meta'].includes(e.key)) return;
    editor.keyUp(e.key, mods(e));
  };
  const blur = () => {
    // Keys released while the window had no focus never arrive.
    editor.keyUp(' ', { shiftKey: false, altKey: false, ctrlKey: false, metaKey: false });
  };
  const paste = (e: ClipboardEvent) => {
    if (isTypingTarget(e.target as HTMLElement | null)) return;
    const files = [...(e.clipboardData?.items ?? [])].filter((i) => i.kind === 'file' && i.type.startsWith('image/')).map((i) => i.getAsFile()).filter((f): f is File => !!f);
    if (!files.length) return studio.say('The clipboard holds no image to paste.', 'warn');
    e.preventDefault();
    void studio.imports.addFiles(files, studio.app.getState().pointer ?? undefined);
  };

  window.addEventListener('keydown', keydown);
  window.addEventListener('keyup', keyup);
  window.addEventListener('blur', blur);
  window.addEventListener('paste', paste);
  return () => {
    window.removeEventListener('keydown', keydown);
    window.removeEventListener('keyup', keyup);
    window.removeEventListener('blur', blur);
    window.removeEventListener('paste', paste);
  };
}
