/**
 * The front gate of browser mode: what every HTTP request and every socket upgrade passes before
 * anything else looks at it. In order — the Host name (loopback mode only: a DNS-rebound page
 * names a foreign host), the request target (parsed once, here, and never again), the access
 * token (when one is set: in the address, or in the cookie a page opened with it was given). Each
 * refusal is a status and a sentence; nothing here throws.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';

export type Verdict =
  | { ok: true; url: URL; /** The token came in the address (so the page may be given the cookie). */ tokenInAddress?: boolean }
  | { ok: false; status: number; body: string };

/**
 * The cookie that carries the access token after the first page load, so the page can drop the
 * token from its address bar (where it is shown, bookmarked and copied) and still reload and
 * connect: HttpOnly (no script reads it), SameSite=Strict (no other site's request carries it).
 */
export const TOKEN_COOKIE = 'driftline-token';

export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** The access token a request's Cookie header carries, if any. */
function cookieToken(header: string | undefined): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) return part.slice(eq + 1).trim();
  }
  return null;
}

export interface GateOptions {
  /** Bound to loopback: only loopback Host names on `port` are served. */
  loopbackOnly: boolean;
  /** The port actually bound (read after listening). */
  port: () => number;
  token?: string;
  /** Paths served without the token (the public app bundle). */
  isPublic?: (pathname: string) => boolean;
}

const LOOPBACK_V4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Does a Host header name this machine's loopback on `port`? `localhost`, `127.x.y.z` and `[::1]`,
 * with the port written out unless it is 80 (browsers leave the default port out).
 */
export function hostNamesLoopback(hostHeader: string | undefined, port: number): boolean {
  if (!hostHeader) return false;
  const m = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(hostHeader.toLowerCase());
  if (!m) return false;
  const [, name, portText] = m;
  if (portText === undefined ? port !== 80 : portText !== String(port)) return false;
  if (name === 'localhost' || name === '[::1]') return true;
  const v4 = LOOPBACK_V4.exec(name!);
  return v4 !== null && v4.slice(1).every((octet) => Number(octet) <= 255);
}

/** The request target as a URL, or undefined when it is not an origin-form path that parses. */
export function parseTarget(target: string | undefined): URL | undefined {
  if (!target || !target.startsWith('/')) return undefined;
  try {
    return new URL(target, 'http://studio.invalid');
  } catch {
    return undefined;
  }
}

/** A percent-decoded path, or undefined when its encoding is broken or it carries a NUL. */
export function decodePath(pathname: string): string | undefined {
  try {
    const decoded = decodeURIComponent(pathname);
    return decoded.includes('\0') ? undefined : decoded;
  } catch {
    return undefined;
  }
}

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Host, target, token — the checks every request and upgrade passes first. */
export function admit(req: IncomingMessage, opts: GateOptions): Verdict {
  if (opts.loopbackOnly && !hostNamesLoopback(req.headers.host, opts.port())) {
    return { ok: false, status: 421, body: `this studio only answers to localhost, 127.0.0.1 or [::1] on port ${opts.port()}: open the address printed by \`driftline serve\`` };
  }
  const url = parseTarget(req.url);
  if (!url) return { ok: false, status: 400, body: 'malformed request target' };
  if (opts.token && !opts.isPublic?.(url.pathname)) {
    const inAddress = sameToken(url.searchParams.get('token'), opts.token);
    if (!inAddress && !sameToken(cookieToken(req.headers.cookie), opts.token)) {
      return { ok: false, status: 401, body: 'this studio needs its access token: open the address printed by `driftline serve`' };
    }
    return { ok: true, url, tokenInAddress: inAddress };
  }
  return { ok: true, url };
}

/** Is a socket's Origin this server's own (the Host it was asked for)? A missing Origin is not a browser. */
export function ownOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false; // includes the opaque origin "null" of sandboxed frames and file pages
  }
}

export type Log = (message: string, error?: unknown) => void;

/**
 * Run an async request handler so that nothing it throws escapes: the client gets a 500 (or a
 * closed connection when the headers are already out) and the error is logged.
 */
export function guardRequest(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>, log: Log) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const fail = (e: unknown) => {
      log('browser mode: a request failed unexpectedly', e);
      try {
        if (res.headersSent) res.destroy();
        else res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      } catch {
        res.destroy();
      }
    };
    try {
      handler(req, res).catch(fail);
    } catch (e) {
      fail(e);
    }
  };
}
