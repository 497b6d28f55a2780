/**
 * Read an ONNX model's declared inputs, outputs, opsets and external-data files straight from the
 * protobuf wire format, skipping nodes and weights without reading them — so a pack can be
 * inspected (and a truncated file detected) without loading gigabytes into ONNX Runtime.
 *
 * Field numbers (onnx.proto): ModelProto 1 ir_version, 2 producer_name, 7 graph, 8 opset_import;
 * GraphProto 5 initializer, 11 input, 12 output; ValueInfoProto 1 name, 2 type; TypeProto
 * 1 tensor_type; Tensor 1 elem_type, 2 shape; TensorShapeProto 1 dim; Dimension 1 dim_value,
 * 2 dim_param; TensorProto 8 name, 13 external_data, 14 data_location; OperatorSetIdProto
 * 1 domain, 2 version; StringStringEntryProto 1 key, 2 value.
 */
import { open, type FileHandle } from 'node:fs/promises';

export interface TensorDecl {
  name: string;
  /** ORT's type name ('float32', 'float16', 'int64', …), or 'elem_type N' for others. */
  type: string;
  /** Dimensions (numbers, or names for symbolic ones); undefined when the model declares no shape. */
  shape: (number | string)[] | undefined;
}

export interface OnnxHeader {
  irVersion: number;
  producer: string;
  opsets: { domain: string; version: number }[];
  /** Graph inputs that are not initializers. */
  inputs: TensorDecl[];
  outputs: TensorDecl[];
  /** Files named by initializers' external data (relative to the model's folder). */
  externalFiles: string[];
  fileSize: number;
}

export class OnnxFormatError extends Error {
  constructor(
    readonly kind: 'truncated' | 'malformed' | 'empty',
    message: string,
  ) {
    super(message);
    this.name = 'OnnxFormatError';
  }
}

const ELEM_TYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

/** Positioned reads through a small window, so skipping a field costs nothing. */
class Reader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  private async fill(pos: number, need: number): Promise<void> {
    if (pos >= this.bufStart && pos + need <= this.bufStart + this.buf.length) return;
    const len = Math.max(need, 1 << 16);
    const b = Buffer.alloc(Math.min(len, Math.max(0, this.size - pos)));
    const { bytesRead } = await this.fh.read(b, 0, b.length, pos);
    this.buf = b.subarray(0, bytesRead);
    this.bufStart = pos;
  }

  async byte(pos: number): Promise<number> {
    if (pos >= this.size) throw new OnnxFormatError('truncated', 'the file ends in the middle of a field');
    await this.fill(pos, 1);
    return this.buf[pos - this.bufStart];
  }

  async bytes(pos: number, len: number): Promise<Buffer> {
    if (pos + len > this.size) throw new OnnxFormatError('truncated', 'the file ends in the middle of a field');
    await this.fill(pos, len);
    return Buffer.from(this.buf.subarray(pos - this.bufStart, pos - this.bufStart + len));
  }

  /** Varint at pos → [value, next pos]. Values past 2⁵³ lose precision (only lengths and enums are read). */
  async varint(pos: number): Promise<[number, number]> {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = await this.byte(pos++);
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return [v, pos];
      mul *= 128;
    }
    throw new OnnxFormatError('malformed', 'a varint is longer than 10 bytes');
  }
}

interface Field {
  num: number;
  wire: number;
  /** For varints: the value; for length-delimited: the payload's start. */
  value: number;
  start: number;
  end: number;
}

/** Iterate the fields of a message spanning [pos, end) in the reader. */
async function* fields(r: Reader, pos: number, end: number): AsyncGenerator<Field> {
  while (pos < end) {
    const [tag, p1] = await r.varint(pos);
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    if (num === 0) throw new OnnxFormatError('malformed', 'field number 0');
    switch (wire) {
      case 0: {
        const [v, p2] = await r.varint(p1);
        yield { num, wire, value: v, start: p1, end: p2 };
        pos = p2;
        break;
      }
      case 1:
        if (p1 + 8 > r.size) throw new OnnxFormatError('truncated', 'the file ends in the middle of a field');
        yield { num, wire, value: 0, start: p1, end: p1 + 8 };
        pos = p1 + 8;
        break;
      case 2: {
        const [len, p2] = await r.varint(p1);
        if (p2 + len > r.size) {
          throw new OnnxFormatError('truncated', `a field of ${len} bytes at offset ${p2} runs past the end of the file (${r.size} bytes)`);
        }
        if (p2 + len > end) throw new OnnxFormatError('malformed', 'a field runs past the end of its message');
        yield { num, wire, value: p2, start: p2, end: p2 + len };
        pos = p2 + len;
        break;
      }
      case 5:
        if (p1 + 4 > r.size) throw new OnnxFormatError('truncated', 'the file ends in the middle of a field');
        yield { num, wire, value: 0, start: p1, end: p1 + 4 };
        pos = p1 + 4;
        break;
      default:
        throw new OnnxFormatError('malformed', `unknown wire type ${wire}`);
    }
  }
}

async function str(r: Reader, f: Field): Promise<string> {
  return (await r.bytes(f.start, f.end - f.start)).toString('utf8');
}

async function readDim(r: Reader, f: Field): Promise<number | string> {
  let dim: number | string = '?';
  for await (const g of fields(r, f.start, f.end)) {
    if (g.num === 1 && g.wire === 0) dim = g.value;
    else if (g.num === 2 && g.wire === 2) dim = await str(r, g);
  }
  return dim;
}

async function readValueInfo(r: Reader, f: Field): Promise<TensorDecl> {
  const decl: TensorDecl = { name: '', type: 'unknown', shape: undefined };
  for await (const g of fields(r, f.start, f.end)) {
    if (g.num === 1 && g.wire === 2) decl.name = await str(r, g);
    else if (g.num === 2 && g.wire === 2) {
      for await (const t of fields(r, g.start, g.end)) {
        if (t.num !== 1 || t.wire !== 2) {
          if (t.wire === 2) decl.type = 'non-tensor';
          continue;
        }
        for await (const tt of fields(r, t.start, t.end)) {
          if (tt.num === 1 && tt.wire === 0) decl.type = ELEM_TYPES[tt.value] ?? `elem_type ${tt.value}`;
          else if (tt.num === 2 && tt.wire === 2) {
            const shape: (number | string)[] = [];
            for await (const d of fields(r, tt.start, tt.end)) if (d.num === 1 && d.wire === 2) shape.push(await readDim(r, d));
            decl.shape = shape;
          }
        }
      }
    }
  }
  return decl;
}

async function readInitializer(r: Reader, f: Field, names: Set<string>, external: Set<string>): Promise<void> {
  let external_ = false;
  const locations: string[] = [];
  for await (const g of fields(r, f.start, f.end)) {
    if (g.num === 8 && g.wire === 2) names.add(await str(r, g));
    else if (g.num === 14 && g.wire === 0) external_ = g.value === 1;
    else if (g.num === 13 && g.wire === 2) {
      let key = '';
      let value = '';
      for await (const e of fields(r, g.start, g.end)) {
        if (e.num === 1 && e.wire === 2) key = await str(r, e);
        else if (e.num === 2 && e.wire === 2) value = await str(r, e);
      }
      if (key === 'location') locations.push(value);
    }
  }
  if (external_) for (const l of locations) external.add(l);
}

/** Read the header of the ONNX model at `path` (throws OnnxFormatError for truncated or malformed files). */
export async function readOnnxHeader(path: string): Promise<OnnxHeader> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size === 0) throw new OnnxFormatError('empty', 'the file is empty');
    const r = new Reader(fh, size);
    const header: OnnxHeader = { irVersion: 0, producer: '', opsets: [], inputs: [], outputs: [], externalFiles: [], fileSize: size };
    let graph: Field | undefined;
    for await (const f of fields(r, 0, size)) {
      if (f.num === 1 && f.wire === 0) header.irVersion = f.value;
      else if (f.num === 2 && f.wire === 2) header.producer = await str(r, f);
      else if (f.num === 7 && f.wire === 2) graph = f;
      else if (f.num === 8 && f.wire === 2) {
        const op = { domain: '', version: 0 };
        for await (const g of fields(r, f.start, f.end)) {
          if (g.num === 1 && g.wire === 2) op.domain = await str(r, g);
          else if (g.num === 2 && g.wire === 0) op.version = g.value;
        }
        header.opsets.push(op);
      } else if ((f.num === 1 || f.num === 7 || f.num === 8) && f.wire !== (f.num === 1 ? 0 : 2)) {
        throw new OnnxFormatError('malformed', 'this is not an ONNX model (unexpected field types)');
      }
    }
    if (!graph || header.irVersion === 0) throw new OnnxFormatError('malformed', 'this is not an ONNX model (no graph or IR version)');
    const initNames = new Set<string>();
    const external = new Set<string>();
    const inputs: TensorDecl[] = [];
    for await (const g of fields(r, graph.start, graph.end)) {
      if (g.num === 11 && g.wire === 2) inputs.push(await readValueInfo(r, g));
      else if (g.num === 12 && g.wire === 2) header.outputs.push(await readValueInfo(r, g));
      else if (g.num === 5 && g.wire === 2) await readInitializer(r, g, initNames, external);
    }
    header.inputs = inputs.filter((i) => !initNames.has(i.name));
    header.externalFiles = [...external];
    return header;
  } finally {
    await fh.close();
  }
}
