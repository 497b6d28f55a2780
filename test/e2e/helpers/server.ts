/** Start an extra `driftline serve` for a test (its own data folder, CPU provider) and stop it afterwards. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** DRIFTLINE_E2E_CLI: try another build of the CLI (default: this checkout's out/). */
export const CLI = process.env.DRIFTLINE_E2E_CLI ?? path.join(root, 'out', 'main', 'cli', 'driftline.js');

export interface Served {
  /** The address `serve` printed (with `?token=` when it has one). */
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * `before` runs with the server's data folder before the server starts (to store something there first);
 * `home` serves an existing data folder (a restarted server), which `stop` then leaves in place.
 */
export async function serve(args: string[], timeoutMs = 30_000, opts: { before?: (home: string) => Promise<void>; home?: string } = {}): Promise<Served> {
  const home = opts.home ?? await mkdtemp(path.join(tmpdir(), 'driftline-e2e-serve-'));
  await opts.before?.(home);
  const child: ChildProcess = spawn('nice', [process.execPath, CLI, 'serve', ...args], {
    env: { ...process.env, DRIFTLINE_HOME: home, DRIFTLINE_EP: 'cpu' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (!opts.home) await rm(home, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`driftline serve printed no address within ${timeoutMs} ms:\n${out}`)), timeoutMs);
      const check = () => {
        const m = /serving at (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`driftline serve exited (${code}):\n${out}`));
      });
    });
    return { url, output: () => out, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
