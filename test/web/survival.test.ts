// The whole process, not just the handler: each request below once ended `driftline serve` with
// an uncaught exception. Sent to a real child process so that an escape shows as an exit.
import { afterEach, describe, expect, it } from 'vitest';
import { connect as tcpConnect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { serveProcess, type ServeProcess } from './serve-process.js';

let served: ServeProcess | undefined;
afterEach(() => {
  served?.stop();
  served = undefined;
});

function send(port: number, ...chunks: (string | Buffer)[]): Promise<string> {
  return new Promise((resolve) => {
    const sock = tcpConnect(port, '127.0.0.1');
    let got = '';
    const done = () => { clearTimeout(timer); sock.destroy(); resolve(got); };
    const timer = setTimeout(done, 1000);
    sock.on('data', (d) => (got += d.toString('latin1')));
    sock.on('close', done);
    sock.on('error', done);
    sock.on('connect', () => { for (const c of chunks) sock.write(c); });
  });
}

const key = () => randomBytes(16).toString('base64');
const hostile = (host: string) => [
  [`GET /assets/% HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`],
  [`GET http://[bad HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`],
  [`GET /api HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key()}\r\nOrigin: null\r\n\r\n`],
  [`GET http://[bad HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key()}\r\n\r\n`],
  [`GET /api HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key()}\r\n\r\n`, Buffer.from([0x81, 0x02, 0x68, 0x69])],
];

describe('driftline serve survives hostile requests', () => {
  for (const mode of ['127.0.0.1', '0.0.0.0']) {
    it(`keeps serving after each one (${mode === '127.0.0.1' ? 'loopback' : 'token'} mode)`, async () => {
      served = await serveProcess(mode);
      const { url, stderr } = served;
      const port = Number(url.port);
      for (const chunks of hostile(`127.0.0.1:${port}`)) {
        const reply = await send(port, ...chunks);
        expect(reply, String(chunks[0])).toMatch(/^HTTP\/1\.1 (101|4\d\d) /);
        expect(served.exited(), `${String(chunks[0])}\n${stderr()}`).toBe(false);
      }
      expect((await fetch(url)).status).toBe(200);
    });
  }
});
