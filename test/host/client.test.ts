import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { EngineClient } from '../../main/host/client.js';
import { Dispatcher } from '../../main/api/dispatcher.js';
import { handlersBackend, NO_CALL_CONTEXT } from '../../main/host/protocol.js';

const entry = fileURLToPath(new URL('./fake-host.mjs', import.meta.url));
const base = { model: 'm', prompt: 'a cat', steps: 4, cfgScale: 7, seed: 5 };
let client: EngineClient;
afterEach(async () => client?.close());

describe('engine host over a child process', () => {
  it('calls methods, carries bytes, and streams progress events', async () => {
    client = new EngineClient({ entry });
    const steps: number[] = [];
    client.on('onProgress', (p) => steps.push(p.step));
    const r = await client.call('generate', { ...base, jobId: 'j1' });
    expect(r.images[0].png).toBeInstanceOf(Uint8Array);
    expect(Array.from(r.images[0].png)).toEqual([1, 2, 3]);
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(await client.api().listSamplers({})).toHaveLength(1);
  });

  it('rejects invalid requests at the boundary with a message naming the field', async () => {
    client = new EngineClient({ entry });
    await expect(client.call('generate', { ...base, jobId: 'j', steps: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/steps/) });
    await expect(client.call('generate', { ...base, jobId: 'j', seed: -1 })).rejects.toThrow(/seed/);
    await expect(client.call('listModels', { extra: 1 } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(client.call('generate', { ...base, jobId: 'j', mask: new Uint8Array([1]) })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'invalid generate request — mask: a mask needs init.image, the image to inpaint' });
  });

  it('cancels a running job', async () => {
    client = new EngineClient({ entry });
    const job = client.call('generate', { ...base, jobId: 'long', steps: 500 });
    await new Promise((r) => setTimeout(r, 50));
    expect(await client.call('cancel', { jobId: 'long' })).toEqual({ cancelled: true });
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
    // The host is still serving.
    expect((await client.call('generate', { ...base, jobId: 'next' })).jobId).toBe('next');
  });

  it('survives a host crash: the job fails clearly and the next call gets a fresh host', async () => {
    client = new EngineClient({ entry });
    await expect(client.call('generate', { ...base, jobId: 'c', prompt: 'crash' })).rejects.toMatchObject({ code: 'ENGINE_CRASHED' });
    const r = await client.call('generate', { ...base, jobId: 'after' });
    expect(r.jobId).toBe('after');
    expect(client.starts).toBe(2);
  });
});

describe('a call past the deadline its host gave it', () => {
  it('fails with JOB_TIMEOUT once the deadline passes, the host blocked inside the call is restarted, and the next call works', async () => {
    client = new EngineClient({ entry });
    const t0 = performance.now();
    const stalled = client.call('generate', { ...base, jobId: 'stuck', prompt: 'stall' });
    const behind = client.call('listSamplers', {});
    await expect(stalled).rejects.toMatchObject({ code: 'JOB_TIMEOUT', message: 'stalled past its deadline' });
    expect(performance.now() - t0).toBeLessThan(5000);
    await expect(behind).rejects.toMatchObject({ code: 'ENGINE_CRASHED', message: expect.stringMatching(/restarted to stop a job that ran past its time budget/) });
    expect((await client.call('generate', { ...base, jobId: 'after' })).jobId).toBe('after');
    expect(client.starts).toBe(2);
  });
});

describe('the host\'s dispatch', () => {
  it('answers malformed envelopes and unknown methods without throwing', async () => {
    const host = new Dispatcher({ backend: handlersBackend({} as never, () => () => undefined) }).connect(() => undefined, undefined);
    expect(await host.call('garbage', NO_CALL_CONTEXT)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await host.call({ kind: 'call', id: 3, method: 'rm -rf', params: {} }, NO_CALL_CONTEXT)).toMatchObject({ id: 3, ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect(await host.call({ kind: 'call', id: 4, method: '__proto__', params: {} }, NO_CALL_CONTEXT)).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
  });
});
