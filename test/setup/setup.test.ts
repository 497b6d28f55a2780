/**
 * `npm run setup` on a machine that cannot reach Electron's download host: the install goes on
 * without the binary, says why in one line, and exits 0 so the studio starts in browser mode —
 * instead of `npm ci` failing on Electron's install script and leaving nothing. (The package
 * install itself is skipped here; the Electron step runs for real against an unreachable mirror.)
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function setup(env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const { ELECTRON_SKIP_BINARY_DOWNLOAD: _skip, ...rest } = process.env;
    execFile(process.execPath, [path.join(root, 'scripts', 'setup.mjs'), '--no-install', '--no-start'], { cwd: root, env: { ...rest, ...env }, timeout: 60_000 }, (err, stdout) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout });
    });
  });
}

describe('npm run setup', () => {
  it('goes on without Electron\'s binary when its download fails, saying why in one line', async () => {
    const cache = await mkdtemp(path.join(tmpdir(), 'driftline-electron-cache-'));
    const r = await setup({ electron_config_cache: cache, ELECTRON_MIRROR: 'http://127.0.0.1:9/' });
    expect(r.code).toBe(0);
    // Where the binary is already installed, Electron's installer has nothing to fetch, and says nothing.
    if (existsSync(path.join(root, 'node_modules', 'electron', 'dist', 'version'))) return expect(r.stdout).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Electron's binary could not be downloaded \(.*ECONNREFUSED.*\); the studio opens in your browser instead/);
  });

  it('respects an install made without the binary on purpose', async () => {
    const r = await setup({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ELECTRON_SKIP_BINARY_DOWNLOAD is set/);
  });
});
