/**
 * `npm start`: opens the studio in Electron when the Electron binary is installed. Where it is
 * not (a headless server, or an install made with ELECTRON_SKIP_BINARY_DOWNLOAD=1), it says so and
 * runs the engine's self-check instead: every deterministic sampler against the exact solution of
 * a Gaussian data model.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { selfCheck } from '../main/engine/self-check.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function electronBinary(): string | undefined {
  try {
    const bin = createRequire(import.meta.url)('electron') as unknown;
    return typeof bin === 'string' && existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

const bin = electronBinary();
if (bin && process.env.DRIFTLINE_NO_ELECTRON !== '1') {
  const child = spawn(bin, [root], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log('Electron is not installed here (or DRIFTLINE_NO_ELECTRON=1), so no window can open.');
  console.log('Running the sampler engine self-check instead.\n');
  const rows = await selfCheck();
  for (const r of rows) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(26)} ${r.detail}`);
  process.exit(rows.every((r) => r.ok) ? 0 : 1);
}
