/**
 * `npm run bench:canvas [-- --size 4096] [--seconds 2] [--runs 1]`: the studio canvas in Chromium.
 * Starts `driftline serve` (CPU provider, a throwaway DRIFTLINE_HOME) and measures
 *  - start-up: from `serve` being started to the server answering, the page's first contentful
 *    paint, the stage's first drawn frame, and the engine's model list arriving;
 *  - dragging: a size×size image (drawn in the page, encoded as PNG) becomes a layer, and the
 *    mouse drags it around for `seconds`; frame times are requestAnimationFrame deltas measured
 *    in the page while the drag runs (p50, p95, max).
 * Uses Debian's Chromium (/usr/bin/chromium, or DRIFTLINE_CHROMIUM) through Playwright; needs
 * `npm run build:node && npm run build:web`. Prints numbers; asserts nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { chromium, type Page } from '@playwright/test';
import { appRoot } from '../main/app-root.js';

// The few page globals used below (this file compiles without the DOM library).
interface PageGlobals {
  document: {
    querySelector(sel: string): { getBoundingClientRect(): { x: number; y: number; width: number; height: number } } | null;
  };
  OffscreenCanvas: new (w: number, h: number) => {
    getContext(kind: '2d'): {
      fillStyle: unknown;
      fillRect(x: number, y: number, w: number, h: number): void;
      createLinearGradient(x0: number, y0: number, x1: number, y1: number): { addColorStop(o: number, c: string): void };
      beginPath(): void;
      arc(x: number, y: number, r: number, a0: number, a1: number): void;
      fill(): void;
    } | null;
    convertToBlob(o?: { type?: string }): Promise<object>;
  };
  MutationObserver: new (cb: () => void) => { observe(target: unknown, o: { childList: boolean; subtree: boolean }): void; disconnect(): void };
  requestAnimationFrame(cb: (t: number) => void): number;
  performance: { now(): number; timeOrigin: number; getEntriesByName(name: string): { startTime: number }[] };
  driftlineStudio?: {
    app: { getState(): { connection: string; models: unknown[] } };
    editor: { doc: { canvas: { width: number; height: number }; layers: { x: number; y: number; width: number; pixelId: string }[] }; documentToScreen(p: { x: number; y: number }): { x: number; y: number }; viewport: { zoom: number } };
    bank: { image(id: string): object | null };
    addImage(blob: object, opts?: { name?: string }): Promise<string | null>;
  };
  __bench?: { stageAt?: number; stageFrameAt?: number; frames?: number[]; recording?: boolean };
}

const { values } = parseArgs({ options: { size: { type: 'string' }, seconds: { type: 'string' }, runs: { type: 'string' } } });
const SIZE = Number(values.size ?? 4096);
const SECONDS = Number(values.seconds ?? 2);
const RUNS = Math.max(1, Number(values.runs ?? 1));
const root = appRoot();
const cli = path.join(root, 'out', 'main', 'cli', 'driftline.js');
const executablePath = process.env.DRIFTLINE_CHROMIUM ?? '/usr/bin/chromium';

const missing = [
  !existsSync(cli) && 'out/main/cli/driftline.js (npm run build:node)',
  !existsSync(path.join(root, 'renderer', 'dist', 'index.html')) && 'renderer/dist/index.html (npm run build:web)',
  !existsSync(executablePath) && `${executablePath} (apt-get install -y chromium, or set DRIFTLINE_CHROMIUM)`,
].filter(Boolean);
if (missing.length) {
  console.error(`bench:canvas needs:\n  ${missing.join('\n  ')}`);
  process.exit(2);
}

const freePort = () => new Promise<number>((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const epochNow = () => performance.timeOrigin + performance.now();

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i), hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Record, from the first script on, when the stage gets its canvas and when the frame after that is drawn. */
function stageWatcher(): void {
  const w = globalThis as unknown as PageGlobals;
  const bench: NonNullable<PageGlobals['__bench']> = (w.__bench = {});
  const check = () => {
    if (bench.stageAt !== undefined || !w.document.querySelector('[data-testid=stage] canvas')) return false;
    bench.stageAt = w.performance.now();
    w.requestAnimationFrame(() => w.requestAnimationFrame(() => (bench.stageFrameAt = w.performance.now())));
    return true;
  };
  const mo = new w.MutationObserver(() => {
    if (check()) mo.disconnect();
  });
  mo.observe(w.document, { childList: true, subtree: true });
}

async function startup(page: Page): Promise<{ server: { stop(): Promise<void> }; lines: [string, number][] }> {
  const home = await mkdtemp(path.join(tmpdir(), 'driftline-bench-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const t0 = epochNow();
  const child = spawn(process.execPath, [cli, 'serve', '--port', String(port)], { env: { ...process.env, DRIFTLINE_HOME: home, DRIFTLINE_EP: 'cpu' }, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.resume();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const server = {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      await rm(home, { recursive: true, force: true });
    },
  };
  let tHttp = 0;
  for (let i = 0; i < 600 && !tHttp; i++) {
    try {
      if ((await fetch(url)).ok) tHttp = epochNow();
    } catch {
      await sleep(20);
    }
    if (child.exitCode !== null) throw new Error('driftline serve exited early');
  }
  if (!tHttp) throw new Error('driftline serve did not answer within ~12 s');
  await page.goto(url);
  await page.waitForFunction(() => {
    const s = (globalThis as unknown as PageGlobals).driftlineStudio?.app.getState();
    return !!s && s.connection === 'open' && s.models.length > 0;
  }, undefined, { timeout: 60_000, polling: 10 });
  const tModels = epochNow();
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__bench?.stageFrameAt !== undefined);
  const p = await page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals;
    const fcp = w.performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
    return { origin: w.performance.timeOrigin, fcp, stage: w.__bench!.stageAt!, stageFrame: w.__bench!.stageFrameAt! };
  });
  return {
    server,
    lines: [
      ['server answers HTTP', tHttp - t0],
      ['first contentful paint', p.origin + p.fcp - t0],
      ['stage canvas created', p.origin + p.stage - t0],
      ['stage first frame drawn', p.origin + p.stageFrame - t0],
      ['engine connected, models listed', tModels - t0],
    ],
  };
}

async function dragRun(page: Page): Promise<{ add: { encodeMs: number; addMs: number }; frames: number[]; moves: number; moved: { dx: number; dy: number }; zoom: number }> {
  const add = await page.evaluate(async (size) => {
    const w = globalThis as unknown as PageGlobals;
    const st = w.driftlineStudio!;
    const t0 = w.performance.now();
    const c = new w.OffscreenCanvas(size, size);
    const g = c.getContext('2d')!;
    const grad = g.createLinearGradient(0, 0, size, size);
    grad.addColorStop(0, '#1d3b6f');
    grad.addColorStop(1, '#f0a830');
    g.fillStyle = grad;
    g.fillRect(0, 0, size, size);
    for (let i = 0; i < 64; i++) {
      g.fillStyle = `hsl(${(i * 47) % 360} 70% 55%)`;
      g.beginPath();
      g.arc(((i * 733) % size), ((i * 1291) % size), size / 24, 0, Math.PI * 2);
      g.fill();
    }
    const blob = await c.convertToBlob({ type: 'image/png' });
    const t1 = w.performance.now();
    await st.addImage(blob, { name: 'bench.png' });
    return { encodeMs: t1 - t0, addMs: w.performance.now() - t1 };
  }, SIZE);
  // The layer is the only one and fills the fitted canvas; wait for its bitmap and two frames.
  await page.waitForFunction(() => {
    const st = (globalThis as unknown as PageGlobals).driftlineStudio!;
    const l = st.editor.doc.layers[0];
    return !!l && !!st.bank.image(l.pixelId);
  });
  await page.evaluate(() => new Promise<void>((r) => {
    const w = globalThis as unknown as PageGlobals;
    w.requestAnimationFrame(() => w.requestAnimationFrame(() => r()));
  }));
  const { centre, start, zoom } = await page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals;
    const st = w.driftlineStudio!;
    const r = w.document.querySelector('[data-testid=stage]')!.getBoundingClientRect();
    const { width, height } = st.editor.doc.canvas;
    const p = st.editor.documentToScreen({ x: width / 2, y: height / 2 });
    const l = st.editor.doc.layers[0];
    return { centre: { x: r.x + p.x, y: r.y + p.y }, start: { x: l.x, y: l.y }, zoom: st.editor.viewport.zoom };
  });

  // Record rAF deltas in the page while the mouse drags the layer in circles.
  await page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals;
    const b = w.__bench!;
    b.frames = [];
    b.recording = true;
    let last = -1;
    const tick = (t: number) => {
      if (!b.recording) return;
      if (last >= 0) b.frames!.push(t - last);
      last = t;
      w.requestAnimationFrame(tick);
    };
    w.requestAnimationFrame(tick);
  });
  await page.mouse.move(centre.x, centre.y);
  await page.mouse.down();
  const t0 = performance.now();
  let moves = 0;
  const radius = 120;
  while (performance.now() - t0 < SECONDS * 1000) {
    const a = ((performance.now() - t0) / 1000) * Math.PI * 2; // one turn a second
    await page.mouse.move(centre.x + radius * Math.sin(a) + 20, centre.y - radius * (1 - Math.cos(a)) + 10);
    moves++;
    await sleep(4);
  }
  await page.mouse.up();
  const frames = await page.evaluate(() => {
    const b = (globalThis as unknown as PageGlobals).__bench!;
    b.recording = false;
    return b.frames!;
  });
  const end = await page.evaluate(() => {
    const l = (globalThis as unknown as PageGlobals).driftlineStudio!.editor.doc.layers[0];
    return { x: l.x, y: l.y };
  });
  return { add, frames, moves, moved: { dx: end.x - start.x, dy: end.y - start.y }, zoom };
}

const browser = await chromium.launch({ executablePath, headless: true, args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
try {
  console.log(`bench:canvas — Chromium ${browser.version()} (headless), ${SIZE}×${SIZE} layer, ${SECONDS} s drag, ${RUNS} run${RUNS === 1 ? '' : 's'}`);
  for (let run = 1; run <= RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.addInitScript(stageWatcher);
    const { server, lines } = await startup(page);
    try {
      console.log(`\nrun ${run}: from \`driftline serve\` started to`);
      for (const [label, t] of lines) console.log(`  ${label.padEnd(34)} ${ms(t).padStart(10)}`);
      const r = await dragRun(page);
      const sorted = [...r.frames].sort((a, b) => a - b);
      const total = r.frames.reduce((a, b) => a + b, 0);
      console.log(`  ${SIZE}×${SIZE} image: drawn and PNG-encoded in the page ${ms(r.add.encodeMs)}, decoded and added as a layer ${ms(r.add.addMs)} (view zoom ${(r.zoom * 100).toFixed(1)} %)`);
      console.log(`  drag: ${r.moves} mouse moves, layer moved by (${r.moved.dx}, ${r.moved.dy}) px`);
      console.log(`  frames during the drag: ${r.frames.length} in ${ms(total)} → ${(r.frames.length / (total / 1000)).toFixed(1)} fps`);
      console.log(`  frame time p50 ${ms(quantile(sorted, 0.5))}  p95 ${ms(quantile(sorted, 0.95))}  max ${ms(sorted.at(-1) ?? NaN)}  (> 33 ms: ${r.frames.filter((f) => f > 33.4).length})`);
    } finally {
      await context.close();
      await server.stop();
    }
  }
} finally {
  await browser.close();
}
