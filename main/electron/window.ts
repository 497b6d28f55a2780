/**
 * The studio window's settings and the rules every web contents gets: sandboxed, context
 * isolation on, no Node in the page; no navigation away from the app, no new windows (https links
 * open in the user's browser), no <webview>.
 */
import type { BrowserWindowConstructorOptions } from 'electron';
import { navigationDecision, windowOpenDecision } from './policy.js';

/** `packaged`: an installed build (`app.isPackaged`): no DevTools, which would hand the page's privileges to anyone at the keyboard of a shared machine and are no use to a user. */
export function windowOptions(preload: string, packaged = false): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 860,
    minWidth: 720,
    minHeight: 480,
    title: 'Driftline Studio',
    show: false,
    backgroundColor: '#1e1e1e',
    webPreferences: {
      preload,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      devTools: !packaged,
    },
  };
}

/** The part of WebContents the rules need. */
export interface WebContentsLike {
  on(event: 'will-navigate', listener: (event: { preventDefault(): void; url?: string }, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export function hardenWebContents(contents: WebContentsLike, openExternal: (url: string) => void): void {
  contents.on('will-navigate', (event, url) => {
    const d = navigationDecision(event.url ?? url);
    if (!d.allow) event.preventDefault();
    if (d.openExternally) openExternal(d.openExternally);
  });
  contents.setWindowOpenHandler(({ url }) => {
    const d = windowOpenDecision(url);
    if (d.openExternally) openExternal(d.openExternally);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
