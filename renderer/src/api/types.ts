/**
 * The renderer's view of the Studio API: the contract's methods and events, the desktop extras
 * (file dialogs; a download and a file input in browser mode), menu actions and the connection's
 * state. Type-only imports from main/: nothing of Node reaches the page.
 */
import type { ApiErrorShape, EventName, MethodName, Params, Result, StudioApi } from '../../../main/api/contract.js';
import type { DesktopApi, DesktopMethodName, DesktopParams, DesktopResult, MenuAction } from '../../../main/api/desktop.js';

export type { MenuAction, DesktopApi };
export type { OpenedImage, SaveFileRequest, SaveFileResult } from '../../../main/api/desktop.js';

/** `open` once the API can be called; `connecting` / `reconnecting` while a browser-mode socket is (re)opening; `closed` after close(). */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export type StudioClient = StudioApi & DesktopApi & {
  readonly mode: 'electron' | 'browser';
  /** The app menu's renderer-side commands (Electron); browser mode has no app menu and never calls it. */
  onMenu(listener: (action: MenuAction) => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  readonly state: ConnectionState;
  /** Stop: browser mode closes its socket and stops reconnecting; calls in flight fail. */
  close(): void;
};

/** A failure that crossed the boundary (or the connection's own): a stable code and a message for the user. */
export class StudioError extends Error implements ApiErrorShape {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiErrorShape };

type AnyMethod = MethodName | DesktopMethodName;
type AnyParams<M extends AnyMethod> = M extends MethodName ? Params<M> : M extends DesktopMethodName ? DesktopParams<M> : never;
type AnyResult<M extends AnyMethod> = M extends MethodName ? Result<M> : M extends DesktopMethodName ? DesktopResult<M> : never;

/** What the preload puts on `window.driftline` (preload/index.cts). */
export type DriftlineBridge = { readonly [M in AnyMethod]: (params: AnyParams<M>) => Promise<Envelope<AnyResult<M>>> } & {
  on(event: EventName | 'menu', listener: (payload: unknown) => void): () => void;
};
