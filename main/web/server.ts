/**
 * Browser mode: the studio's UI and the Studio API over one local HTTP server — static files of
 * the built renderer, and a WebSocket at `/api` served by the one dispatcher (main/api/dispatcher.ts):
 * each socket is a connection, whose jobs are its own (their events go to it only, it alone may
 * cancel them, and they are cancelled when it closes). Loopback by default; bound to any other address it requires an
 * access token (`?token=` on the page and the socket). On loopback only loopback Host names are
 * served, so a DNS-rebound page cannot reach it. Every socket must also come from this server's
 * own origin, so other web pages open in the user's browser cannot drive the engine. No request,
 * however malformed, can end the process: the gate (`guard.ts`) answers it with a status.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError, MAX_MESSAGE_BYTES } from '../api/contract.js';
import { CONTENT_SECURITY_POLICY } from '../csp.js';
import { decodeFrame, decodeWire, encodeFrame, encodeWire } from '../api/wire.js';
import { clientBackend, Dispatcher, malformed, type ApiClient, type Connection } from '../api/dispatcher.js';
import { admit, decodePath, guardRequest, ownOrigin, tokenCookie, type Log } from './guard.js';

export interface WebServerOptions {
  host?: string;
  port?: number;
  /** Access token; generated when the address is not loopback and none is given. */
  token?: string;
  /** The built renderer (index.html and assets). */
  staticDir: string;
  engine: ApiClient;
  /** Largest accepted WebSocket message (images travel inside); default: what the contract's largest request needs. */
  maxMessageBytes?: number;
  /** Where unexpected failures are reported (stderr by default); the server keeps serving. */
  log?: Log;
}

export interface WebServer {
  url: string;
  token?: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml', '.ico': 'image/x-icon', '.woff2': 'font/woff2',
};

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? (isLoopback(host) ? undefined : randomBytes(18).toString('base64url'));
  const staticRoot = path.resolve(opts.staticDir);
  const log: Log = opts.log ?? ((message, error) => console.error(`driftline serve: ${message}`, error ?? ''));

  // The page and the API need the token; the built bundle under /assets/ is the public app code
  // the page loads with relative URLs (which do not carry the page's query string).
  const gate = {
    loopbackOnly: isLoopback(host),
    port: () => (server.address() as AddressInfo).port,
    token,
    isPublic: (pathname: string) => pathname.startsWith('/assets/'),
  };

  async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verdict = admit(req, gate);
    if (!verdict.ok) return void res.writeHead(verdict.status, { 'content-type': 'text/plain' }).end(verdict.body);
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
    const rel = decodePath(verdict.url.pathname);
    if (rel === undefined) return void res.writeHead(400, { 'content-type': 'text/plain' }).end('malformed path');
    // Source maps only on loopback: beyond it they would hand anyone with the token the whole source.
    if (token && rel.endsWith('.map')) return void res.writeHead(404).end();
    const file = path.resolve(staticRoot, '.' + (rel.endsWith('/') ? rel + 'index.html' : rel));
    if (file !== staticRoot && !file.startsWith(staticRoot + path.sep)) return void res.writeHead(403).end();
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff',
        // No address (and so no token) leaves the page as a Referer.
        'referrer-policy': 'no-referrer',
        ...(token && verdict.tokenInAddress ? { 'set-cookie': tokenCookie(token) } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  }

  const server = createServer(guardRequest(serveStatic, log));
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes ?? MAX_MESSAGE_BYTES });
  const sockets = new Set<WebSocket>();

  /** Refuse an upgrade on the raw socket: a status line, a sentence, and the connection closed. */
  function refuse(socket: Duplex, status: number, body: string): void {
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node hands the socket over without an error listener: a reset peer must not end the process.
    socket.on('error', () => socket.destroy());
    try {
      const verdict = admit(req, gate);
      if (!verdict.ok) return refuse(socket, verdict.status, verdict.body);
      if (verdict.url.pathname !== '/api') return refuse(socket, 404, 'not found');
      if (!ownOrigin(req.headers.origin, req.headers.host)) return refuse(socket, 403, 'sockets are accepted only from this studio\'s own page');
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    } catch (e) {
      log('browser mode: a socket upgrade failed unexpectedly', e);
      if (socket.writable) refuse(socket, 500, 'internal error');
      else socket.destroy();
    }
  });

  const dispatcher = new Dispatcher<WebSocket, void>({ backend: clientBackend(opts.engine), ownJobs: true });

  /** Sockets that speak binary frames get binary replies and events; text sockets get text. */
  const binary = new WeakSet<WebSocket>();
  const encodeFor = (ws: WebSocket, message: unknown) => (binary.has(ws) ? encodeFrame(message) : encodeWire(message));
  const sendTo = (ws: WebSocket, message: unknown) => {
    if (ws.readyState === ws.OPEN) ws.send(encodeFor(ws, message));
  };

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    const connection = dispatcher.connect((event) => sendTo(ws, event), ws);
    ws.on('close', () => {
      sockets.delete(ws);
      connection.close();
    });
    // Protocol errors (unmasked or oversized frames, bad opcodes) close the socket; they are not ours to rethrow.
    ws.on('error', () => ws.terminate());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) binary.add(ws);
      void handle(ws, connection, data, isBinary).catch((e) => log('browser mode: a message failed unexpectedly', e));
    });
  });

  /**
   * The `id` a message's JSON names (a text message's whole text; a binary frame's JSON part, when
   * its length fits and it is UTF-8), else −1: a message refused for its shape, its parameters'
   * encoding or its attachments still names its call.
   */
  const callIdOf = (data: Buffer, isBinary: boolean): number => {
    try {
      const end = isBinary ? 4 + data.readUInt32LE(0) : data.length;
      if (end > data.length) return -1;
      const text = isBinary ? new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(4, end)) : data.toString();
      const id = (JSON.parse(text) as { id?: unknown }).id;
      return typeof id === 'number' && Number.isSafeInteger(id) ? id : -1;
    } catch {
      return -1;
    }
  };

  /** Decode a frame (a malformed one is answered BAD_REQUEST here), then let the dispatcher answer it. */
  async function handle(ws: WebSocket, connection: Connection<void>, data: Buffer, isBinary: boolean): Promise<void> {
    let message: unknown;
    try {
      message = isBinary ? decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) : decodeWire(data.toString());
    } catch (e) {
      // The wire format names what is wrong where it can (ApiError BAD_REQUEST); a parser's own error is just malformed.
      return sendTo(ws, malformed(callIdOf(data, isBinary), e instanceof ApiError ? e.message : 'malformed message'));
    }
    sendTo(ws, await connection.call(message, undefined));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 7860, host, () => {
      server.off('error', reject);
      // Once listening, a failure to accept (e.g. out of file descriptors) is logged, not fatal.
      server.on('error', (e) => log('browser mode: the server reported an error', e));
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${port}/${token ? `?token=${token}` : ''}`,
    token,
    close: async () => {
      dispatcher.dispose();
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
