// Browser mode as its own process, the way `driftline serve` runs it (the compiled server, a fake
// engine host): the survival tests throw hostile bytes at it and check that it is still there.
// It runs the compiled code (`npm run build:node` first; `npm test` does).
import { fileURLToPath } from 'node:url';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EngineClient } from '../../out/main/host/client.js';
import { startWebServer } from '../../out/main/web/server.js';

const dir = await mkdtemp(path.join(tmpdir(), 'driftline-serve-'));
await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>Driftline Studio</title>');
const engine = new EngineClient({ entry: fileURLToPath(new URL('../host/fake-host.mjs', import.meta.url)) });
const server = await startWebServer({ host: process.argv[2], port: 0, staticDir: dir, engine });
console.log(JSON.stringify({ url: server.url }));
process.once('SIGTERM', async () => {
  await server.close();
  await engine.close();
  process.exit(0);
});
