import { describe, expect, it } from 'vitest';
import { Autosaver, MemoryBackend, STALE_MS } from '../../renderer/src/ui/autosave/autosave.js';

const px = (name: string) => ({ blob: `blob:${name}`, width: 4, height: 4 });
const lookup = (id: string) => px(id);

describe('autosave', () => {
  it('saves, switches the pointer, and drops what only older versions used', async () => {
    const mem = new MemoryBackend();
    let t = 1000;
    const saver = new Autosaver<string>(mem, () => t++);
    expect(await saver.restore()).toBeNull();
    await saver.save('{"v":1}', ['p1', 'p2'], lookup);
    await saver.save('{"v":2}', ['p2', 'p3'], lookup);
    expect(mem.data.docs.size).toBe(1);
    expect([...mem.data.pixels.keys()].sort()).toEqual(['p2', 'p3']);
    const r = await saver.restore();
    expect(r).toMatchObject({ json: '{"v":2}', missing: [] });
    expect(r!.pixels.get('p3')).toEqual(px('p3'));
  });

  it('a failed write keeps the previous save intact', async () => {
    const mem = new MemoryBackend();
    const saver = new Autosaver<string>(mem);
    await saver.save('{"v":1}', ['p1'], lookup);
    const write = mem.write.bind(mem);
    mem.write = async () => {
      mem.write = write; // the next write fails, later ones work
      throw new Error('QuotaExceededError: the write failed');
    };
    await expect(saver.save('{"v":2}', ['p9'], lookup)).rejects.toThrow(/QuotaExceeded/);
    const r = await saver.restore();
    expect(r).toMatchObject({ json: '{"v":1}', missing: [] });
    expect(r!.pixels.has('p1')).toBe(true);
    // The next successful save works normally.
    await saver.save('{"v":3}', ['p1'], lookup);
    expect((await saver.restore())!.json).toBe('{"v":3}');
  });

  it('a failed pointer switch leaves the old version current; the orphan is cleaned up later', async () => {
    const mem = new MemoryBackend();
    const saver = new Autosaver<string>(mem);
    await saver.save('{"v":1}', ['p1'], lookup);
    const write = mem.write.bind(mem);
    let n = 0;
    mem.write = async (ops) => {
      if (++n === 2) throw new Error('disk full');
      return write(ops);
    };
    await expect(saver.save('{"v":2}', ['p2'], lookup)).rejects.toThrow('disk full');
    expect((await saver.restore())!.json).toBe('{"v":1}');
    mem.write = write;
    await saver.save('{"v":3}', ['p1'], lookup);
    expect(mem.data.docs.size).toBe(1);
    expect([...mem.data.pixels.keys()]).toEqual(['p1']);
  });

  it('pixels already stored are not written again; unknown ones are reported missing on restore', async () => {
    const mem = new MemoryBackend();
    const saver = new Autosaver<string>(mem);
    await saver.save('{}', ['p1'], lookup);
    const writes: string[] = [];
    const write = mem.write.bind(mem);
    mem.write = async (ops) => {
      for (const op of ops) if (op.store === 'pixels' && !('delete' in op)) writes.push(op.key);
      return write(ops);
    };
    await saver.save('{}', ['p1', 'gone'], (id) => (id === 'gone' ? undefined : px(id)));
    expect(writes).toEqual([]);
    const r = await saver.restore();
    expect(r!.missing).toEqual(['gone']);
  });

  it('saves queued while one runs collapse to the newest', async () => {
    const mem = new MemoryBackend();
    const saver = new Autosaver<string>(mem);
    const docs: string[] = [];
    const write = mem.write.bind(mem);
    mem.write = async (ops) => {
      for (const op of ops) if (op.store === 'docs' && !('delete' in op)) docs.push((op.value as { json: string }).json);
      await new Promise((r) => setTimeout(r, 5));
      return write(ops);
    };
    const all = [saver.save('a', [], lookup), saver.save('b', [], lookup), saver.save('c', [], lookup)];
    await Promise.all(all);
    expect(docs).toEqual(['a', 'c']);
    expect((await saver.restore())!.json).toBe('c');
  });

  it('without a pointer, restore falls back to the newest complete version', async () => {
    const mem = new MemoryBackend();
    mem.data.docs.set('x', { json: 'old', pixelIds: [], savedAt: 1 });
    mem.data.docs.set('y', { json: 'new', pixelIds: [], savedAt: 2 });
    mem.data.docs.set('z', { broken: true });
    expect((await new Autosaver(mem).restore())!.json).toBe('new');
  });

  it('two tabs never delete each other\'s saves; a tab long gone is pruned with its pixels', async () => {
    const mem = new MemoryBackend();
    let t = 1_000;
    const a = new Autosaver<string>(mem, () => t, 'tab-a');
    const b = new Autosaver<string>(mem, () => t, 'tab-b');
    await a.save('{"tab":"a1"}', ['pa', 'shared'], lookup);
    t += 10;
    await b.save('{"tab":"b1"}', ['pb', 'shared'], lookup);
    t += 10;
    await a.save('{"tab":"a2"}', ['pa'], lookup);
    const docs = () => [...mem.data.docs.values()].map((d) => (d as { json: string }).json).sort();
    expect(docs()).toEqual(['{"tab":"a2"}', '{"tab":"b1"}']);
    // B's pixels stay while B's save references them, though A no longer does.
    expect([...mem.data.pixels.keys()].sort()).toEqual(['pa', 'pb', 'shared']);
    expect((await new Autosaver(mem).restore())!.json).toBe('{"tab":"a2"}');
    t += 10;
    await b.save('{"tab":"b2"}', ['pb'], lookup);
    expect(docs()).toEqual(['{"tab":"a2"}', '{"tab":"b2"}']);
    expect([...mem.data.pixels.keys()].sort()).toEqual(['pa', 'pb']);
    // B's tab closes; a week later A's next save prunes B's last version and its pixels.
    t += STALE_MS + 1;
    await a.save('{"tab":"a3"}', ['pa'], lookup);
    expect(docs()).toEqual(['{"tab":"a3"}']);
    expect([...mem.data.pixels.keys()]).toEqual(['pa']);
  });

  it('an urgent save is one write issued at once, and an ordinary save finishing after it never points back to an older version', async () => {
    const backend = new MemoryBackend();
    const saver = new Autosaver<string>(backend, () => 1000, 'tab');
    await saver.save('{"v":1}', ['a'], () => ({ blob: 'A', width: 1, height: 1 }));
    let writes = 0;
    const write = backend.write.bind(backend);
    backend.write = async (ops) => { writes++; return write(ops); };
    // Pixels already stored are not written again; a new one is, with the version and the pointer, in one write.
    const urgent = saver.saveUrgently('{"v":2}', ['a', 'b'], (id) => ({ blob: id.toUpperCase(), width: 1, height: 1 }));
    expect(writes).toBe(1);
    await urgent;
    expect([...backend.data.pixels.keys()].sort()).toEqual(['a', 'b']);
    expect((await saver.restore())!.json).toBe('{"v":2}');

    // An ordinary save issued before an urgent one, finishing after it, leaves the urgent one current.
    const slow = new MemoryBackend();
    const s2 = new Autosaver<string>(slow, () => 2000, 'tab2');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slowWrite = slow.write.bind(slow);
    let first = true;
    slow.write = async (ops) => {
      if (first) { first = false; await gate; }
      return slowWrite(ops);
    };
    const ordinary = s2.save('{"old":1}', ['x'], () => ({ blob: 'X', width: 1, height: 1 }));
    await new Promise((r) => setTimeout(r, 0));
    await s2.saveUrgently('{"new":1}', ['y'], () => ({ blob: 'Y', width: 1, height: 1 }));
    release();
    await ordinary;
    const back = (await s2.restore())!;
    expect(back.json).toBe('{"new":1}');
    expect([...back.pixels.keys()]).toEqual(['y']);
  });
});
