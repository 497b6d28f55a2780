/**
 * End-to-end tests of the studio in browser mode: Playwright drives Debian's Chromium
 * (/usr/bin/chromium; Playwright's own browser downloads are never used) against
 * `driftline serve` on a free loopback port, with a throwaway DRIFTLINE_HOME and the CPU
 * execution provider. Needs the built app: `npm run build:node && npm run build:web`.
 *
 * The config is evaluated by the runner and again by every worker; what must be the same in
 * all of them (the port, the data folder) is decided once and handed down through the
 * environment, which workers inherit.
 */
import { defineConfig } from '@playwright/test';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(root, 'out', 'main', 'cli', 'driftline.js');
const page = path.join(root, 'renderer', 'dist', 'index.html');
export const CHROMIUM = process.env.DRIFTLINE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const missing = [
  !existsSync(cli) && `${path.relative(root, cli)} (run \`npm run build:node\`)`,
  !existsSync(page) && `${path.relative(root, page)} (run \`npm run build:web\`)`,
  !existsSync(CHROMIUM) && `${CHROMIUM} (install Debian's chromium: \`apt-get install -y chromium\`, or set DRIFTLINE_CHROMIUM)`,
].filter(Boolean);
if (missing.length) {
  throw new Error(`The end-to-end tests need the built studio and a Chromium; missing:\n  ${missing.join('\n  ')}\n` +
    'Build with `npm run build:node && npm run build:web` (or run `npm run test:e2e`, which builds first).');
}

/** The newest modification time under `dir` (files only). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
if (!process.env.DRIFTLINE_E2E_PORT && newest(path.join(root, 'renderer', 'src')) > statSync(page).mtimeMs) {
  console.warn('warning: renderer/src is newer than renderer/dist; the tests run the old build (npm run build:web).');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

process.env.DRIFTLINE_E2E_PORT ??= String(await freePort());
process.env.DRIFTLINE_E2E_HOME ??= mkdtempSync(path.join(tmpdir(), 'driftline-e2e-'));
const port = Number(process.env.DRIFTLINE_E2E_PORT);
const baseURL = `http://127.0.0.1:${port}/`;

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/e2e',
  globalTeardown: './test/e2e/global-teardown.ts',
  // Two shared cores and one engine: one worker, flows in a fixed order.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    baseURL,
    headless: true,
    viewport: { width: 1400, height: 900 },
    deviceScaleFactor: 1,
    acceptDownloads: true,
    // Every flow saves its own named screenshots (helpers/studio.ts `shot`); this adds the failing moment.
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
  },
  projects: [{ name: 'chromium' }],
  webServer: {
    command: `nice node ${JSON.stringify(cli)} serve --port ${port}`,
    url: baseURL,
    env: { DRIFTLINE_HOME: process.env.DRIFTLINE_E2E_HOME, DRIFTLINE_EP: 'cpu' },
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
  },
});
