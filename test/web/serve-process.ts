// Browser mode as its own process, the way `driftline serve` runs it (serve-child.mjs: the compiled
// server and the fake engine host), so that anything escaping the handlers shows as an exit; and
// the socket helpers the browser-mode tests share. The child runs the compiled code
// (`npm run build:node` first; `npm test` does).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const script = fileURLToPath(new URL('./serve-child.mjs', import.meta.url));

export interface ServeProcess {
  url: URL;
  child: ChildProcess;
  /** Everything the process has written to stderr so far. */
  stderr(): string;
  /** Has it exited (for whatever reason)? */
  exited(): boolean;
  stop(): void;
}

export function serveProcess(host = '127.0.0.1'): Promise<ServeProcess> {
  const child = spawn(process.execPath, [script, host], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve({
      url: new URL(JSON.parse(String(d)).url),
      child,
      stderr: () => err,
      exited: () => child.exitCode !== null || child.signalCode !== null,
      stop: () => void child.kill('SIGTERM'),
    }));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
}

/** The WebSocket address of the API for a server's page address (the token, if any, kept). */
export const apiUrl = (s: { url: string | URL }) => String(s.url).replace(/^http/, 'ws').replace(/\/(\?|$)/, '/api$1');

export function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}
