/**
 * The application menu as a template builder: text editing, reload and (in development builds
 * only) DevTools are Electron roles; the studio's own commands (open, export, undo/redo of the document, zooming the canvas)
 * are sent to the renderer as `driftline:menu` actions, because the document lives there.
 *
 * Zoom is the canvas's, not the page's: Electron's zoomIn/zoomOut/resetZoom roles would scale the
 * whole interface and leave the canvas as it was. Without them nothing changes the page zoom, so
 * there is no page-zoom reset either (resetZoom's own CmdOrCtrl+0 would also collide with Fit).
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuAction } from '../api/desktop.js';

export interface MenuOptions {
  platform: NodeJS.Platform;
  appName: string;
  /** Deliver a renderer-side action to the focused studio window. */
  send: (action: MenuAction) => void;
  /** An installed build (`app.isPackaged`): no Toggle DevTools. */
  packaged?: boolean;
}

export function buildMenuTemplate({ platform, appName, send, packaged = false }: MenuOptions): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const action = (label: string, name: MenuAction, accelerator?: string): MenuItemConstructorOptions => ({ label, accelerator, click: () => send(name) });
  const template: MenuItemConstructorOptions[] = [];
  if (mac) template.push({ label: appName, role: 'appMenu' });
  template.push(
    {
      label: '&File',
      submenu: [
        action('Open Image…', 'openImage', 'CmdOrCtrl+O'),
        action('Export PNG…', 'exportPng', 'CmdOrCtrl+Shift+E'),
        { type: 'separator' },
        // On macOS, Quit lives in the app menu.
        mac ? { role: 'close' } : { role: 'quit', accelerator: 'Ctrl+Q' },
      ],
    },
    {
      label: '&Edit',
      submenu: [
        // The document's undo, not the text field's: the renderer defers to text editing when a text field has focus.
        action('Undo', 'undo', 'CmdOrCtrl+Z'),
        action('Redo', 'redo', 'CmdOrCtrl+Shift+Z'),
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    {
      label: '&View',
      submenu: [
        action('Zoom In', 'zoomIn', 'CmdOrCtrl+='),
        action('Zoom Out', 'zoomOut', 'CmdOrCtrl+-'),
        action('Zoom to Fit', 'zoomToFit', 'CmdOrCtrl+0'),
        { type: 'separator' },
        ...(packaged ? [] : [{ role: 'toggleDevTools' } as const]),
        { role: 'reload' },
      ],
    },
  );
  if (mac) template.push({ role: 'windowMenu' });
  return template;
}
