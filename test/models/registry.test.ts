import { mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ModelRegistry,
  packNameFrom,
  packNameProblem,
  RegistryError,
  writeJsonAtomic,
} from '../../main/engine/models/registry.js';
import type { PackValidator } from '../../main/engine/models/registry.js';

let tmp: string;
let root: string;

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'driftline-registry-'));
  root = path.join(tmp, 'data', 'models');
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** A fake pack folder in the diffusers layout. */
async function makePack(dir: string, nameOrPath = 'org/tiny-pack'): Promise<string> {
  await fsp.mkdir(path.join(dir, 'unet'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'model_index.json'), JSON.stringify({ _class_name: 'StableDiffusionPipeline', _name_or_path: nameOrPath }));
  await fsp.writeFile(path.join(dir, 'unet', 'model.onnx'), Buffer.alloc(1000, 7));
  return dir;
}

const code = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RegistryError);
    return { code: (e as RegistryError).code, message: (e as Error).message };
  }
  throw new Error('expected a RegistryError');
};

describe('pack names', () => {
  it('accepts plain names and rejects traversal, separators and reserved names', () => {
    for (const ok of ['sd-turbo', 'sd-1.5', 'My Pack_2']) expect(packNameProblem(ok)).toBeNull();
    for (const bad of ['', '..', '../evil', 'a/b', 'a\\b', '.hidden', 'x..y', 'trailing.', 'trailing ', 'CON', 'nul.txt', 'é', 'x'.repeat(65)]) {
      expect(packNameProblem(bad), bad).not.toBeNull();
    }
    expect(packNameFrom('stabilityai/sd-turbo')).toBe('sd-turbo');
    expect(packNameFrom('../../etc')).toBe('etc');
    expect(packNameFrom('???')).toBe('pack');
  });
});

describe('ModelRegistry', () => {
  it('imports by copy, lists with size and source, removes', async () => {
    const src = await makePack(path.join(tmp, 'src'));
    const reg = new ModelRegistry({ root });
    expect(await reg.list()).toEqual([]);

    const pack = await reg.importPack(src, { mode: 'copy' });
    expect(pack).toMatchObject({ name: 'tiny-pack', path: path.join(root, 'tiny-pack'), source: 'imported', linked: false, missing: false });
    expect(pack.sizeBytes).toBeGreaterThan(1000);
    expect(Date.parse(pack.addedAt)).not.toBeNaN();
    expect(await fsp.readFile(path.join(root, 'tiny-pack', 'unet', 'model.onnx'))).toHaveLength(1000);

    // A fresh registry object reads the same index.
    const again = await new ModelRegistry({ root }).list();
    expect(again.map((p) => [p.name, p.source, p.sizeBytes])).toEqual([['tiny-pack', 'imported', pack.sizeBytes]]);

    await reg.removePack('tiny-pack');
    expect(await reg.list()).toEqual([]);
    await expect(fsp.stat(path.join(root, 'tiny-pack'))).rejects.toThrow();
    await expect(fsp.readdir(path.join(root, '.trash'))).resolves.toEqual([]);
    // The source folder is untouched.
    expect((await fsp.stat(path.join(src, 'unet', 'model.onnx'))).size).toBe(1000);
  });

  it('imports by link without copying, and removing a link never deletes the user folder', async () => {
    const src = await makePack(path.join(tmp, 'elsewhere'));
    const reg = new ModelRegistry({ root });
    const pack = await reg.importPack(src, { mode: 'link', name: 'linked' });
    expect(pack).toMatchObject({ name: 'linked', path: await fsp.realpath(src), linked: true, source: 'imported' });
    await expect(fsp.stat(path.join(root, 'linked'))).rejects.toThrow();
    // The same folder cannot be linked twice under another name.
    expect((await code(reg.importPack(src, { mode: 'link', name: 'again' }))).code).toBe('duplicate');

    await reg.removePack('linked');
    expect(await reg.list()).toEqual([]);
    expect((await fsp.stat(path.join(src, 'model_index.json'))).isFile()).toBe(true);
  });

  it('refuses duplicates (case-insensitively) with a clear message', async () => {
    const src = await makePack(path.join(tmp, 'src'));
    const reg = new ModelRegistry({ root });
    await reg.importPack(src, { mode: 'copy', name: 'mine' });
    const dup = await code(reg.importPack(src, { mode: 'copy', name: 'MINE' }));
    expect(dup.code).toBe('duplicate');
    expect(dup.message).toMatch(/already installed/);
    expect((await reg.list()).length).toBe(1);
    // No staging leftovers from the refused import.
    expect(await fsp.readdir(path.join(root, '.staging')).catch(() => [])).toEqual([]);
  });

  it('rejects invalid names and path traversal', async () => {
    const src = await makePack(path.join(tmp, 'src'));
    const reg = new ModelRegistry({ root });
    for (const name of ['../escape', '..', 'a/b', '/abs', 'C:\\x']) {
      expect((await code(reg.importPack(src, { mode: 'copy', name }))).code).toBe('invalid-name');
    }
    expect((await code(reg.removePack('../data'))).code).toBe('invalid-name');
    // Nothing was written anywhere: not even the models folder was created.
    expect(await fsp.readdir(tmp)).toEqual(['src']);
    // A traversal name from the pack's own metadata is turned into a safe name.
    const sneaky = await makePack(path.join(tmp, 'sneaky'), '../../../../etc/passwd');
    const p = await reg.importPack(sneaky, { mode: 'copy' });
    expect(p.name).toBe('passwd');
    expect(path.dirname(p.path)).toBe(root);
  });

  it('validates first: the injected validator decides, and the default needs model_index.json', async () => {
    const notAPack = path.join(tmp, 'empty');
    await fsp.mkdir(notAPack);
    const reg = new ModelRegistry({ root });
    const bad = await code(reg.importPack(notAPack, { mode: 'copy' }));
    expect(bad.code).toBe('invalid-pack');
    expect(bad.message).toMatch(/model_index\.json/);

    const seen: string[] = [];
    const validator: PackValidator = async (dir) => {
      seen.push(dir);
      if (!dir.includes('good')) throw new Error('unet/model.onnx has no input "sample"');
      return { name: 'Validated Name' };
    };
    const strict = new ModelRegistry({ root, validator });
    const good = await makePack(path.join(tmp, 'good'));
    expect((await strict.importPack(good, { mode: 'copy' })).name).toBe('Validated Name');
    const other = await makePack(path.join(tmp, 'other'));
    expect((await code(strict.importPack(other, { mode: 'copy' }))).message).toMatch(/no input "sample"/);
    expect(seen).toHaveLength(2);
  });

  it('lists embedded packs and refuses to remove them or shadow their names', async () => {
    const embeddedDir = await makePack(path.join(tmp, 'app', 'embedded', 'tiny'));
    const reg = new ModelRegistry({ root, embedded: [{ name: 'driftline-tiny', path: embeddedDir }] });
    const list = await reg.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: 'driftline-tiny', source: 'embedded', missing: false });
    const refused = await code(reg.removePack('driftline-tiny'));
    expect(refused.code).toBe('embedded');
    expect(refused.message).toMatch(/ships with Driftline Studio/);
    const src = await makePack(path.join(tmp, 'src'));
    expect((await code(reg.importPack(src, { mode: 'copy', name: 'Driftline-Tiny' }))).code).toBe('duplicate');
    expect((await fsp.stat(path.join(embeddedDir, 'model_index.json'))).isFile()).toBe(true);
  });

  it('reports unknown packs on removal', async () => {
    const reg = new ModelRegistry({ root });
    expect((await code(reg.removePack('ghost'))).code).toBe('not-found');
  });

  it('serialises concurrent imports: both land in the index', async () => {
    const a = await makePack(path.join(tmp, 'a'));
    const b = await makePack(path.join(tmp, 'b'));
    const reg = new ModelRegistry({ root });
    await Promise.all([reg.importPack(a, { mode: 'copy', name: 'a' }), reg.importPack(b, { mode: 'link', name: 'b' })]);
    expect((await new ModelRegistry({ root }).list()).map((p) => p.name).sort()).toEqual(['a', 'b']);
  });
});

describe('atomic index writes', () => {
  it('a crash between the temporary write and the rename leaves the old index valid', async () => {
    const src = await makePack(path.join(tmp, 'src'));
    await new ModelRegistry({ root }).importPack(src, { mode: 'copy', name: 'first' });
    const before = await fsp.readFile(path.join(root, 'index.json'), 'utf8');

    let tmpSeen = '';
    const crashing = new ModelRegistry({
      root,
      beforeIndexRename: async (tmpFile) => {
        tmpSeen = tmpFile;
        // The new index is complete and synced in the temporary file at this point.
        expect(JSON.parse(await fsp.readFile(tmpFile, 'utf8')).packs).toHaveLength(2);
        throw new Error('simulated crash');
      },
    });
    await expect(crashing.importPack(src, { mode: 'copy', name: 'second' })).rejects.toThrow('simulated crash');
    expect(path.dirname(tmpSeen)).toBe(root);

    // The old index is intact, and the half-installed pack was rolled back out of models/.
    expect(await fsp.readFile(path.join(root, 'index.json'), 'utf8')).toBe(before);
    const list = await new ModelRegistry({ root }).list();
    expect(list.map((p) => p.name)).toEqual(['first']);
    await expect(fsp.stat(path.join(root, 'second'))).rejects.toThrow();
  });

  it('ignores a stray temporary file left by a real crash, and sweeps it', async () => {
    const src = await makePack(path.join(tmp, 'src'));
    const reg = new ModelRegistry({ root });
    await reg.importPack(src, { mode: 'copy', name: 'first' });
    const stray = path.join(root, 'index.json.999.deadbeef.tmp');
    await fsp.writeFile(stray, '{"version":1,"packs":[{"na'); // torn
    const fresh = new ModelRegistry({ root });
    expect((await fresh.list()).map((p) => p.name)).toEqual(['first']);
    await expect(fsp.stat(stray)).rejects.toThrow();
  });

  it('a removal interrupted after the folder left models/ never leaves the index pointing at a half-deleted folder', async () => {
    const src = await makePack(path.join(tmp, 'src'));
    await new ModelRegistry({ root }).importPack(src, { mode: 'copy', name: 'doomed' });
    const crashing = new ModelRegistry({ root, beforeIndexRename: () => Promise.reject(new Error('simulated crash')) });
    await expect(crashing.removePack('doomed')).rejects.toThrow('simulated crash');
    // Rolled back: still installed and whole.
    const [pack] = await new ModelRegistry({ root }).list();
    expect(pack).toMatchObject({ name: 'doomed', missing: false });
    expect((await fsp.stat(path.join(root, 'doomed', 'unet', 'model.onnx'))).size).toBe(1000);
  });

  it('writeJsonAtomic replaces the whole file', async () => {
    const file = path.join(tmp, 'x', 'state.json');
    await writeJsonAtomic(file, { a: 1 });
    await writeJsonAtomic(file, { b: 2 });
    expect(JSON.parse(await fsp.readFile(file, 'utf8'))).toEqual({ b: 2 });
    expect(await fsp.readdir(path.dirname(file))).toEqual(['state.json']);
  });

  it('a corrupt index is reported, not silently replaced', async () => {
    await fsp.mkdir(root, { recursive: true });
    await fsp.writeFile(path.join(root, 'index.json'), 'not json');
    expect((await code(new ModelRegistry({ root }).list())).code).toBe('corrupt-index');
  });
});
