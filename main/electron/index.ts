/**
 * Electron main process: thin glue. It serves the renderer from `driftline://app/`, opens one
 * sandboxed window, starts the engine host as a utilityProcess and wires the Studio API to IPC
 * (ipc.ts), and builds the menu. Everything with logic in it lives in the modules beside this one,
 * which take the electron module's pieces as arguments and are tested under plain Node.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, protocol, session, shell, utilityProcess, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { rendererDir } from '../web/static.js';
import { MENU_CHANNEL } from './channels.js';
import { createDesktopHandlers } from './desktop.js';
import { dataDir } from '../engine/models/paths.js';
import { createUtilityEngine } from './engine.js';
import { wireStudioIpc } from './ipc.js';
import { buildMenuTemplate } from './menu.js';
import { APP_ENTRY_URL, APP_SCHEME, isAppUrl, permissionAllowed, withCsp } from './policy.js';
import { APP_SCHEME_PRIVILEGES, appProtocolHandler } from './protocol.js';
import { hardenWebContents, windowOptions } from './window.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const preloadPath = path.join(here, '..', '..', 'preload', 'index.cjs');
const engineEntry = path.join(here, '..', 'host', 'entry.js');

// Before `ready`: every renderer sandboxed, and our scheme a standard secure origin.
app.enableSandbox();
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

let mainWindow: BrowserWindow | undefined;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(windowOptions(preloadPath, app.isPackaged));
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = undefined;
  });
  void win.loadURL(APP_ENTRY_URL);
  return win;
}

const openExternal = (url: string) => void shell.openExternal(url);
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, openExternal));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  void app.whenReady().then(() => {
    const ses = session.defaultSession;
    // Our own scheme's responses carry the CSP already (protocol.ts); this covers anything served over http(s).
    ses.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: withCsp(details.responseHeaders) }));
    ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(permissionAllowed(permission, details.requestingUrl)));
    ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin));
    protocol.handle(APP_SCHEME, appProtocolHandler(rendererDir()));

    const engine = createUtilityEngine(utilityProcess, engineEntry);
    const windowFor = (event: { sender?: unknown }) => BrowserWindow.fromWebContents((event as IpcMainInvokeEvent).sender) ?? mainWindow;
    const desktop = createDesktopHandlers({
      dialog: {
        showSaveDialog: (w, o) => (w ? dialog.showSaveDialog(w, o) : dialog.showSaveDialog(o)),
        showOpenDialog: (w, o) => (w ? dialog.showOpenDialog(w, o) : dialog.showOpenDialog(o)),
      },
      windowFor,
      defaultDir: app.getPath('pictures'),
      // event.sender is the asking WebContents; its startDrag takes the file and the icon.
      drag: { nativeImage, root: path.join(app.getPath('temp'), 'driftline-drag') },
      // The gallery is in the data folder the engine host writes to (same environment, same dataDir).
      reveal: { showItemInFolder: (file) => shell.showItemInFolder(file), dataRoot: dataDir() },
    });
    wireStudioIpc({
      ipcMain,
      engine,
      desktop,
      send: (sender, channel, ...args) => {
        const contents = sender as WebContents | undefined;
        if (contents && !contents.isDestroyed()) contents.send(channel, ...args);
      },
      whenGone: (sender, gone) => void (sender as WebContents | undefined)?.once('destroyed', gone),
      isTrustedSender: (event) => isAppUrl(event.senderFrame?.url),
    });

    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        buildMenuTemplate({
          platform: process.platform,
          appName: app.name,
          packaged: app.isPackaged,
          send: (action) => (BrowserWindow.getFocusedWindow() ?? mainWindow)?.webContents.send(MENU_CHANNEL, action),
        }),
      ),
    );

    mainWindow = createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
    });
    app.on('will-quit', () => {
      void engine.close();
      desktop.cleanup();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
