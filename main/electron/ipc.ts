/**
 * The one place that wires the Studio API (and the desktop extras) to Electron's IPC, as VS Code
 * wires its services to channels: `ipcMain.handle('driftline:<method>')` for every method, each
 * checking its sender and validating its parameters against the contract before anything runs;
 * engine events go to the windows on `driftline:event`. Replies are envelopes —
 * `{ ok: true, value }` or `{ ok: false, error: { code, message } }` — because Electron keeps only
 * the message of an Error thrown from a handler; the renderer's client turns them back into errors.
 */
import { ApiError, isMethod, parseParams, type ApiErrorShape, type EventName, type MethodName, type Params, type Result, type StudioEvents } from '../api/contract.js';
import { toErrorShape } from '../host/protocol.js';
import { DESKTOP_METHODS, type DesktopMethodName, type DesktopResult, type SaveFileRequest, type StartDragRequest } from '../api/desktop.js';
import { BRIDGE_METHODS, ENGINE_EVENTS, EVENT_CHANNEL, methodChannel } from './channels.js';

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiErrorShape };

/** What `ipcMain.handle` hands a handler, as far as this needs it. */
export interface InvokeEventLike {
  senderFrame?: { url: string } | null;
  /** The WebContents that asked (opaque here; index.ts maps it to its window). */
  sender?: unknown;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** The engine as the wiring needs it (EngineChannel / EngineClient). */
export interface EngineLike {
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  on<E extends EventName>(event: E, listener: (payload: StudioEvents[E]) => void): () => void;
}

/** The desktop extras, given validated parameters and the window that asked. */
export interface DesktopHandlers {
  saveFile(params: SaveFileRequest, event: InvokeEventLike): Promise<DesktopResult<'saveFile'>>;
  openImage(params: Record<string, never>, event: InvokeEventLike): Promise<DesktopResult<'openImage'>>;
  /** Starts a native drag from `event.sender`. */
  startDrag(params: StartDragRequest, event: InvokeEventLike): Promise<DesktopResult<'startDrag'>>;
}

export interface WireOptions {
  ipcMain: IpcMainLike;
  engine: EngineLike;
  desktop: DesktopHandlers;
  /** Send to every studio window (`webContents.send`). */
  broadcast: (channel: string, ...args: unknown[]) => void;
  /** Only the studio's own page may call (a frame from another origin never gets this far, but check anyway). */
  isTrustedSender: (event: InvokeEventLike) => boolean;
}

function isDesktopMethod(name: string): name is DesktopMethodName {
  return Object.prototype.hasOwnProperty.call(DESKTOP_METHODS, name);
}

function parseDesktopParams(method: DesktopMethodName, params: unknown): unknown {
  const r = DESKTOP_METHODS[method].params.safeParse(params ?? {});
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ');
    throw new ApiError('BAD_REQUEST', `invalid ${method} request — ${detail}`);
  }
  return r.data;
}

/** Register every handler and the event forwarding; returns the undo. */
export function wireStudioIpc(opts: WireOptions): () => void {
  const { ipcMain, engine, desktop } = opts;
  const channels: string[] = [];
  for (const method of BRIDGE_METHODS) {
    const channel = methodChannel(method);
    channels.push(channel);
    ipcMain.handle(channel, async (event, params): Promise<Envelope<unknown>> => {
      try {
        if (!opts.isTrustedSender(event)) throw new ApiError('FORBIDDEN', 'this page may not use the Studio API');
        if (isMethod(method)) {
          const parsed = parseParams(method, params);
          return { ok: true, value: await engine.call(method, parsed as Params<typeof method>) };
        }
        if (isDesktopMethod(method)) {
          const parsed = parseDesktopParams(method, params);
          return { ok: true, value: await (desktop[method] as (p: unknown, e: InvokeEventLike) => Promise<unknown>)(parsed, event) };
        }
        throw new ApiError('UNKNOWN_METHOD', `unknown method "${method}"`);
      } catch (e) {
        return { ok: false, error: toErrorShape(e) };
      }
    });
  }
  const unsubscribe = ENGINE_EVENTS.map((name) => engine.on(name, (payload) => opts.broadcast(EVENT_CHANNEL, name, payload)));
  return () => {
    for (const c of channels) ipcMain.removeHandler(c);
    for (const off of unsubscribe) off();
  };
}
