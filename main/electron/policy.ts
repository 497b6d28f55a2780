/**
 * The window's security policy as plain functions: the Content-Security-Policy, where the
 * renderer may navigate, which windows it may open, which permissions it gets. index.ts hooks
 * them into Electron; test/electron/policy.test.ts checks them without the binary.
 */
import { CONTENT_SECURITY_POLICY } from '../csp.js';

/** The renderer is served from this privileged standard scheme (see protocol.ts), never file://. */
export const APP_SCHEME = 'driftline';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

export { CONTENT_SECURITY_POLICY };

export type Headers = Record<string, string | string[]>;

/** The response headers with our CSP in place of any the response carried (header names are case-insensitive). */
export function withCsp(headers: Headers | undefined): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (name.toLowerCase() !== 'content-security-policy') out[name] = value;
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return out;
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

export function isAppUrl(url: string | undefined): boolean {
  const u = url ? parse(url) : undefined;
  return u !== undefined && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
}

/** A link the user may follow in their own browser: https only (no file:, javascript:, custom schemes). */
export function externalUrl(url: string): string | undefined {
  const u = parse(url);
  return u && u.protocol === 'https:' && u.username === '' && u.password === '' ? u.href : undefined;
}

export interface NavigationDecision {
  allow: boolean;
  /** Open this in the user's browser instead. */
  openExternally?: string;
}

/** `will-navigate`: the studio is one page; it may reload itself, anything else is refused (https links go to the browser). */
export function navigationDecision(url: string): NavigationDecision {
  if (isAppUrl(url)) return { allow: true };
  const ext = externalUrl(url);
  return ext ? { allow: false, openExternally: ext } : { allow: false };
}

/** `setWindowOpenHandler`: no new windows ever; https links go to the browser. */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally?: string } {
  const ext = externalUrl(url);
  return ext ? { action: 'deny', openExternally: ext } : { action: 'deny' };
}

/** Permissions the studio's own page may use: reading and writing the clipboard (copy/paste of images). Everything else is refused. */
const ALLOWED_PERMISSIONS = new Set(['clipboard-read', 'clipboard-sanitized-write']);

export function permissionAllowed(permission: string, requestingUrl: string | undefined): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isAppUrl(requestingUrl);
}
