/**
 * Attention memory past its byte budget, on disk (editing/memory.ts's `SpillStore`): one file per
 * recorded layer and step (keys, then values, float32), in a private temporary folder made on the
 * first write and removed when the edit ends, however it ends.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayerKV } from '../samplers/common.js';
import type { SpillStore } from '../editing/memory.js';

export function diskSpill(root = tmpdir()): SpillStore {
  let dir: string | undefined;
  const shapes = new Map<string, { keys: number; tokens: number; rows?: number }>();
  const file = (key: string) => join(dir!, `${key}.f32`);
  return {
    write(key: string, kv: LayerKV): void {
      dir ??= mkdtempSync(join(root, 'driftline-attention-memory-'));
      const bytes = new Uint8Array(4 * (kv.k.length + kv.v.length));
      const all = new Float32Array(bytes.buffer);
      all.set(kv.k);
      all.set(kv.v, kv.k.length);
      writeFileSync(file(key), bytes);
      shapes.set(key, { keys: kv.k.length, tokens: kv.tokens, rows: kv.rows });
    },
    read(key: string): LayerKV {
      const shape = shapes.get(key);
      if (!shape || !dir) throw new Error(`attention memory ${key} was never written to disk`);
      const buf = readFileSync(file(key));
      const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      return { k: all.subarray(0, shape.keys), v: all.subarray(shape.keys), tokens: shape.tokens, rows: shape.rows };
    },
    dispose(): void {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
      shapes.clear();
    },
  };
}
