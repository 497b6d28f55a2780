/**
 * Served beyond loopback (`--host 0.0.0.0`), the studio needs its access token: the page and the
 * API socket are refused without `?token=`, and with it the page loads and connects, then drops
 * the token from its address bar (an HttpOnly cookie keeps reloads working in that browser only).
 * The browser reaches the server through 127.0.0.1.
 */
import { expect, test } from '@playwright/test';
import type { PageWindow } from './helpers/page-types.js';
import { serve, type Served } from './helpers/server.js';
import { openStudio, shot } from './helpers/studio.js';

let server: Served;

test.beforeAll(async () => {
  server = await serve(['--host', '0.0.0.0', '--port', '0']);
});
test.afterAll(async () => {
  await server?.stop();
});

test('beyond loopback the access token is required', async ({ page, request, browser }, info) => {
  const url = new URL(server.url);
  expect(url.hostname).toBe('127.0.0.1');
  const token = url.searchParams.get('token');
  expect(token, `serve printed: ${server.output()}`).toMatch(/^[\w-]{16,}$/);
  expect(server.output()).toContain('access token');
  const bare = `${url.origin}/`;

  // Without the token: 401 for the page and its assets, and for a wrong token.
  const denied = await request.get(bare);
  expect(denied.status()).toBe(401);
  expect(await denied.text()).toContain('access token');
  expect((await request.get(`${bare}?token=${token!.slice(1)}x`)).status()).toBe(401);
  const resp = await page.goto(bare);
  expect(resp?.status()).toBe(401);
  await shot(page, info, '1-no-token');

  // With it: the page and everything it loads arrive, its socket connects, the engine answers.
  const refused: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400) refused.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
  const ok = await page.goto(server.url);
  expect(ok?.status()).toBe(200);
  await page.waitForLoadState('load');
  expect(refused, 'what the page loads (scripts, styles) is served to a page opened with its token').toEqual([]);
  await openStudio(page, server.url);
  const state = await page.evaluate(() => {
    const s = (globalThis as unknown as PageWindow).driftlineStudio!.app.getState();
    return { connection: s.connection, mode: s.mode, models: s.models.map((m) => m.name) };
  });
  expect(state).toMatchObject({ connection: 'open', mode: 'browser' });
  expect(state.models).toContain('emoji-32');
  await shot(page, info, '2-with-token');

  // The address bar no longer shows the token; a reload of the bare address still works (cookie).
  expect(new URL(page.url()).searchParams.has('token'), page.url()).toBe(false);
  expect((await page.reload())?.status()).toBe(200);
  await openStudio(page, bare);
  expect(await page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.app.getState().connection)).toBe('open');

  // Another browser (no cookie) without the token is refused, page and socket.
  const other = await browser.newContext();
  const stranger = await other.newPage();
  expect((await stranger.goto(bare))?.status()).toBe(401);
  const socket = await stranger.evaluate((origin) => new Promise<string>((resolve) => {
    const w = globalThis as unknown as PageWindow;
    const ws = new w.WebSocket(origin.replace(/^http/, 'ws') + '/api');
    ws.onopen = () => { ws.close(); resolve('open'); };
    ws.onerror = () => resolve('refused');
  }), url.origin);
  expect(socket).toBe('refused');
  await other.close();
});
