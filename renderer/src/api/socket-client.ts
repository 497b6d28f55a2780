/**
 * The Studio API in browser mode: one WebSocket to `/api` on the page's own origin, speaking the
 * engine host's calls, replies and events in the JSON wire format (main/api/wire.ts). It connects
 * at once and reconnects with a capped backoff after a drop; a call made while disconnected tries
 * to connect and fails with `DISCONNECTED` if it cannot, and calls in flight when the socket drops
 * fail with `DISCONNECTED` — nothing waits forever.
 *
 * No DOM types: the WebSocket is reached through `globalThis` (or passed in, as the tests pass the
 * `ws` package's), so this file also compiles for the Node tests.
 */
import type { EventName, StudioEvents } from '../../../main/api/contract.js';
import { decodeFrame, decodeWire, encodeFrame } from '../../../main/api/wire.js';
import { METHOD_NAMES, STUDIO_METHODS } from './methods.js';
import { StudioError, type ConnectionState, type DesktopApi, type StudioClient } from './types.js';

/** The part of the WHATWG WebSocket this needs. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: never) => void) | null;
  onclose: ((ev: never) => void) | null;
  onerror: ((ev: never) => void) | null;
  onmessage: ((ev: never) => void) | null;
  /** Set to 'arraybuffer' so binary frames arrive as ArrayBuffers (browsers default to Blob). */
  binaryType: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface SocketClientOptions {
  /** `ws://host:port/api[?token=…]`; see apiUrlFor. */
  url: string;
  /** Defaults to the global WebSocket. */
  WebSocket?: WebSocketConstructor;
  /** Backoff between reconnection attempts: doubles from min to max (ms). */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** One connection attempt gives up after this long (ms). */
  connectTimeoutMs?: number;
  /** saveFile / openImage in a browser (browser-files.ts); without it they fail with UNSUPPORTED. */
  files?: DesktopApi;
}

/** The API socket's address for a studio page: same origin, `/api`, the page's `?token=` carried over. */
export function apiUrlFor(pageUrl: string): string {
  const page = new URL(pageUrl);
  const url = new URL('/api', page);
  url.protocol = page.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = page.searchParams.get('token');
  if (token) url.searchParams.set('token', token);
  return url.href;
}

type Pending = { method: string; resolve: (v: unknown) => void; reject: (e: Error) => void };
const OPEN = 1;

class SocketConnection {
  private socket: WebSocketLike | undefined;
  private opening: Promise<WebSocketLike> | undefined;
  private attempt: WebSocketLike | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retries = 0;
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(p: unknown) => void>>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  state: ConnectionState = 'connecting';
  private readonly Ctor: WebSocketConstructor;
  private readonly where: string;

  constructor(private readonly opts: SocketClientOptions) {
    const Ctor = opts.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new StudioError('UNSUPPORTED', 'this browser has no WebSocket');
    this.Ctor = Ctor;
    this.where = new URL(opts.url).host;
    this.open().catch(() => undefined);
  }

  private setState(s: ConnectionState): void {
    if (this.state === s) return;
    this.state = s;
    for (const l of [...this.stateListeners]) l(s);
  }

  private open(): Promise<WebSocketLike> {
    if (this.closed) return Promise.reject(new StudioError('CLOSED', 'the studio client was closed'));
    if (this.socket) return Promise.resolve(this.socket);
    if (this.opening) return this.opening;
    // A call does not wait out the backoff.
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const ws = new this.Ctor(this.opts.url);
    ws.binaryType = 'arraybuffer';
    this.attempt = ws;
    this.opening = new Promise<WebSocketLike>((resolve, reject) => {
      let opened = false;
      const timer = setTimeout(() => ws.close(), this.opts.connectTimeoutMs ?? 10_000);
      ws.onopen = () => {
        opened = true;
        clearTimeout(timer);
        this.opening = this.attempt = undefined;
        if (this.closed) {
          ws.close();
          return reject(new StudioError('CLOSED', 'the studio client was closed'));
        }
        this.socket = ws;
        this.retries = 0;
        this.setState('open');
        resolve(ws);
      };
      ws.onmessage = ((ev: { data: unknown }) => this.receive(ev.data)) as (ev: never) => void;
      ws.onerror = () => undefined; // a close event follows and says what happened
      ws.onclose = () => {
        clearTimeout(timer);
        if (!opened) {
          this.opening = this.attempt = undefined;
          reject(new StudioError('DISCONNECTED', `cannot reach the studio server at ${this.where}: check that \`driftline serve\` is still running and that this page's address is the one it printed (with its ?token= when it has one)`));
        } else if (this.socket === ws) {
          this.socket = undefined;
          this.failPending((method) => new StudioError('DISCONNECTED', `lost the connection to the studio server before ${method} finished; reconnecting`));
        }
        if (this.closed) return this.setState('closed');
        this.setState('reconnecting');
        this.scheduleRetry();
      };
    });
    return this.opening;
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    const min = this.opts.minRetryMs ?? 250, max = this.opts.maxRetryMs ?? 5_000;
    const delay = Math.min(max, min * 2 ** this.retries++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.open().catch(() => undefined);
    }, delay);
  }

  private failPending(error: (method: string) => Error): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const p of calls) p.reject(error(p.method));
  }

  private receive(data: unknown): void {
    let m: { kind?: unknown; id?: unknown; ok?: unknown; value?: unknown; error?: { code?: unknown; message?: unknown }; name?: unknown; payload?: unknown };
    try {
      if (typeof data === 'string') m = decodeWire(data) as typeof m;
      else if (data instanceof ArrayBuffer) m = decodeFrame(new Uint8Array(data)) as typeof m;
      else if (ArrayBuffer.isView(data)) m = decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) as typeof m;
      else return;
    } catch {
      return;
    }
    if (!m || typeof m !== 'object') return;
    if (m.kind === 'reply' && typeof m.id === 'number') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok === true) p.resolve(m.value);
      else p.reject(new StudioError(String(m.error?.code ?? 'ENGINE_ERROR'), String(m.error?.message ?? 'the request failed')));
    } else if (m.kind === 'event' && typeof m.name === 'string') {
      for (const l of [...(this.listeners.get(m.name) ?? [])]) l(m.payload);
    }
  }

  async call(method: string, params: unknown): Promise<unknown> {
    const ws = await this.open();
    const id = this.nextId++;
    let frame: Uint8Array;
    try {
      // Binary frames: images travel as raw bytes, not base64 (main/api/wire.ts).
      frame = encodeFrame({ kind: 'call', id, method, params: params ?? {} });
    } catch (e) {
      throw new StudioError('BAD_REQUEST', `could not encode the ${method} request: ${e instanceof Error ? e.message : String(e)}`);
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      try {
        ws.send(frame);
      } catch (e) {
        this.pending.delete(id);
        reject(new StudioError('DISCONNECTED', `could not send the ${method} request: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  }

  on(event: string, listener: (p: unknown) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return () => void set.delete(listener);
  }

  onState(listener: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => void this.stateListeners.delete(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const ws = this.socket;
    this.socket = undefined;
    this.failPending((method) => new StudioError('CLOSED', `the studio client was closed before ${method} finished`));
    ws?.close();
    this.attempt?.close();
    if (!this.opening) this.setState('closed');
  }
}

export function createSocketClient(opts: SocketClientOptions): StudioClient {
  const conn = new SocketConnection(opts);
  const unsupported = (m: string) => () => Promise.reject(new StudioError('UNSUPPORTED', `${m} is not available here`));
  const client: Record<string, unknown> = {
    mode: 'browser',
    get state() {
      return conn.state;
    },
    on: <E extends EventName>(event: E, listener: (payload: StudioEvents[E]) => void) => conn.on(event, listener as (p: unknown) => void),
    onMenu: () => () => undefined,
    onConnection: (listener: (s: ConnectionState) => void) => conn.onState(listener),
    close: () => conn.close(),
  };
  for (const m of STUDIO_METHODS) client[m] = (params: unknown) => conn.call(m, params);
  for (const m of METHOD_NAMES) {
    if (client[m]) continue;
    const f = opts.files?.[m as keyof DesktopApi];
    client[m] = f ? (params: unknown) => (f as (p: unknown) => Promise<unknown>)(params ?? {}) : unsupported(m);
  }
  return client as unknown as StudioClient;
}
