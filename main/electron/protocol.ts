/**
 * The `driftline://app/` scheme that serves the built renderer, as VS Code serves its workbench
 * from `vscode-file://`: a standard, secure origin (so 'self' in the CSP means something, unlike
 * file://), confined to one folder, and every response carries the CSP and nosniff headers
 * itself — `webRequest.onHeadersReceived` does not see file:// or custom-scheme responses.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { APP_HOST, APP_SCHEME, CONTENT_SECURITY_POLICY } from './policy.js';

/** For `protocol.registerSchemesAsPrivileged`, before the app is ready. */
export const APP_SCHEME_PRIVILEGES = {
  scheme: APP_SCHEME,
  // corsEnabled: module scripts load in CORS mode, which Chromium allows only on CORS-enabled schemes.
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true },
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.png': 'image/png', '.jpg': 'image/jpeg', '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.wasm': 'application/wasm', '.webp': 'image/webp',
};

/** The file a `driftline://app/…` URL names inside `root`, or undefined for anything outside it or another origin. */
export function appFileFor(root: string, url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return undefined;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return undefined;
  }
  if (rel.includes('\0')) return undefined;
  const base = path.resolve(root);
  const file = path.resolve(base, '.' + (rel.endsWith('/') ? rel + 'index.html' : rel));
  return file.startsWith(base + path.sep) ? file : undefined;
}

/** The handler for `protocol.handle(APP_SCHEME, …)`. */
export function appProtocolHandler(root: string, read: (file: string) => Promise<Uint8Array> = readFile): (request: { url: string; method?: string }) => Promise<Response> {
  return async (request) => {
    if (request.method && request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
    const file = appFileFor(root, request.url);
    if (!file) return new Response('not found', { status: 404 });
    let body: Uint8Array;
    try {
      body = await read(file);
    } catch {
      return new Response('not found', { status: 404 });
    }
    return new Response(request.method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>), {
      status: 200,
      headers: {
        'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
      },
    });
  };
}
