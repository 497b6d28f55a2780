import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { EngineClient } from '../../main/host/client.js';
import { startWebServer, isLoopback, type WebServer } from '../../main/web/server.js';
import { MAX_MESSAGE_DEPTH, base64ToBytes, bytesToBase64, decodeFrame, decodeWire, encodeFrame, encodeWire } from '../../main/api/wire.js';
import { apiUrl, connect } from './serve-process.js';

const entry = fileURLToPath(new URL('../host/fake-host.mjs', import.meta.url));
let server: WebServer | undefined;
let engine: EngineClient | undefined;
afterEach(async () => {
  await server?.close();
  await engine?.close();
  server = engine = undefined;
});

async function start(opts: { host?: string; token?: string } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'driftline-web-'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>Driftline Studio</title><script type="module" src="./assets/app.js"></script>');
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'assets', 'app.js'), 'console.log("studio")');
  await writeFile(path.join(dir, 'assets', 'app.js.map'), '{"version":3,"sources":["secret-source.ts"]}');
  engine = new EngineClient({ entry });
  server = await startWebServer({ ...opts, port: 0, staticDir: dir, engine });
  return server;
}

function call(ws: WebSocket, id: number, method: string, params: unknown): Promise<{ reply: any; events: any[] }> {
  const events: any[] = [];
  return new Promise((resolve) => {
    ws.on('message', (d) => {
      const m = decodeWire(d.toString()) as any;
      if (m.kind === 'event') events.push(m);
      else if (m.id === id) resolve({ reply: m, events });
    });
    ws.send(encodeWire({ kind: 'call', id, method, params }));
  });
}

describe('browser mode server', () => {
  it('serves the UI and the API on loopback without a token; bytes and events cross the socket', async () => {
    const s = await start();
    expect(s.token).toBeUndefined();
    const page = await fetch(s.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await page.text()).toMatch(/Driftline Studio/);
    // Paths outside the static folder: raw request lines in hostile.test.ts (a URL built here normalises `..` away).
    const ws = await connect(apiUrl(s));
    const { reply, events } = await call(ws, 1, 'generate', { jobId: 'w', model: 'm', prompt: 'a cat', steps: 3, cfgScale: 7, seed: 1, init: { image: new Uint8Array([9, 8, 7]), strength: 0.5 } });
    expect(reply.ok).toBe(true);
    expect(reply.value.images[0].png).toBeInstanceOf(Uint8Array);
    expect(events.map((e) => e.payload.step)).toEqual([1, 2, 3]);
    ws.close();
  });

  it('gives a job to the socket that started it: only it hears its progress, only it can cancel it, and closing it cancels the job', async () => {
    const s = await start();
    const a = await connect(apiUrl(s));
    const b = await connect(apiUrl(s));
    const heardByB: any[] = [];
    b.on('message', (d) => { const m = decodeWire(d.toString()) as any; if (m.kind === 'event') heardByB.push(m); });
    const heardByA: any[] = [];
    a.on('message', (d) => { const m = decodeWire(d.toString()) as any; if (m.kind === 'event') heardByA.push(m); });
    const long = { jobId: 'a-job', model: 'm', prompt: 'x', steps: 400, cfgScale: 7, seed: 1 };
    a.send(encodeWire({ kind: 'call', id: 1, method: 'generate', params: long }));
    while (heardByA.length < 3) await new Promise((r) => setTimeout(r, 10));
    // B may not cancel A's job, and hears none of its events.
    const { reply: cancel } = await call(b, 2, 'cancel', { jobId: 'a-job' });
    expect(cancel.value).toEqual({ cancelled: false });
    const { reply: running } = await call(b, 3, 'inspectModel', { model: 'running' });
    expect(running.value.info.running).toEqual(['a-job']);
    // B's own job is B's alone; a second job under a running id is refused.
    const { reply: own } = await call(b, 4, 'generate', { ...long, jobId: 'b-job', steps: 3 });
    expect(own.ok).toBe(true);
    const { reply: dup } = await call(b, 5, 'generate', { ...long, steps: 3 });
    expect(dup.error.code).toBe('DUPLICATE_JOB');
    expect(heardByB.every((e) => e.payload.jobId === 'b-job')).toBe(true);
    expect(heardByB.length).toBe(3);
    expect(heardByA.every((e) => e.payload.jobId === 'a-job')).toBe(true);
    // A goes away mid-job: its job is cancelled.
    a.close();
    let left: string[] = ['a-job'];
    for (let i = 0; i < 50 && left.length; i++) {
      await new Promise((r) => setTimeout(r, 20));
      left = (await call(b, 10 + i, 'inspectModel', { model: 'running' })).reply.value.info.running;
    }
    expect(left).toEqual([]);
    b.close();
  });

  it('validates requests at the socket', async () => {
    const s = await start();
    const ws = await connect(apiUrl(s));
    expect((await call(ws, 2, 'generate', { jobId: 'x', steps: 'many' })).reply.error.code).toBe('BAD_REQUEST');
    expect((await call(ws, 3, 'shutdown', {})).reply.error.code).toBe('UNKNOWN_METHOD');
    // A method that takes no parameters may leave them out, as it may send null or {}.
    const bare = await new Promise<any>((resolve) => {
      ws.on('message', (d) => { const m = decodeWire(d.toString()) as any; if (m.id === 4) resolve(m); });
      ws.send(JSON.stringify({ kind: 'call', id: 4, method: 'listSamplers' }));
    });
    expect(bare).toMatchObject({ id: 4, ok: true });
    ws.send('not json');
    ws.close();
  });

  it('refuses sockets from other web origins (cross-site WebSocket hijacking)', async () => {
    const s = await start();
    await expect(connect(apiUrl(s), { Origin: 'https://evil.example' })).rejects.toThrow(/403/);
    const own = new URL(s.url).origin;
    (await connect(apiUrl(s), { Origin: own })).close();
  });

  it('requires the access token when bound beyond loopback', async () => {
    const s = await start({ host: '0.0.0.0' });
    expect(s.token).toMatch(/^[\w-]{20,}$/);
    expect(s.url).toContain(`?token=${s.token}`);
    const bare = s.url.replace(/\?token=.*$/, '');
    expect((await fetch(bare)).status).toBe(401);
    expect((await fetch(s.url)).status).toBe(200);
    // The page's bundle loads by relative URL, without the query string.
    const asset = await fetch(new URL('assets/app.js', bare));
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    await expect(connect(apiUrl({ ...s, url: bare }))).rejects.toThrow(/401/);
    await expect(connect(apiUrl(s).replace(s.token!, 'x'.repeat(s.token!.length)))).rejects.toThrow(/401/);
    const ws = await connect(apiUrl(s));
    expect((await call(ws, 1, 'listSamplers', {})).reply.ok).toBe(true);
    ws.close();
  });

  it('gives a page opened with its token an HttpOnly cookie, so it can drop the token from its address and still reload and connect', async () => {
    const s = await start({ host: '0.0.0.0' });
    const bare = s.url.replace(/\?token=.*$/, '');
    const first = await fetch(s.url);
    expect(first.headers.get('referrer-policy')).toBe('no-referrer');
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toBe(`driftline-token=${s.token}; HttpOnly; SameSite=Strict; Path=/`);
    const jar = cookie.split(';')[0];
    expect((await fetch(bare, { headers: { cookie: jar } })).status, 'a reload of the bare address').toBe(200);
    expect((await fetch(bare, { headers: { cookie: `driftline-token=${'x'.repeat(s.token!.length)}` } })).status).toBe(401);
    expect((await fetch(bare, { headers: { cookie: jar } })).headers.get('set-cookie'), 'given only with the token in the address').toBeNull();
    const ws = await connect(apiUrl({ ...s, url: bare }), { cookie: jar });
    expect((await call(ws, 1, 'listSamplers', {})).reply.ok).toBe(true);
    ws.close();
    // Source maps are not served beyond loopback (they would hand out the whole source).
    expect((await fetch(new URL('assets/app.js.map', s.url))).status).toBe(404);
  });

  it('serves source maps on loopback, and every page says no-referrer', async () => {
    const s = await start();
    expect((await fetch(new URL('assets/app.js.map', s.url))).status).toBe(200);
    expect((await fetch(s.url)).headers.get('referrer-policy')).toBe('no-referrer');
    expect((await fetch(s.url)).headers.get('set-cookie')).toBeNull();
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '192.168.1.5', '::', 'example.com'].some(isLoopback)).toBe(false);
  });
});

describe('malformed messages over the socket', () => {
  it('answer BAD_REQUEST naming what is wrong, not an engine error', async () => {
    const s = await start();
    const ws = await connect(apiUrl(s));
    const reply = await new Promise<any>((resolve) => {
      ws.on('message', (d) => resolve(decodeWire(d.toString())));
      ws.send(JSON.stringify({ kind: 'call', id: 7, method: 'generate', params: { jobId: 'b', model: 'm', prompt: '', steps: 1, cfgScale: 1, seed: 1, init: { image: { $bytes: '@@@@' }, strength: 0.5 } } }));
    });
    expect(reply).toMatchObject({ id: 7, ok: false, error: { code: 'BAD_REQUEST', message: 'invalid base64 in message' } });
    const binary = await new Promise<any>((resolve) => {
      ws.removeAllListeners('message');
      ws.on('message', (d, isBinary) => resolve(isBinary ? decodeFrame(new Uint8Array(d as Buffer)) : decodeWire(d.toString())));
      ws.send(new Uint8Array([200, 0, 0, 0, 1, 2]));
    });
    expect(binary).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: 'malformed binary message' } });
    // A binary message refused for its shape or its attachments still names its call when its JSON is readable.
    const replyTo = (frame: Uint8Array) => new Promise<any>((resolve) => {
      ws.removeAllListeners('message');
      ws.on('message', (d) => resolve(decodeFrame(new Uint8Array(d as Buffer))));
      ws.send(frame);
    });
    expect(await replyTo(encodeFrame({ kind: 'call', id: 9 }))).toMatchObject({ id: 9, ok: false, error: { code: 'BAD_REQUEST' } });
    const unreferenced = new Uint8Array([...encodeFrame({ kind: 'call', id: 10, method: 'listModels', params: {} }), 1, 0, 0, 0, 9]);
    expect(await replyTo(unreferenced)).toMatchObject({ id: 10, ok: false, error: { code: 'BAD_REQUEST', message: 'malformed binary message' } });
    ws.close();
  });
});

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

describe('wire format', () => {
  it('round-trips byte arrays through base64 JSON', () => {
    for (let n = 0; n < 8; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 97 + 13) % 256);
      expect(Array.from(base64ToBytes(bytesToBase64(b)))).toEqual(Array.from(b));
      expect(bytesToBase64(b)).toBe(Buffer.from(b).toString('base64'));
    }
    const m = decodeWire(encodeWire({ a: [new Uint8Array([1, 2])], s: '$bytes' })) as any;
    expect(m.a[0]).toBeInstanceOf(Uint8Array);
    expect(m.s).toBe('$bytes');
    expect(() => base64ToBytes('@@@@')).toThrow(/invalid base64/);
  });

  it('carries byte arrays as raw attachments in binary frames, and refuses malformed ones', () => {
    const big = new Uint8Array(300_000).map((_, i) => i * 7);
    const msg = { kind: 'call', id: 3, params: { image: big, mask: new Uint8Array([1]), nested: [{ p: new Uint8Array(0) }], s: '$bin' } };
    const frame = encodeFrame(msg);
    expect(frame.length).toBeLessThan(big.length + 400); // no base64 growth
    const back = decodeFrame(frame) as any;
    expect(back.params.image).toEqual(big);
    expect(back.params.mask).toEqual(new Uint8Array([1]));
    expect(back.params.nested[0].p).toEqual(new Uint8Array(0));
    expect(back.params.s).toBe('$bin');
    expect(() => decodeFrame(frame.subarray(0, frame.length - 1))).toThrow(/malformed/);
    expect(() => decodeFrame(new Uint8Array([1, 0]))).toThrow(/malformed/);
    const lying = encodeFrame({ a: { $bin: 5 } });
    expect(() => decodeFrame(lying)).toThrow(/malformed/);
    const extra = new Uint8Array([...encodeFrame({ a: 1 }), 1, 0, 0, 0, 9]); // an attachment nobody refers to
    expect(() => decodeFrame(extra)).toThrow(/malformed/);
    // JSON that is not UTF-8 is a malformed message too, not the text decoder's own error (ERR_ENCODING_INVALID_ENCODED_DATA).
    for (const bytes of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80]]) {
      const notUtf8 = new Uint8Array([bytes.length + 2, 0, 0, 0, 0x22, ...bytes, 0x22]);
      expect(thrown(() => decodeFrame(notUtf8))).toMatchObject({ code: 'BAD_REQUEST', message: 'malformed binary message' });
    }
  });

  it('refuses messages nested deeper than any request needs, however deep, without overflowing the stack', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const frameOf = (json: string) => {
      const j = new TextEncoder().encode(json);
      return new Uint8Array([...new Uint8Array(new Uint32Array([j.length]).buffer), ...j]);
    };
    expect(decodeWire(deep(MAX_MESSAGE_DEPTH))).toBeInstanceOf(Array);
    expect(decodeFrame(frameOf(deep(MAX_MESSAGE_DEPTH)))).toBeInstanceOf(Array);
    // 100,000 deep used to overflow the stack of JSON.parse's reviver: a RangeError, not a refusal.
    for (const n of [MAX_MESSAGE_DEPTH + 1, 100_000]) {
      expect(thrown(() => decodeWire(deep(n)))).toMatchObject({ code: 'BAD_REQUEST', message: `message nested deeper than ${MAX_MESSAGE_DEPTH} levels` });
      expect(thrown(() => decodeFrame(frameOf(deep(n))))).toMatchObject({ code: 'BAD_REQUEST' });
    }
    // Byte arrays still arrive everywhere they may be; one under the key "__proto__" is an own property, never the prototype.
    const m = decodeWire('{"a":[{"b":{"$bytes":"AQID"}}],"__proto__":{"$bytes":"AQID"}}') as { a: [{ b: Uint8Array }] };
    expect(m.a[0].b).toEqual(new Uint8Array([1, 2, 3]));
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(m, '__proto__')?.value).toEqual(new Uint8Array([1, 2, 3]));
  });
});

describe('browser mode server, binary frames', () => {
  it('answers binary calls in binary, events included, and caps messages at what the contract needs', async () => {
    const s = await start();
    const ws = await connect(apiUrl(s));
    const events: any[] = [];
    const reply = await new Promise<any>((resolve) => {
      ws.on('message', (d: Buffer, isBinary: boolean) => {
        expect(isBinary).toBe(true);
        const m = decodeFrame(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)) as any;
        if (m.kind === 'event') events.push(m);
        else resolve(m);
      });
      ws.send(encodeFrame({ kind: 'call', id: 1, method: 'generate', params: { jobId: 'bin', model: 'm', prompt: 'p', steps: 2, cfgScale: 7, seed: 1, init: { image: new Uint8Array([9, 8, 7]), strength: 0.5 } } }));
    });
    expect(reply.ok).toBe(true);
    expect(reply.value.images[0].png).toEqual(new Uint8Array([1, 2, 3]));
    expect(events.map((e) => e.payload.step)).toEqual([1, 2]);
    ws.close();
    const { MAX_MESSAGE_BYTES, MAX_IMAGE_BYTES } = await import('../../main/api/contract.js');
    expect(MAX_MESSAGE_BYTES).toBeLessThan(512 * 1024 * 1024);
    expect(MAX_MESSAGE_BYTES).toBeGreaterThanOrEqual(4 * MAX_IMAGE_BYTES);
  });
});
