/** The Studio API in Electron: `window.driftline` (the preload's bridge), its envelopes turned back into results and errors. */
import type { EventName, StudioEvents } from '../../../main/api/contract.js';
import { METHOD_NAMES } from './methods.js';
import { StudioError, type DriftlineBridge, type Envelope, type MenuAction, type StudioClient } from './types.js';

function unwrap<T>(env: Envelope<T>): T {
  if (env && typeof env === 'object' && env.ok === true) return env.value;
  if (env && typeof env === 'object' && env.ok === false) throw new StudioError(env.error.code, env.error.message);
  throw new StudioError('IPC_ERROR', 'the main process sent an unexpected reply');
}

/** Is this object the preload's bridge (every method and `on`)? */
export function isBridge(value: unknown): value is DriftlineBridge {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.on === 'function' && METHOD_NAMES.every((m) => typeof v[m] === 'function');
}

export function createBridgeClient(bridge: DriftlineBridge): StudioClient {
  const client: Record<string, unknown> = {
    mode: 'electron',
    state: 'open',
    on: <E extends EventName>(event: E, listener: (payload: StudioEvents[E]) => void) => bridge.on(event, listener as (p: unknown) => void),
    onMenu: (listener: (action: MenuAction) => void) => bridge.on('menu', listener as (p: unknown) => void),
    // Nothing to reconnect: IPC lives as long as the window.
    onConnection: () => () => undefined,
    close: () => undefined,
  };
  for (const m of METHOD_NAMES) {
    const invoke = bridge[m] as (params: unknown) => Promise<Envelope<unknown>>;
    client[m] = async (params: unknown) => {
      let env: Envelope<unknown>;
      try {
        env = await invoke(params ?? {});
      } catch (e) {
        // No handler, or the main process refused the message itself.
        throw new StudioError('IPC_ERROR', e instanceof Error ? e.message : String(e));
      }
      return unwrap(env);
    };
  }
  return client as unknown as StudioClient;
}
