import { describe, expect, it } from 'vitest';
import { createAppState } from '../../renderer/src/ui/app-state.js';
import { DEFAULT_SETTINGS, type GenerateSettings } from '../../renderer/src/ui/generate/settings.js';
import { Jobs } from '../../renderer/src/ui/jobs.js';
import { GenerationQueue } from '../../renderer/src/ui/queue/queue.js';

const flush = () => new Promise<void>((r) => setTimeout(r, 0));

/** A queue whose runs become the studio's job and end when the test says (done, failed or cancelled). */
function harness() {
  const app = createAppState();
  const jobs = new Jobs(app, () => 0);
  const started: string[] = [];
  const finish = new Map<string, (outcome: 'done' | 'failed') => void>();
  const ended: string[] = [];
  const queue = new GenerationQueue({
    app,
    run: (s: GenerateSettings) => {
      if (jobs.current) return Promise.resolve();
      const id = `job-${s.prompt}`;
      jobs.begin('generate', id, s.seed);
      started.push(s.prompt);
      return new Promise<void>((resolve) => {
        finish.set(s.prompt, (outcome) => {
          ended.push(`${s.prompt}:${outcome}`);
          jobs.end(id);
          resolve();
        });
      });
    },
  });
  queue.initialize();
  const add = (prompt: string) => queue.add({ ...DEFAULT_SETTINGS, prompt });
  const prompts = () => queue.waiting.map((q) => q.settings.prompt);
  return { app, jobs, queue, add, prompts, started, finish, ended };
}

describe('the generation queue', () => {
  it('runs one at a time, in the order pressed, the next starting when one ends', async () => {
    const h = harness();
    h.add('a');
    await flush();
    expect(h.started).toEqual(['a']);
    h.add('b');
    h.add('c');
    await flush();
    expect(h.started).toEqual(['a']);
    expect(h.prompts()).toEqual(['b', 'c']);
    expect(h.queue.mustWait).toBe(true);
    h.finish.get('a')!('done');
    await flush();
    expect(h.started).toEqual(['a', 'b']);
    expect(h.prompts()).toEqual(['c']);
    h.finish.get('b')!('done');
    await flush();
    h.finish.get('c')!('done');
    await flush();
    expect(h.started).toEqual(['a', 'b', 'c']);
    expect(h.prompts()).toEqual([]);
    expect(h.queue.mustWait).toBe(false);
  });

  it('a failed job starts the next as a finished one does', async () => {
    const h = harness();
    h.add('a');
    h.add('b');
    await flush();
    h.finish.get('a')!('failed');
    await flush();
    expect(h.started).toEqual(['a', 'b']);
  });

  it('reorders waiting generations (moved and shifted, clamped at the ends)', async () => {
    const h = harness();
    h.add('running');
    await flush();
    const [b, c, d] = ['b', 'c', 'd'].map(h.add);
    expect(h.prompts()).toEqual(['b', 'c', 'd']);
    expect(h.queue.move(d, 0)).toBe(true);
    expect(h.prompts()).toEqual(['d', 'b', 'c']);
    expect(h.queue.shift(b, -1)).toBe(true);
    expect(h.prompts()).toEqual(['b', 'd', 'c']);
    h.queue.shift(b, -1);
    h.queue.move(c, 99);
    expect(h.prompts()).toEqual(['b', 'd', 'c']);
    expect(h.queue.move('nope', 0)).toBe(false);
    h.finish.get('running')!('done');
    await flush();
    expect(h.started).toEqual(['running', 'b']);
  });

  it('cancelling a waiting generation takes it out; it never runs', async () => {
    const h = harness();
    h.add('a');
    const b = h.add('b');
    h.add('c');
    await flush();
    expect(h.queue.remove(b)).toBe(true);
    expect(h.queue.remove(b)).toBe(false);
    h.finish.get('a')!('done');
    await flush();
    h.finish.get('c')!('done');
    await flush();
    expect(h.started).toEqual(['a', 'c']);
  });

  it('cancelling the running job starts the next; another kind of job ending does too', async () => {
    const h = harness();
    h.jobs.begin('edit', 'edit-1', 0);
    h.add('a');
    h.add('b');
    await flush();
    expect(h.started).toEqual([]);
    h.jobs.end('edit-1');
    await flush();
    expect(h.started).toEqual(['a']);
    await h.jobs.cancel({ cancel: () => { h.finish.get('a')!('done'); return Promise.resolve({ cancelled: true }); } }, () => {});
    await flush();
    expect(h.started).toEqual(['a', 'b']);
  });

  it('a generation refused at once (no job begun) lets the next one try', async () => {
    const h = harness();
    const app = createAppState();
    const tried: string[] = [];
    const queue = new GenerationQueue({ app, run: (s) => { tried.push(s.prompt); return Promise.resolve(); } });
    queue.initialize();
    queue.add({ ...DEFAULT_SETTINGS, prompt: 'x' });
    queue.add({ ...DEFAULT_SETTINGS, prompt: 'y' });
    await flush();
    await flush();
    expect(tried).toEqual(['x', 'y']);
    queue.destroy();
    h.queue.destroy();
  });
});
