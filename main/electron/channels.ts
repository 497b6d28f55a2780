/**
 * The IPC channel names between the preload and the main process. Every channel carries the
 * `driftline:` prefix; the preload (preload/index.cts, which cannot import this ESM file) keeps
 * its own copy of these lists, and test/electron/preload.test.ts fails if the two diverge.
 */
import { EVENT_NAMES, METHODS, type MethodName } from '../api/contract.js';
import { DESKTOP_METHODS, type DesktopMethodName } from '../api/desktop.js';

export const CHANNEL_PREFIX = 'driftline:';
/** Main → renderer: `(name: EventName, payload)` for every engine event. */
export const EVENT_CHANNEL = `${CHANNEL_PREFIX}event`;
/** Main → renderer: `(action: MenuAction)` for the app menu's renderer-side commands. */
export const MENU_CHANNEL = `${CHANNEL_PREFIX}menu`;

export type BridgeMethodName = MethodName | DesktopMethodName;

/** Every method the preload exposes: the Studio API's, then the desktop's. */
export const BRIDGE_METHODS = [...Object.keys(METHODS), ...Object.keys(DESKTOP_METHODS)] as BridgeMethodName[];

/** The engine's events, as the preload's `on(name, …)` accepts them (plus `menu`). */
export const ENGINE_EVENTS = EVENT_NAMES;

export function methodChannel(method: BridgeMethodName): string {
  return CHANNEL_PREFIX + method;
}
