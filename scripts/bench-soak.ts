/**
 * `npm run bench:soak [-- --cycles 1000] [--steps 4]`: leak check of browser mode under load. The
 * real web server and the real engine host (the embedded `emoji-32` pack) run here; one WebSocket
 * client runs `cycles` generate calls, every other one (50× longer) cancelled at its first progress event, and
 * the resident memory of the server (this process) and of the engine host (its child process, read
 * from /proc on Linux) is reported every twentieth of the run. Growth compares the peak of the
 * second half with the peak of the first (a leak keeps raising the peak; warm-up — the pack loaded,
 * V8's old space and the runtime's arenas grown — and garbage collection do not), for each process;
 * the target is < 5 %. Then `kills` times the engine host is killed (SIGKILL) in the middle of a
 * job: the job must fail with a named error, and the time until the next job has run on a fresh
 * host is reported (target < 2 s, the pack's loading included). Benchmark figures, never test
 * assertions.
 */
import { parseArgs } from 'node:util';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { EngineClient } from '../main/host/client.js';
import { startWebServer } from '../main/web/server.js';
import { decodeWire, encodeWire } from '../main/api/wire.js';

const { values } = parseArgs({ options: { cycles: { type: 'string' }, steps: { type: 'string' }, kills: { type: 'string' } } });
const cycles = Number(values.cycles ?? 1000);
const steps = Number(values.steps ?? 4);
const kills = Number(values.kills ?? 5);
if (!Number.isInteger(cycles) || cycles < 10) throw new Error('--cycles must be an integer ≥ 10');
if (!Number.isInteger(kills) || kills < 0) throw new Error('--kills must be a non-negative integer');

/** Resident set size of a process in bytes (Linux /proc), or undefined elsewhere. */
async function rssOf(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const kb = status?.match(/^VmRSS:\s+(\d+) kB/m)?.[1];
  return kb ? Number(kb) * 1024 : undefined;
}

/** The engine host: this process's child (Linux /proc), or undefined elsewhere. */
async function hostPid(): Promise<number | undefined> {
  const kids = await readFile(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').catch(() => '');
  const pid = Number(kids.trim().split(/\s+/).pop());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

const home = await mkdtemp(path.join(tmpdir(), 'driftline-soak-'));
const page = await mkdtemp(path.join(tmpdir(), 'driftline-soak-page-'));
await writeFile(path.join(page, 'index.html'), '<!doctype html><title>soak</title>');
const engine = new EngineClient({ env: { DRIFTLINE_HOME: home } });
const server = await startWebServer({ port: 0, staticDir: page, engine });
const ws = new WebSocket(server.url.replace(/^http/, 'ws').replace(/\/(\?|$)/, '/api$1'));
await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });

const waiting = new Map<number, (m: { error?: { code: string } }) => void>();
const firstProgress = new Map<string, () => void>();
ws.on('message', (d) => {
  const m = decodeWire(d.toString()) as { kind: string; id?: number; name?: string; payload?: { jobId?: string }; error?: { code: string } };
  if (m.kind === 'event' && m.name === 'onProgress' && m.payload?.jobId) {
    firstProgress.get(m.payload.jobId)?.();
    firstProgress.delete(m.payload.jobId);
  } else if (m.id !== undefined) {
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  }
});
let nextId = 1;
function call(method: string, params: unknown): Promise<{ error?: { code: string } }> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    ws.send(encodeWire({ kind: 'call', id, method, params }));
  });
}

const rows: { cycle: number; server: number; host?: number; seconds: number }[] = [];
const t0 = performance.now();
let done = 0, cancelled = 0, failed = 0;
const recoveries: number[] = [];
try {
  for (let i = 0; i < cycles; i++) {
    const jobId = `soak-${i}`;
    const cancel = i % 2 === 1;
    if (cancel) firstProgress.set(jobId, () => void call('cancel', { jobId }));
    // A cancelled job is long enough that the cancel lands while it runs.
    const reply = await call('generate', { jobId, model: 'emoji-32', prompt: 'grinning face twitter', steps: cancel ? 50 * steps : steps, cfgScale: 3, seed: i, previewEvery: 1 });
    firstProgress.delete(jobId);
    if (!reply.error) done++;
    else if (reply.error.code === 'CANCELLED') cancelled++;
    else { failed++; console.error(`cycle ${i}: ${JSON.stringify(reply.error)}`); }
    if ((i + 1) % Math.round(cycles / 20) === 0) {
      const pid = await hostPid();
      rows.push({ cycle: i + 1, server: process.memoryUsage().rss, host: pid ? await rssOf(pid) : undefined, seconds: (performance.now() - t0) / 1000 });
      const r = rows[rows.length - 1];
      console.log(`${String(r.cycle).padStart(5)} cycles  server ${(r.server / 2 ** 20).toFixed(1)} MiB  host ${r.host ? (r.host / 2 ** 20).toFixed(1) + ' MiB' : 'n/a'}  ${r.seconds.toFixed(0)} s`);
    }
  }
  // Crash recovery: kill the host mid-job; the job fails named, the next one starts a fresh host.
  for (let k = 0; k < kills; k++) {
    const jobId = `crash-${k}`;
    const pid = await hostPid();
    if (!pid) { console.log('crash recovery: the engine host\'s pid is not readable here (Linux /proc only)'); break; }
    firstProgress.set(jobId, () => process.kill(pid, 'SIGKILL'));
    const killedReply = await call('generate', { jobId, model: 'emoji-32', prompt: 'grinning face twitter', steps: 200, cfgScale: 3, seed: k });
    const t1 = performance.now();
    const next = await call('generate', { jobId: `after-${k}`, model: 'emoji-32', prompt: 'grinning face twitter', steps, cfgScale: 3, seed: k });
    const recovery = (performance.now() - t1) / 1000;
    recoveries.push(recovery);
    console.log(`crash ${k + 1}: the killed job answered ${killedReply.error?.code ?? 'a result (!)'}; the next job ${next.error ? `failed: ${next.error.code}` : 'ran'} ${recovery.toFixed(2)} s after`);
    if (!killedReply.error || next.error) failed++;
  }
} finally {
  ws.close();
  await server.close();
  await engine.close();
  await rm(home, { recursive: true, force: true });
  await rm(page, { recursive: true, force: true });
}
const half = rows.findIndex((r) => r.cycle > cycles / 2);
const peak = (rs: typeof rows, key: 'server' | 'host') => Math.max(...rs.map((r) => r[key] ?? NaN));
const growth = (key: 'server' | 'host') => {
  const a = peak(rows.slice(0, half), key), b = peak(rows.slice(half), key);
  return Number.isFinite(a) && Number.isFinite(b) ? `${(a / 2 ** 20).toFixed(1)} → ${(b / 2 ** 20).toFixed(1)} MiB (${(((b - a) / a) * 100).toFixed(1)} %)` : 'n/a';
};
console.log(`\n${cycles} generate calls (${steps} steps): ${done} finished, ${cancelled} cancelled, ${failed} failed, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
console.log(`peak RSS, first half → second half: server ${growth('server')}, engine host ${growth('host')} (target < 5 %)`);
if (recoveries.length > 0) console.log(`host killed mid-job ${recoveries.length}×: next job done on a fresh host after ${Math.min(...recoveries).toFixed(2)}–${Math.max(...recoveries).toFixed(2)} s (target < 2 s, including the pack's loading and the job itself)`);
if (failed > 0) process.exitCode = 1;
