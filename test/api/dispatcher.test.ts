/**
 * The one dispatcher every transport serves: validation against the contract, jobs owned by the
 * connection that started them (duplicates refused, cancel by the owner only, events to the owner
 * only, cancelled when it goes away), extras with their own schema, and a reply — a result or a
 * named error — for anything a peer sends, never a rejection.
 */
import { describe, expect, it } from 'vitest';
import { Dispatcher, type Backend, type EventMessage } from '../../main/api/dispatcher.js';
import type { EventName, MethodName } from '../../main/api/contract.js';
import { z } from 'zod';

/** A backend whose generate calls wait until released; it records every call and can emit events. */
function fakeBackend() {
  const calls: { method: MethodName; params: any; extra: unknown }[] = [];
  const pending = new Map<string, (v: unknown) => void>();
  let listener: ((name: EventName, payload: unknown) => void) | undefined;
  const backend: Backend<string | undefined> = {
    async call(method, params: any, extra) {
      calls.push({ method, params, extra });
      if (method === 'generate') return new Promise((resolve) => pending.set(params.jobId, resolve));
      if (method === 'cancel') return { cancelled: pending.has(params.jobId) };
      if (method === 'listModels') {
        if (extra === 'throw-coded') throw Object.assign(new Error('no space left'), { code: 'ENOSPC' });
        if (extra === 'throw-abort') throw Object.assign(new Error('stop'), { name: 'AbortError' });
        return [];
      }
      return null;
    },
    subscribe(l) { listener = l; return () => { listener = undefined; }; },
  };
  return { backend, calls, release: (jobId: string) => pending.get(jobId)?.('done'), emit: (n: EventName, p: unknown) => listener?.(n, p), subscribed: () => listener !== undefined };
}

const gen = (id: number, jobId: string) => ({ kind: 'call', id, method: 'generate', params: { jobId, model: 'emoji-32', prompt: 'a', steps: 2, cfgScale: 3, seed: 1 } });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('Dispatcher', () => {
  it('answers anything a peer sends with a result or a named error, never a rejection', async () => {
    const { backend } = fakeBackend();
    const d = new Dispatcher<void, string | undefined>({ backend, ownJobs: true });
    const c = d.connect(() => undefined, undefined);
    for (const m of [null, 'text', 42, [], {}, { kind: 'call' }, { kind: 'call', id: -1, method: 'listModels' }, { kind: 'call', id: 1.5, method: 'x' }]) {
      const r = await c.call(m, undefined);
      expect(r).toMatchObject({ kind: 'reply', ok: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(await c.call({ kind: 'reply', id: 7 }, undefined)).toMatchObject({ id: 7, ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await c.call({ kind: 'call', id: 3, method: 'shutdown' }, undefined)).toMatchObject({ id: 3, error: { code: 'UNKNOWN_METHOD' } });
    expect(await c.call({ kind: 'call', id: 4, method: '__proto__' }, undefined)).toMatchObject({ id: 4, error: { code: 'UNKNOWN_METHOD' } });
    const bad = await c.call({ kind: 'call', id: 5, method: 'generate', params: { jobId: 'j', model: 'm', prompt: 'p', steps: -1, cfgScale: 3, seed: 1 } }, undefined);
    expect(bad).toMatchObject({ id: 5, ok: false, error: { code: 'BAD_REQUEST' } });
    expect((bad as { error: { message: string } }).error.message).toMatch(/steps/);
    // A method that takes no parameters may leave them out.
    expect(await c.call({ kind: 'call', id: 6, method: 'listModels' }, undefined)).toEqual({ kind: 'reply', id: 6, ok: true, value: [] });
    // The backend's own failures keep their code; a cancelled job is CANCELLED; anything else ENGINE_ERROR.
    expect(await c.call({ kind: 'call', id: 8, method: 'listModels' }, 'throw-coded')).toMatchObject({ error: { code: 'ENOSPC', message: 'no space left' } });
    expect(await c.call({ kind: 'call', id: 9, method: 'listModels' }, 'throw-abort')).toMatchObject({ error: { code: 'CANCELLED' } });
  });

  it('gives a job to the connection that started it: duplicates refused, cancel and events for the owner only, cancelled when it leaves', async () => {
    const f = fakeBackend();
    const d = new Dispatcher<string, string | undefined>({ backend: f.backend, ownJobs: true });
    const seen: Record<string, EventMessage[]> = { a: [], b: [] };
    const a = d.connect((e) => seen.a.push(e), 'a');
    const b = d.connect((e) => seen.b.push(e), 'b');
    const first = a.call(gen(1, 'job-1'), undefined);
    await tick();
    expect(await b.call(gen(2, 'job-1'), undefined)).toMatchObject({ id: 2, ok: false, error: { code: 'DUPLICATE_JOB' } });
    // b may not cancel a's job, nor learn that it exists; the backend never hears of it.
    expect(await b.call({ kind: 'call', id: 3, method: 'cancel', params: { jobId: 'job-1' } }, undefined)).toMatchObject({ ok: true, value: { cancelled: false } });
    expect(f.calls.filter((c) => c.method === 'cancel')).toEqual([]);
    f.emit('onProgress', { jobId: 'job-1', step: 1, total: 2 });
    f.emit('onDownloadProgress', { name: 'sd', file: 'unet', bytesDone: 1 });
    expect(seen.a.map((e) => e.name)).toEqual(['onProgress', 'onDownloadProgress']);
    expect(seen.b.map((e) => e.name)).toEqual(['onDownloadProgress']);
    // The owner can cancel its job.
    expect(await a.call({ kind: 'call', id: 4, method: 'cancel', params: { jobId: 'job-1' } }, undefined)).toMatchObject({ ok: true, value: { cancelled: true } });
    f.release('job-1');
    expect(await first).toEqual({ kind: 'reply', id: 1, ok: true, value: 'done' });
    // Once finished the id is free again.
    const again = b.call(gen(5, 'job-1'), undefined);
    await tick();
    // Closing b cancels what it still runs, and it hears nothing more.
    b.close();
    expect(f.calls.filter((c) => c.method === 'cancel').map((c) => c.params)).toEqual([{ jobId: 'job-1' }, { jobId: 'job-1' }]);
    f.emit('onProgress', { jobId: 'job-1', step: 1, total: 2 });
    f.emit('onDownloadProgress', { name: 'sd', file: 'unet', bytesDone: 2 });
    expect(seen.b.length).toBe(1);
    expect(seen.a.length).toBe(3);
    f.release('job-1');
    expect(await again).toMatchObject({ id: 5, ok: true });
  });

  it('inside the engine host (one peer, no ownership) passes every call and event through', async () => {
    const f = fakeBackend();
    const d = new Dispatcher<void, string | undefined>({ backend: f.backend });
    const seen: EventMessage[] = [];
    const c = d.connect((e) => seen.push(e), undefined);
    const one = c.call(gen(1, 'j'), 'context-1');
    await tick();
    expect(f.calls[0]).toMatchObject({ method: 'generate', extra: 'context-1' });
    expect(await c.call({ kind: 'call', id: 2, method: 'cancel', params: { jobId: 'j' } }, undefined)).toMatchObject({ value: { cancelled: true } });
    f.emit('onProgress', { jobId: 'j', step: 1, total: 2 });
    expect(seen.length).toBe(1);
    f.release('j');
    await one;
    d.dispose();
    expect(f.subscribed()).toBe(false);
  });

  it('serves a transport\'s extras with their own schema and the peer that asked', async () => {
    const { backend } = fakeBackend();
    const d = new Dispatcher<string, undefined>({
      backend: backend as unknown as Backend<undefined>,
      extras: { saveFile: { params: z.object({ name: z.string().max(10) }), run: async (p, peer) => ({ saved: (p as { name: string }).name, by: peer }) } },
    });
    const c = d.connect(() => undefined, 'window-1');
    expect(await c.call({ kind: 'call', id: 1, method: 'saveFile', params: { name: 'a.png' } }, undefined)).toEqual({ kind: 'reply', id: 1, ok: true, value: { saved: 'a.png', by: 'window-1', extra: undefined } });
    expect(await c.call({ kind: 'call', id: 2, method: 'saveFile', params: { name: 'x'.repeat(11) } }, undefined)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });
});
