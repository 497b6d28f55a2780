/**
 * The project's one atomic write: the target is replaced whole or not at all, a symlink planted
 * where a temporary file could go is never followed, and a failed write leaves no temporary file.
 */
import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../../main/engine/io/atomic.js';

describe('writeFileAtomic', () => {
  it('replaces the file, leaving nothing else in the folder', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'driftline-atomic-'));
    const file = path.join(dir, 'out.png');
    await writeFile(file, 'old');
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    expect([...(await readFile(file))]).toEqual([1, 2, 3]);
    expect(await readdir(dir)).toEqual(['out.png']);
  });

  it('never writes through symlinks planted at the names a process id or a clock would give', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'driftline-atomic-'));
    const victim = path.join(dir, 'victim.txt');
    await writeFile(victim, 'keep me');
    const file = path.join(dir, 'out.png');
    // The old helper wrote `${file}.${pid}.tmp`; plant those and a few more guesses.
    for (const name of [`${file}.${process.pid}.tmp`, `${file}.tmp`, path.join(dir, `.out.png.${process.pid}.tmp`)]) await symlink(victim, name);
    await writeFileAtomic(file, 'new');
    expect(await readFile(victim, 'utf8')).toBe('keep me');
    expect(await readFile(file, 'utf8')).toBe('new');
  });

  it('a failed write leaves the old file and no temporary file behind', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'driftline-atomic-'));
    const target = path.join(dir, 'a-folder');
    await mkdir(target);
    await writeFile(path.join(target, 'inside'), 'x');
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['a-folder']);
    let seen = '';
    await expect(writeFileAtomic(path.join(dir, 'b.txt'), 'data', { beforeRename: (tmp) => { seen = tmp; throw new Error('crash before rename'); } })).rejects.toThrow(/crash before rename/);
    expect(path.basename(seen)).toMatch(/^\.b\.txt\.[0-9a-f]{16}\.tmp$/);
    expect((await readdir(dir)).sort()).toEqual(['a-folder']);
  });
});
