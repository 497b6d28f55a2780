/**
 * The engine host in Electron: a utilityProcess (a Node process that Chromium's service manager
 * starts, so a crash in native inference takes down neither the main process nor the window),
 * driven by the same EngineChannel as the CLI's Node child. The electron module is passed in, so
 * this runs under plain Node in the tests.
 */
import type { ForkOptions } from 'electron';
import { EngineChannel, type HostConnection, type HostLauncher } from '../host/client.js';
import type { HostMessage } from '../host/protocol.js';

/** The part of Electron's UtilityProcess this needs. */
export interface UtilityProcessLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

export interface UtilityProcessModule {
  fork(modulePath: string, args?: string[], options?: ForkOptions): UtilityProcessLike;
}

export const ENGINE_SERVICE_NAME = 'Driftline engine';

export function utilityHostLauncher(utilityProcess: UtilityProcessModule, entry: string, options: ForkOptions = {}): HostLauncher {
  return (): HostConnection => {
    const child = utilityProcess.fork(entry, [], { serviceName: ENGINE_SERVICE_NAME, stdio: 'inherit', ...options });
    let gone = false;
    child.once('exit', () => void (gone = true));
    return {
      send: (m) => child.postMessage(m),
      onMessage: (l) => void child.on('message', (m) => l(m as HostMessage)),
      onExit: (l) => void child.once('exit', (code) => l(`exit code ${code}`)),
      kill: () =>
        gone
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              child.once('exit', () => resolve());
              if (!child.kill()) resolve();
            }),
    };
  };
}

/** The Studio API's engine in Electron: a utilityProcess running `entry`, restarted after a crash. */
export function createUtilityEngine(utilityProcess: UtilityProcessModule, entry: string, options?: ForkOptions): EngineChannel {
  return new EngineChannel(utilityHostLauncher(utilityProcess, entry, options));
}
