/**
 * The one place that wires the Studio API (and the desktop extras) to Electron's IPC, as VS Code
 * wires its services to channels: `ipcMain.handle('driftline:<method>')` for every method, served
 * by the one dispatcher (main/api/dispatcher.ts) with each window's WebContents as a connection —
 * so a window's jobs are its own (their progress goes to it only, only it can cancel them, and
 * they are cancelled when the window goes away), as a socket's are in browser mode. The sender is
 * checked before anything else. Replies are envelopes — `{ ok: true, value }` or
 * `{ ok: false, error: { code, message } }` — because Electron keeps only the message of an Error
 * thrown from a handler; the renderer's client turns them back into errors.
 */
import { ApiError, type ApiErrorShape, type EventName, type MethodName, type Params, type Result, type StudioEvents } from '../api/contract.js';
import { clientBackend, Dispatcher, toErrorShape, type Connection, type ExtraMethod } from '../api/dispatcher.js';
import { DESKTOP_METHODS, type DesktopMethodName, type DesktopResult, type SaveFileRequest, type ShowInFolderRequest, type StartDragRequest } from '../api/desktop.js';
import { BRIDGE_METHODS, EVENT_CHANNEL, methodChannel } from './channels.js';

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiErrorShape };

/** What `ipcMain.handle` hands a handler, as far as this needs it. */
export interface InvokeEventLike {
  senderFrame?: { url: string } | null;
  /** The WebContents that asked (opaque here; index.ts sends to it and watches it go away). */
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
  /** Reveals a gallery image in the system's file manager. */
  showInFolder(params: ShowInFolderRequest, event: InvokeEventLike): Promise<DesktopResult<'showInFolder'>>;
}

export interface WireOptions {
  ipcMain: IpcMainLike;
  engine: EngineLike;
  desktop: DesktopHandlers;
  /** Send to one window (`sender.send(channel, …)` on its WebContents, if it still exists). */
  send: (sender: unknown, channel: string, ...args: unknown[]) => void;
  /** Call `gone` once when the window behind `sender` is destroyed (its connection closes then). */
  whenGone?: (sender: unknown, gone: () => void) => void;
  /** Only the studio's own page may call (a frame from another origin never gets this far, but check anyway). */
  isTrustedSender: (event: InvokeEventLike) => boolean;
}

/** Register every handler and the event routing; returns the undo. */
export function wireStudioIpc(opts: WireOptions): () => void {
  const { ipcMain, desktop } = opts;
  // The desktop extras get the call's own event: dialogs attach to its window, drags start from it.
  const extras = Object.fromEntries((Object.keys(DESKTOP_METHODS) as DesktopMethodName[]).map((m): [string, ExtraMethod<unknown, InvokeEventLike>] => [m, {
    params: DESKTOP_METHODS[m].params,
    run: (params, _sender, event) => (desktop[m] as (p: unknown, e: InvokeEventLike) => Promise<unknown>)(params, event),
  }]));
  const dispatcher = new Dispatcher<unknown, InvokeEventLike>({ backend: clientBackend(opts.engine), extras, ownJobs: true });
  const connections = new Map<unknown, Connection<InvokeEventLike>>();
  /** The asking window's connection: one per WebContents, made at its first call, closed when it goes away. */
  const connectionOf = (sender: unknown): Connection<InvokeEventLike> => {
    const known = connections.get(sender);
    if (known) return known;
    const conn = dispatcher.connect((e) => opts.send(sender, EVENT_CHANNEL, e.name, e.payload), sender);
    connections.set(sender, conn);
    opts.whenGone?.(sender, () => {
      conn.close();
      if (connections.get(sender) === conn) connections.delete(sender);
    });
    return conn;
  };
  const channels: string[] = [];
  for (const method of BRIDGE_METHODS) {
    const channel = methodChannel(method);
    channels.push(channel);
    ipcMain.handle(channel, async (event, params): Promise<Envelope<unknown>> => {
      if (!opts.isTrustedSender(event)) return { ok: false, error: toErrorShape(new ApiError('FORBIDDEN', 'this page may not use the Studio API')) };
      const reply = await connectionOf(event.sender).call({ kind: 'call', id: 0, method, params }, event);
      return reply.ok ? { ok: true, value: reply.value } : { ok: false, error: reply.error };
    });
  }
  return () => {
    for (const c of channels) ipcMain.removeHandler(c);
    dispatcher.dispose();
    connections.clear();
  };
}
