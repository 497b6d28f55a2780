/**
 * The studio's commands: the app menu's actions (Electron sends them back to the page) and Clear.
 * The menu's Undo and Redo are the text field's while one has focus. No DOM: the page hands it
 * `pageTextField` (page.ts), tests a fake.
 */
import type { MenuAction, StudioClient } from '../../api/index.js';
import type { Editor } from '../../tools/editor.js';
import type { AppStore } from '../app-state.js';
import type { ExportModule } from '../export/export.js';
import type { ImportModule } from '../import/import.js';
import type { StudioModule } from '../module.js';
import type { Say } from '../status.js';

/** The focused text field, if any, and its own undo and redo. */
export interface TextField {
  focused(): boolean;
  run(command: 'undo' | 'redo'): void;
}

export interface CommandsHost {
  readonly app: AppStore;
  readonly editor: Editor;
  readonly imports: Pick<ImportModule, 'openImage'>;
  readonly exports: Pick<ExportModule, 'exportPng'>;
  readonly text: TextField;
  client(): Pick<StudioClient, 'onMenu'> | null;
  say: Say;
}

export class CommandsModule implements StudioModule {
  private off: (() => void) | null = null;

  constructor(private readonly host: CommandsHost) {}

  initialize(): void {
    this.off = this.host.client()?.onMenu((action) => this.menu(action)) ?? null;
  }

  destroy(): void {
    this.off?.();
    this.off = null;
  }

  menu(action: MenuAction): void {
    const { editor, text } = this.host;
    switch (action) {
      case 'undo':
        if (text.focused()) text.run('undo');
        else editor.undo();
        break;
      case 'redo':
        if (text.focused()) text.run('redo');
        else editor.redo();
        break;
      case 'exportPng':
        void this.host.exports.exportPng();
        break;
      case 'openImage':
        void this.host.imports.openImage();
        break;
      case 'zoomIn':
        editor.zoomBy(1.25);
        break;
      case 'zoomOut':
        editor.zoomBy(1 / 1.25);
        break;
      case 'zoomToFit':
        editor.zoomToFit();
        break;
      default: {
        // Fails to compile when the menu (MENU_ACTIONS) gains an action not handled above; an unknown one at run time is ignored.
        const unhandled: never = action;
        void unhandled;
      }
    }
  }

  /** Clear: every layer, mask stroke, selection, drag point and the reference region go, in one undoable change. */
  clearCanvas(): void {
    const { app, editor } = this.host;
    if (app.getState().job) return this.host.say('Wait for the running job to finish (or cancel it) first.', 'warn');
    editor.cancel();
    const { width, height } = editor.doc.canvas;
    editor.update((doc) => {
      doc.layers = [];
      doc.mask.strokes = [];
      doc.selection = null;
      doc.dragPairs = [];
      doc.reference = null;
      doc.canvas = { width, height };
    }, { name: 'clear canvas' });
    editor.select(null);
    this.host.say('Canvas cleared (Ctrl+Z brings it back).');
  }
}
