/** The page's side of the commands: the focused text field and its own undo and redo. */
import type { TextField } from './commands.js';

/** The page's focused text field: an input, a text area or editable content. */
export const pageTextField: TextField = {
  focused() {
    const active = document.activeElement as HTMLElement | null;
    return !!active && (active.tagName === 'INPUT' || active.tagName === 'TEXTAREA' || active.isContentEditable);
  },
  run(command) {
    document.execCommand(command);
  },
};
