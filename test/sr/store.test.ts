/**
 * The pack digest that keys stored boundary conditions: the same for the same files, different as
 * soon as anything that shapes the output changes, blind to calibration images, test vectors and
 * the evaluation report, and remembered on disk so a large pack is read once.
 */
import { describe, expect, it } from 'vitest';
import { appendFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildTinyPack } from '../fixtures/tiny-packs.js';
import { packDigest } from '../../main/engine/sr/store.js';

describe('packDigest', () => {
  it('changes with the weights or configs, not with calibration images, and is cached on disk', async () => {
    const dir = await buildTinyPack(path.join(await mkdtemp(path.join(tmpdir(), 'driftline-digest-')), 'p'), 'pixel-sr');
    const home = await mkdtemp(path.join(tmpdir(), 'driftline-digest-home-'));
    const a = await packDigest(dir, home);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await packDigest(dir, home)).toBe(a);
    const cache = JSON.parse(await readFile(path.join(home, 'boundaries', 'digests.json'), 'utf8'));
    expect(cache[dir].digest).toBe(a);
    await mkdir(path.join(dir, 'calibration'));
    await writeFile(path.join(dir, 'calibration', 'x.png'), 'image');
    expect(await packDigest(dir, home)).toBe(a);
    await writeFile(path.join(dir, 'evaluation.json'), '{"pack": "p", "evaluations": {}}');
    expect(await packDigest(dir, home), 'an evaluation report does not shape the output').toBe(a);
    await appendFile(path.join(dir, 'scheduler', 'scheduler_config.json'), ' ');
    const b = await packDigest(dir, home);
    expect(b).not.toBe(a);
    expect(await packDigest(dir, await mkdtemp(path.join(tmpdir(), 'driftline-digest-other-')))).toBe(b); // another data folder: same answer
  });
});
