import { describe, expect, it } from 'vitest';
import type { GenerateRequest, GenerateResult } from '../../main/api/contract.js';
import { createDocument } from '../../renderer/src/document/index.js';
import { Editor } from '../../renderer/src/tools/index.js';
import { STUDIO_TOOLS } from '../../renderer/src/tools/tools.js';
import { FrameModule } from '../../renderer/src/ui/frame/frame.js';
import { GenerateModule, type GenerateHost } from '../../renderer/src/ui/generate/generation.js';
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

describe('Generate pressed while a job runs', () => {
  const INFO = { name: 'emoji-32', family: 'pixel', defaultSize: 32, vaeScale: 1, unetMultiple: 4, upscaleFactor: 1, latentChannels: 3, hasVaeDecoder: false, hasVaeEncoder: false };

  function studio() {
    const app = createAppState();
    app.setState({ connection: 'open', settings: { ...DEFAULT_SETTINGS, model: 'emoji-32', prompt: 'one', steps: 4, seedLocked: true, seed: 1 } });
    const editor = new Editor({ tools: STUDIO_TOOLS, document: createDocument(32, 32) });
    const jobs = new Jobs(app, () => 0);
    const requests: GenerateRequest[] = [];
    const pending: (() => void)[] = [];
    const client = {
      inspectModel: async () => ({ info: INFO, providers: [] }),
      generate: (req: GenerateRequest) => {
        requests.push(req);
        return new Promise<GenerateResult>((resolve) => pending.push(() => resolve({ jobId: req.jobId, images: [], width: 32, height: 32, providers: [], timings: { totalMs: 1, perStepMs: 1, evaluations: 1 } })));
      },
    };
    const frame = new FrameModule({ app, editor, client: () => client });
    const said: string[] = [];
    const host: GenerateHost = {
      app, editor, jobs, frame, client: () => client, storage: () => null,
      gallery: { add: () => [], item: () => undefined },
      pixels: { composite: async () => ({ width: 0, height: 0, data: new Uint8ClampedArray() }), png: async () => new Uint8Array(), mask: async () => new Uint8Array(), addResult: async () => ({ id: 'r', width: 32, height: 32 }), settle: () => {} },
      progress: { setGenerationRect: () => {}, clear: () => {} },
      say: (text) => void said.push(text),
    };
    const generation = new GenerateModule(host);
    generation.queue.initialize();
    const until = async (f: () => boolean) => {
      for (let i = 0; i < 200 && !f(); i++) await flush();
      expect(f()).toBe(true);
    };
    return { app, generation, requests, pending, said, until };
  }

  it('queues with the settings of the moment, says so, and runs them in turn when the job ends', async () => {
    const t = studio();
    const first = t.generation.generate();
    await t.until(() => t.requests.length === 1);
    t.generation.updateSettings({ prompt: 'two', seed: 2 });
    await t.generation.generate();
    t.generation.updateSettings({ prompt: 'three', seed: 3 });
    await t.generation.generate();
    expect(t.said.at(-1)).toBe('Queued: 2 generations waiting; each starts when the one before it ends.');
    expect(t.generation.queue.waiting.map((q) => q.settings.prompt)).toEqual(['two', 'three']);
    t.pending[0]();
    await first;
    await t.until(() => t.requests.length === 2);
    t.pending[1]();
    await t.until(() => t.requests.length === 3);
    t.pending[2]();
    await t.until(() => t.app.getState().job === null);
    expect(t.requests.map((r) => [r.prompt, r.seed])).toEqual([['one', 1], ['two', 2], ['three', 3]]);
  });

  it('settings that cannot run are refused at once, not queued', async () => {
    const t = studio();
    void t.generation.generate();
    await t.until(() => t.requests.length === 1);
    t.generation.updateSettings({ steps: 0 });
    await t.generation.generate();
    expect(t.generation.queue.waiting).toHaveLength(0);
    expect(t.said.at(-1)).toMatch(/^Steps must be/);
    t.pending[0]();
  });
});
