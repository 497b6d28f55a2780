// Hostile requests against browser mode, sent as raw bytes so that nothing on the client side
// normalises them first. Every one must get an answer (a 4xx, never silence) and leave the server
// serving the next request.
import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EngineClient } from '../../main/host/client.js';
import { startWebServer, type WebServer } from '../../main/web/server.js';
import { guardRequest, hostNamesLoopback } from '../../main/web/guard.js';

const entry = fileURLToPath(new URL('../host/fake-host.mjs', import.meta.url));
let server: WebServer | undefined;
let engine: EngineClient | undefined;
let logged: unknown[] = [];
afterEach(async () => {
  await server?.close();
  await engine?.close();
  server = engine = undefined;
  logged = [];
});

async function start(opts: { host?: string } = {}) {
  // The studio's files one level down, with a file beside them that must never be served.
  const parent = await mkdtemp(path.join(tmpdir(), 'driftline-web-'));
  await writeFile(path.join(parent, 'secret.txt'), 'TOP-SECRET');
  const dir = path.join(parent, 'static');
  await mkdir(dir);
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>Driftline Studio</title>');
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'assets', 'app.js'), 'console.log("studio")');
  engine = new EngineClient({ entry });
  server = await startWebServer({ ...opts, port: 0, staticDir: dir, engine, log: (...args) => logged.push(args) });
  return { s: server, port: Number(new URL(server.url).port) };
}

/** Send raw bytes and collect everything until the server closes the connection (or 3 s pass, or a lone upgrade is answered). */
function raw(port: number, ...chunks: (string | Buffer)[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect(port, '127.0.0.1');
    const got: Buffer[] = [];
    const done = () => { clearTimeout(timer); sock.destroy(); resolve(Buffer.concat(got).toString('latin1')); };
    const timer = setTimeout(done, 3000);
    sock.on('data', (d) => {
      got.push(d);
      if (/^HTTP\/1\.1 101 [^]*\r\n\r\n/.test(Buffer.concat(got).toString('latin1')) && chunks.length === 1) done();
    });
    sock.on('end', done);
    sock.on('close', done);
    sock.on('error', (e) => (got.length ? done() : reject(e)));
    sock.on('connect', () => { for (const c of chunks) sock.write(c); });
  });
}

const status = (reply: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);
const get = (target: string, host: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${extra}\r\n`;
const upgrade = (target: string, host: string, extra = '') =>
  get(target, host, `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n${extra}`).replace('Connection: close\r\n', '');

async function stillServing(port: number, query = '') {
  expect(status(await raw(port, get(`/${query}`, `127.0.0.1:${port}`)))).toBe(200);
}

describe('paths outside the studio\'s folder', () => {
  // Raw request lines: a URL built by the client would normalise `..` away before anything is sent.
  it('never serves a file outside the static folder, however the path is spelled', async () => {
    const { port } = await start();
    const host = `127.0.0.1:${port}`;
    const targets = ['/../secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..%5csecret.txt', '//../secret.txt', '/assets/../../secret.txt'];
    for (const target of targets) {
      const reply = await raw(port, get(target, host));
      expect(reply, target).not.toContain('TOP-SECRET');
      expect([400, 403, 404], `${target}: ${reply.split('\r\n')[0]}`).toContain(status(reply));
    }
    // An encoded slash is what would reach the file system as `..`: it is refused, not just missed.
    expect(status(await raw(port, get('/..%2fsecret.txt', host)))).toBe(403);
    await stillServing(port);
  });
});

describe('requests that used to end the server', () => {
  it('answers bad percent-encoding and unparsable request targets with 400', async () => {
    const { port } = await start();
    const host = `127.0.0.1:${port}`;
    for (const target of ['/assets/%', '/%E0%A4%A', 'http://[bad', '/assets/%00.js', '*']) {
      const reply = await raw(port, get(target, host));
      expect(status(reply), target).toBe(400);
      await stillServing(port);
    }
  });

  it('answers a hostile socket upgrade before parsing anything but the token', async () => {
    const { port } = await start();
    const host = `127.0.0.1:${port}`;
    expect(status(await raw(port, upgrade('/api', host, 'Origin: null\r\n')))).toBe(403);
    expect(status(await raw(port, upgrade('/api', host, 'Origin: not a url\r\n')))).toBe(403);
    expect(status(await raw(port, upgrade('http://[bad', host)))).toBe(400);
    expect(status(await raw(port, upgrade('/api%', host)))).toBe(404);
    expect(status(await raw(port, upgrade('/elsewhere', host)))).toBe(404);
    await stillServing(port);
    // The real thing still upgrades.
    expect(status(await raw(port, upgrade('/api', host, `Origin: http://${host}\r\n`)))).toBe(101);
  });

  it('checks the token first when bound beyond loopback', async () => {
    const { s, port } = await start({ host: '0.0.0.0' });
    const host = `127.0.0.1:${port}`;
    // Without the token nothing else is looked at: not the origin, not the path's encoding.
    expect(status(await raw(port, upgrade('/api', host, 'Origin: null\r\n')))).toBe(401);
    expect(status(await raw(port, upgrade('/api%', host)))).toBe(401);
    expect(status(await raw(port, get('/%', host)))).toBe(401);
    expect(status(await raw(port, upgrade('http://[bad', host)))).toBe(400);
    expect(status(await raw(port, upgrade(`/api?token=${s.token}`, host, 'Origin: null\r\n')))).toBe(403);
    expect(status(await raw(port, get(`/%?token=${s.token}`, host)))).toBe(400);
    await stillServing(port, `?token=${s.token}`);
  });

  it('survives malformed WebSocket frames', async () => {
    const { port } = await start();
    const host = `127.0.0.1:${port}`;
    // An unmasked client frame and a reserved opcode are protocol errors: the socket closes.
    const unmasked = Buffer.from([0x81, 0x02, 0x68, 0x69]);
    const reserved = Buffer.from([0x83, 0x80, 1, 2, 3, 4]);
    for (const frame of [unmasked, reserved]) {
      const reply = await raw(port, upgrade('/api', host), frame);
      expect(status(reply)).toBe(101);
      await stillServing(port);
    }
  });

  it('answers 500 and logs when a handler throws unexpectedly', async () => {
    const log: unknown[] = [];
    const handler = guardRequest(async () => { throw new Error('boom'); }, (...a) => log.push(a));
    const res = { headersSent: false, writeHead(code: number) { this.code = code; return this; }, end() { return this; }, destroy() {}, code: 0 };
    handler({} as never, res as never);
    await new Promise((r) => setTimeout(r, 10));
    expect(res.code).toBe(500);
    expect(String(log[0])).toMatch(/boom/);
  });
});

describe('DNS rebinding', () => {
  it('serves loopback only to Host names that are loopback on the bound port', async () => {
    const { port } = await start();
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `127.3.2.1:${port}`]) {
      expect(status(await raw(port, get('/', host))), host).toBe(200);
    }
    for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `localhost.:${port}`, `[::2]:${port}`, `127.0.0.256:${port}`, `localhost:${port}@evil`]) {
      const reply = await raw(port, get('/', host));
      expect(status(reply), host).toBe(421);
      expect(reply).toMatch(/only answers to localhost/);
    }
    // A rebound page is same-origin with its own Host, so the Origin check alone cannot help.
    const evil = `rebind.example:${port}`;
    expect(status(await raw(port, upgrade('/api', evil, `Origin: http://${evil}\r\n`)))).toBe(421);
    expect(status(await raw(port, 'GET / HTTP/1.0\r\n\r\n'))).toBe(421);
  });

  it('leaves names to the token when bound beyond loopback', async () => {
    const { s, port } = await start({ host: '0.0.0.0' });
    expect(status(await raw(port, get(`/?token=${s.token}`, `studio.lan:${port}`)))).toBe(200);
    expect(status(await raw(port, get('/', `studio.lan:${port}`)))).toBe(401);
  });

  it('recognises loopback Host values', () => {
    expect(hostNamesLoopback('localhost:7860', 7860)).toBe(true);
    expect(hostNamesLoopback('127.0.0.1:7860', 7860)).toBe(true);
    expect(hostNamesLoopback('[::1]:7860', 7860)).toBe(true);
    expect(hostNamesLoopback('localhost', 80)).toBe(true);
    expect(hostNamesLoopback('localhost', 7860)).toBe(false);
    expect(hostNamesLoopback(undefined, 7860)).toBe(false);
    expect(hostNamesLoopback('localhost:07860', 7860)).toBe(false);
    expect(hostNamesLoopback('localhost:7860:1', 7860)).toBe(false);
  });
});
