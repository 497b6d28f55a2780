import { describe, expect, it, vi } from 'vitest';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  APP_ENTRY_URL, CONTENT_SECURITY_POLICY, isAppUrl, navigationDecision, permissionAllowed, windowOpenDecision, withCsp,
} from '../../main/electron/policy.js';
import { appFileFor, appProtocolHandler } from '../../main/electron/protocol.js';
import { hardenWebContents, windowOptions } from '../../main/electron/window.js';
import { buildMenuTemplate } from '../../main/electron/menu.js';
import { MENU_ACTIONS } from '../../main/api/desktop.js';
import type { MenuItemConstructorOptions } from 'electron';

describe('content security policy', () => {
  it('allows only the app itself, plus data:/blob: images and inline styles', () => {
    const d = Object.fromEntries(CONTENT_SECURITY_POLICY.split('; ').map((x) => [x.split(' ')[0], x.split(' ').slice(1).join(' ')]));
    expect(d['default-src']).toBe("'self'");
    expect(d['img-src']).toBe("'self' data: blob:");
    expect(d['style-src']).toBe("'self' 'unsafe-inline'");
    expect(d['connect-src']).toBe("'self'");
    expect(d['object-src']).toBe("'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/);
  });

  it('replaces whatever CSP a response carried, whatever the header case', () => {
    const h = withCsp({ 'content-security-policy': ["default-src *"], 'Content-Type': ['text/html'], 'CONTENT-SECURITY-POLICY': ['x'] });
    expect(h).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    expect(withCsp(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });
});

describe('navigation, new windows and permissions', () => {
  it('stays on the app; https links go to the browser; nothing else anywhere', () => {
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(navigationDecision('driftline://app/index.html?x=1')).toEqual({ allow: true });
    expect(navigationDecision('https://example.com/docs')).toEqual({ allow: false, openExternally: 'https://example.com/docs' });
    for (const url of ['http://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'driftline://evil/', 'driftline://app.evil.com/', 'https://user:pw@example.com/', 'not a url', 'smb://host/share']) {
      expect(navigationDecision(url)).toEqual({ allow: false });
    }
    expect(windowOpenDecision('https://example.com/')).toEqual({ action: 'deny', openExternally: 'https://example.com/' });
    expect(windowOpenDecision(APP_ENTRY_URL)).toEqual({ action: 'deny' });
    expect(windowOpenDecision('file:///bin/sh')).toEqual({ action: 'deny' });
  });

  it('grants the app page the clipboard and nothing else; other origins get nothing', () => {
    expect(permissionAllowed('clipboard-read', APP_ENTRY_URL)).toBe(true);
    expect(permissionAllowed('clipboard-sanitized-write', 'driftline://app')).toBe(true);
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'fullscreen', 'midi', 'hid', 'serial', 'usb']) expect(permissionAllowed(p, APP_ENTRY_URL)).toBe(false);
    expect(permissionAllowed('clipboard-read', 'https://example.com/')).toBe(false);
    expect(permissionAllowed('clipboard-read', undefined)).toBe(false);
  });

  it('hardens every web contents: navigation refused, windows denied, webviews refused', () => {
    const handlers: Record<string, (...a: any[]) => void> = {};
    let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
    const contents = { on: (e: string, l: (...a: any[]) => void) => void (handlers[e] = l), setWindowOpenHandler: (h: typeof openHandler) => void (openHandler = h) };
    const opened: string[] = [];
    hardenWebContents(contents as never, (u) => opened.push(u));
    const nav = (url: string) => {
      const ev = { preventDefault: vi.fn(), url };
      handlers['will-navigate'](ev, url);
      return ev.preventDefault.mock.calls.length > 0;
    };
    expect(nav('https://example.com/a')).toBe(true);
    expect(nav('file:///etc/passwd')).toBe(true);
    expect(nav(APP_ENTRY_URL)).toBe(false);
    expect(openHandler!({ url: 'https://example.com/b' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'javascript:1' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://example.com/a', 'https://example.com/b']);
    const wv = { preventDefault: vi.fn() };
    handlers['will-attach-webview'](wv);
    expect(wv.preventDefault).toHaveBeenCalled();
  });

  it('opens the window sandboxed, isolated, without Node; without DevTools when installed', () => {
    const w = windowOptions('/p/preload.cjs').webPreferences!;
    expect(w).toMatchObject({ preload: '/p/preload.cjs', sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, webviewTag: false, allowRunningInsecureContent: false, devTools: true });
    expect(windowOptions('/p/preload.cjs', true).webPreferences!.devTools).toBe(false);
  });

  it('packages with the Electron fuses that turn the app into a Node runtime switched off', async () => {
    // The block's `key: value` lines, read as electron-builder's YAML would (two-space indented scalars).
    const text = await readFile(path.resolve('electron-builder.yml'), 'utf8');
    const block = /^electronFuses:\n((?: {2}\w+: \w+\n)+)/m.exec(text)?.[1] ?? '';
    const fuses = Object.fromEntries(block.trim().split('\n').map((l) => l.trim().split(': ')).map(([k, v]) => [k, v === 'true']));
    expect(fuses).toMatchObject({ runAsNode: false, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false, onlyLoadAppFromAsar: true });
  });
});

describe('the driftline://app scheme', () => {
  it('maps URLs to files inside the renderer folder only', () => {
    const root = path.resolve('/srv/renderer');
    expect(appFileFor(root, 'driftline://app/')).toBe(path.join(root, 'index.html'));
    expect(appFileFor(root, 'driftline://app/assets/a.js?v=1#x')).toBe(path.join(root, 'assets', 'a.js'));
    for (const url of ['driftline://app/../secret', 'driftline://app/%2e%2e/secret', 'driftline://app/..%2fsecret', 'driftline://app/%2e%2e%5csecret', 'driftline://other/index.html', 'file:///srv/renderer/index.html', 'driftline://app/%E0%A4%A', 'driftline://app/a%00b']) {
      const f = appFileFor(root, url);
      expect(f === undefined || f.startsWith(root + path.sep), url).toBe(true);
    }
    // The URL parser resolves dot segments first, so these land inside the root, never above it.
    expect(appFileFor(root, 'driftline://app/%2e%2e/secret')).toBe(path.join(root, 'secret'));
    expect(appFileFor(root, 'driftline://other/index.html')).toBeUndefined();
  });

  it('serves files with the CSP and nosniff headers; missing files are 404', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'driftline-app-'));
    await mkdir(path.join(root, 'assets'));
    await writeFile(path.join(root, 'index.html'), '<!doctype html><title>Driftline Studio</title>');
    await writeFile(path.join(root, 'assets', 'main.js'), 'export {}');
    const handle = appProtocolHandler(root);
    const page = await handle({ url: 'driftline://app/', method: 'GET' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toMatch(/Driftline Studio/);
    expect((await handle({ url: 'driftline://app/assets/main.js' })).headers.get('content-type')).toMatch(/javascript/);
    expect((await handle({ url: 'driftline://app/nope.js' })).status).toBe(404);
    expect((await handle({ url: 'driftline://app/assets' })).status).toBe(404);
    expect((await handle({ url: 'driftline://app/', method: 'POST' })).status).toBe(405);
  });
});

describe('application menu', () => {
  const labels = (items: MenuItemConstructorOptions[]) => items.map((i) => i.label ?? i.role ?? i.type);
  const sub = (items: MenuItemConstructorOptions[], label: string) => items.find((i) => i.label === label)!.submenu as MenuItemConstructorOptions[];
  const click = (item: MenuItemConstructorOptions) => (item.click as () => void)();

  it('has File, Edit and View; renderer commands are sent as actions, the rest are roles', () => {
    const sent: string[] = [];
    const t = buildMenuTemplate({ platform: 'linux', appName: 'Driftline Studio', send: (a) => sent.push(a) });
    expect(labels(t)).toEqual(['&File', '&Edit', '&View']);
    const file = sub(t, '&File');
    expect(labels(file)).toEqual(['Open Image…', 'Export PNG…', 'separator', 'quit']);
    const edit = sub(t, '&Edit');
    expect(edit.map((i) => i.accelerator).slice(0, 2)).toEqual(['CmdOrCtrl+Z', 'CmdOrCtrl+Shift+Z']);
    expect(edit.slice(3).map((i) => i.role)).toEqual(['cut', 'copy', 'paste', 'selectAll']);
    const view = sub(t, '&View');
    // Zoom is the canvas's: actions with the usual accelerators, no page-zoom roles (nor their accelerators).
    expect(view.filter((i) => i.role).map((i) => i.role)).toEqual(['toggleDevTools', 'reload']);
    const installed = sub(buildMenuTemplate({ platform: 'linux', appName: 'Driftline Studio', send: () => undefined, packaged: true }), '&View');
    expect(installed.filter((i) => i.role).map((i) => i.role), 'no DevTools in an installed build').toEqual(['reload']);
    expect(view.slice(0, 3).map((i) => [i.label, i.accelerator, i.role])).toEqual([['Zoom In', 'CmdOrCtrl+=', undefined], ['Zoom Out', 'CmdOrCtrl+-', undefined], ['Zoom to Fit', 'CmdOrCtrl+0', undefined]]);
    for (const item of [...file.slice(0, 2), ...edit.slice(0, 2), ...view.slice(0, 3)]) click(item);
    expect(sent).toEqual(['openImage', 'exportPng', 'undo', 'redo', 'zoomIn', 'zoomOut', 'zoomToFit']);
    // Every action the menu sends is one the renderer knows, and every accelerator is used once.
    expect(sent.every((a) => (MENU_ACTIONS as readonly string[]).includes(a))).toBe(true);
    const accelerators = t.flatMap((m) => ((m.submenu ?? []) as MenuItemConstructorOptions[]).map((i) => i.accelerator).filter(Boolean));
    expect(new Set(accelerators).size).toBe(accelerators.length);
  });

  it('follows macOS conventions: the app menu first, Quit in it, a Window menu', () => {
    const t = buildMenuTemplate({ platform: 'darwin', appName: 'Driftline Studio', send: () => undefined });
    expect(t[0]).toMatchObject({ role: 'appMenu' });
    expect(t.at(-1)).toMatchObject({ role: 'windowMenu' });
    expect(sub(t, '&File').some((i) => i.role === 'quit')).toBe(false);
  });
});
