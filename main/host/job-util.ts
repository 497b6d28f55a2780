/** Small pieces every long host job shares: request errors as BAD_REQUEST, and a time-left estimate. */
import { performance } from 'node:perf_hooks';
import { ApiError } from '../api/contract.js';

export const bad = (message: string): ApiError => new ApiError('BAD_REQUEST', message);

/** Engine errors about the request (sizes, shapes, folders) reach the user as BAD_REQUEST. */
export async function asBadRequest<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RangeError) throw bad(e.message);
    throw e;
  }
}

/** Time left from the pace so far. */
export function eta(t0: number, done: number, total: number): number | undefined {
  return done > 0 ? ((performance.now() - t0) / done) * (total - done) : undefined;
}
