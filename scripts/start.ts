/**
 * `npm start` (after `npm run build:node` and `npm run build:web`, which the npm script runs):
 *  - opens the studio in Electron when the Electron binary is installed;
 *  - otherwise (no binary — a headless server, or an install made with
 *    ELECTRON_SKIP_BINARY_DOWNLOAD=1 — or DRIFTLINE_NO_ELECTRON=1) serves it in browser mode, as
 *    `driftline serve` does, and prints the address to open.
 *
 *   npm start -- [--host 127.0.0.1] [--port 7860] [--token TOKEN]   browser-mode address
 *   npm start -- --self-check                                        the sampler engine's self-check
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { appRoot } from '../main/app-root.js';
import { EngineClient } from '../main/host/client.js';
import { startWebServer } from '../main/web/server.js';
import { rendererDir } from '../main/web/static.js';
import { selfCheck } from '../main/engine/self-check.js';

const root = appRoot();
const { values } = parseArgs({
  options: { host: { type: 'string' }, port: { type: 'string' }, token: { type: 'string' }, 'self-check': { type: 'boolean' } },
  strict: true,
});

function electronBinary(): string | undefined {
  try {
    const bin = createRequire(import.meta.url)('electron') as unknown;
    return typeof bin === 'string' && existsSync(bin) ? bin : undefined;
  } catch {
    return undefined; // the electron package throws when its binary was never downloaded
  }
}

async function browserMode(reason: string): Promise<void> {
  const port = values.port === undefined ? 7860 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0–65535, got ${values.port}`);
  const engine = new EngineClient();
  const server = await startWebServer({ host: values.host, port, token: values.token, staticDir: rendererDir(), engine });
  console.log(`${reason}, so the studio runs in browser mode instead.`);
  console.log(`\n  Open ${server.url} in Chromium, Chrome, Edge or Firefox.\n`);
  if (server.token) console.log('Bound beyond loopback: the address above carries the access token; keep it private.');
  if (path.basename(rendererDir()) !== 'dist') console.log('Note: the renderer is not built (no renderer/dist/index.html): the page served is renderer/index.html as it stands.');
  console.log('Press Ctrl+C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await engine.close();
}

async function main(): Promise<number> {
  if (values['self-check']) {
    const rows = await selfCheck();
    for (const r of rows) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(26)} ${r.detail}`);
    return rows.every((r) => r.ok) ? 0 : 1;
  }
  const bin = electronBinary();
  if (bin && process.env.DRIFTLINE_NO_ELECTRON !== '1') {
    const child = spawn(bin, [root], { stdio: 'inherit' });
    return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 0)));
  }
  await browserMode(bin ? 'DRIFTLINE_NO_ELECTRON=1 is set' : 'The Electron binary is not installed here (no window can open)');
  return 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`npm start: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
