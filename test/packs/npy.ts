/** Read the .npy files the Python exporters write as test vectors (little-endian f4, u1, i4, i8; C order). */
import { readFile } from 'node:fs/promises';

export interface NpyArray {
  data: Float32Array | Uint8Array | Int32Array | BigInt64Array;
  shape: number[];
}

export async function readNpy(file: string): Promise<NpyArray> {
  const buf = await readFile(file);
  if (buf.readUInt32BE(0) !== 0x934e554d || buf.toString('latin1', 4, 6) !== 'PY') throw new Error(`${file} is not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order is not supported`);
  const bytes = buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length);
  switch (descr) {
    case '<f4': return { data: new Float32Array(bytes), shape };
    case '|u1': return { data: new Uint8Array(bytes), shape };
    case '<i4': return { data: new Int32Array(bytes), shape };
    case '<i8': return { data: new BigInt64Array(bytes), shape };
    default: throw new Error(`${file}: unsupported dtype ${descr}`);
  }
}
