/**
 * A small typed layer over `onnx-proto` (the ONNX protobuf schema compiled by protobufjs) for
 * building ONNX graphs from TypeScript and for reading, editing and writing existing models —
 * graph surgery on users' exports (adding inputs or outputs to a UNet) as much as tiny test packs.
 *
 * One structure for both directions: `OnnxModel.create()` starts an empty opset-17 / IR-8 model,
 * `OnnxModel.load(file)` decodes an existing one. Weights that live in an external data file
 * (`weights.pb`, `model.onnx_data`: `location`, `offset`, `length` entries, paths relative to the
 * model file, as `onnx.save_model(..., save_as_external_data=True)` writes them) are not read on
 * load: they are read on demand (`tensorData`) or copied in chunks when the model is saved, so a
 * 3.4 GB UNet can be edited without holding its weights in memory.
 *
 * Nothing is validated here beyond types and names; onnxruntime validates the graph when it loads it.
 */
import { writeFileAtomic } from '../io/atomic.js';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, normalize, resolve, sep } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';

const P = onnxProto.onnx;

/** ONNX element types this layer names (the ones diffusion exports use, plus a few for surgery). */
export type ElemType = 'float32' | 'float16' | 'float64' | 'int8' | 'uint8' | 'int32' | 'int64' | 'bool';

/** TensorProto.DataType numbers. */
export const DATA_TYPE: Readonly<Record<ElemType, number>> = {
  float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11,
};
const BYTES: Readonly<Record<ElemType, number>> = {
  float32: 4, uint8: 1, int8: 1, int32: 4, int64: 8, bool: 1, float16: 2, float64: 8,
};

/** The element type of a TensorProto.DataType number, or undefined for one this layer does not name. */
export function elemTypeOf(dataType: number): ElemType | undefined {
  for (const [k, v] of Object.entries(DATA_TYPE)) if (v === dataType) return k as ElemType;
  return undefined;
}

/** A dimension: a fixed size, a symbolic name (dynamic axis), or null (dynamic and unnamed). */
export type Dim = number | string | null;

/** A graph input or output as ONNX declares it. `shape` undefined: rank unknown. */
export interface IoInfo {
  name: string;
  type: ElemType;
  shape: Dim[] | undefined;
}

/** Tensor contents with their type; float16 as `Uint16Array` bit patterns (see half.ts). */
export type TensorData =
  | { type: 'float32'; dims: number[]; data: Float32Array }
  | { type: 'float16'; dims: number[]; data: Uint16Array }
  | { type: 'float64'; dims: number[]; data: Float64Array }
  | { type: 'int32'; dims: number[]; data: Int32Array }
  | { type: 'int64'; dims: number[]; data: BigInt64Array }
  | { type: 'int8'; dims: number[]; data: Int8Array }
  | { type: 'uint8' | 'bool'; dims: number[]; data: Uint8Array };

const count = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function checked<T extends TensorData>(t: T): T {
  if (t.data.length !== count(t.dims)) throw new Error(`tensor data has ${t.data.length} elements, dims ${JSON.stringify(t.dims)} need ${count(t.dims)}`);
  return t;
}

/** Tensor constructors: `f32(data, dims)`, `f16(bits, dims)`, `i64([1, 2], [2])`, `i32(...)`. */
export const f32 = (data: Float32Array | readonly number[], dims: number[]): TensorData =>
  checked({ type: 'float32', dims, data: data instanceof Float32Array ? data : Float32Array.from(data) });
export const f16 = (bits: Uint16Array, dims: number[]): TensorData => checked({ type: 'float16', dims, data: bits });
export const i64 = (data: BigInt64Array | readonly (number | bigint)[], dims: number[]): TensorData =>
  checked({ type: 'int64', dims, data: data instanceof BigInt64Array ? data : BigInt64Array.from(data, (v) => BigInt(v)) });
export const i32 = (data: Int32Array | readonly number[], dims: number[]): TensorData =>
  checked({ type: 'int32', dims, data: data instanceof Int32Array ? data : Int32Array.from(data) });

/** Node attributes, typed explicitly (ONNX requires the attribute type; a bare 1 could be INT or FLOAT). */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string }
  | { kind: 'strings'; value: readonly string[] }
  | { kind: 'tensor'; value: TensorData };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  ints: (value: readonly number[]): Attr => ({ kind: 'ints', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  floats: (value: readonly number[]): Attr => ({ kind: 'floats', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  strings: (value: readonly string[]): Attr => ({ kind: 'strings', value }),
  tensor: (value: TensorData): Attr => ({ kind: 'tensor', value }),
};

const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10 } as const;
const utf8 = new TextEncoder();

function attributeProto(name: string, a: Attr): onnx.IAttributeProto {
  switch (a.kind) {
    case 'int': return { name, type: ATTR_TYPE.INT, i: a.value };
    case 'ints': return { name, type: ATTR_TYPE.INTS, ints: [...a.value] };
    case 'float': return { name, type: ATTR_TYPE.FLOAT, f: a.value };
    case 'floats': return { name, type: ATTR_TYPE.FLOATS, floats: [...a.value] };
    case 'string': return { name, type: ATTR_TYPE.STRING, s: utf8.encode(a.value) };
    case 'strings': return { name, type: ATTR_TYPE.STRINGS, strings: a.value.map((s) => utf8.encode(s)) };
    case 'tensor': return { name, type: ATTR_TYPE.TENSOR, t: tensorProto('', a.value) };
  }
}

/** Bytes of a typed array, as a Uint8Array over exactly its own range (what `raw_data` needs). */
function bytesOf(data: TensorData['data']): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function tensorProto(name: string, t: TensorData): onnx.ITensorProto {
  return { name, dims: [...t.dims], dataType: DATA_TYPE[t.type], rawData: bytesOf(t.data) };
}

type Long = { toNumber(): number };
const num = (v: number | Long | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** A copy of `bytes` as a typed array of `type` (a fresh buffer, so alignment never matters). */
function typedFromBytes(type: ElemType, bytes: Uint8Array): TensorData['data'] {
  const copy = new Uint8Array(bytes.byteLength); // Buffer#slice would be a view, not a copy
  copy.set(bytes);
  const buf = copy.buffer;
  switch (type) {
    case 'float32': return new Float32Array(buf);
    case 'float16': return new Uint16Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'int8': return new Int8Array(buf);
    case 'uint8': case 'bool': return new Uint8Array(buf);
  }
}

/** Bytes of a tensor stored in the typed repeated fields (float_data, int32_data, …) instead of raw_data. */
function bytesFromTypedFields(t: onnx.ITensorProto, type: ElemType): Uint8Array {
  const n = count((t.dims ?? []).map(num));
  let arr: TensorData['data'];
  switch (type) {
    case 'float32': arr = Float32Array.from(t.floatData ?? []); break;
    case 'float64': arr = Float64Array.from(t.doubleData ?? []); break;
    case 'int64': arr = BigInt64Array.from(t.int64Data ?? [], (v) => BigInt(typeof v === 'number' ? v : v.toString())); break;
    // float16, int8, uint8, bool, int32 all travel in int32_data (float16 as its bit pattern).
    case 'float16': arr = Uint16Array.from(t.int32Data ?? []); break;
    case 'int32': arr = Int32Array.from(t.int32Data ?? []); break;
    case 'int8': arr = Int8Array.from(t.int32Data ?? []); break;
    case 'uint8': case 'bool': arr = Uint8Array.from(t.int32Data ?? []); break;
  }
  if (arr.length !== n) throw new Error(`tensor '${t.name}': ${arr.length} values in its typed field, dims need ${n}`);
  return bytesOf(arr);
}

/** Where an external tensor's bytes are: an absolute file, an offset and a length. */
interface ExternalRef { file: string; offset: number; length: number }

/** Options for `save`. Without `externalData` every tensor is written inline (protobuf's 2 GiB limit applies). */
export interface SaveOptions {
  externalData?: {
    /** File name next to the model, e.g. 'weights.pb' (diffusers' script) or 'model.onnx_data' (Optimum). */
    location: string;
    /**
     * Tensors smaller than this many bytes stay inline. Default 1024, as `onnx.save_model`: small
     * constants (Reshape shapes, Unsqueeze axes) must stay inline, since onnxruntime's shape
     * inference cannot read external data ("Cannot parse data from external tensors").
     */
    sizeThreshold?: number;
  };
}

const PROTOBUF_LIMIT = 2 ** 31 - 1;

/** Every TensorProto in a graph: initializers and tensor-valued attributes, subgraphs included. */
function* tensorsOf(g: onnx.IGraphProto, initializersOnly = false): Generator<onnx.ITensorProto> {
  for (const t of g.initializer ?? []) yield t;
  for (const n of g.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (!initializersOnly) {
        if (a.t) yield a.t;
        for (const t of a.tensors ?? []) yield t;
      }
      if (a.g) yield* tensorsOf(a.g, initializersOnly);
      for (const sg of a.graphs ?? []) yield* tensorsOf(sg, initializersOnly);
    }
  }
}

function valueInfo(name: string, type: ElemType, shape: readonly Dim[] | undefined): onnx.IValueInfoProto {
  const tensorType: onnx.TypeProto.ITensor = { elemType: DATA_TYPE[type] };
  if (shape) {
    tensorType.shape = {
      dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})),
    };
  }
  return { name, type: { tensorType } };
}

function ioInfo(v: onnx.IValueInfoProto): IoInfo {
  const tt = v.type?.tensorType;
  const type = tt?.elemType != null ? elemTypeOf(tt.elemType) : undefined;
  if (!type) throw new Error(`'${v.name}' is not a tensor of a supported element type`);
  const shape = tt?.shape
    ? (tt.shape.dim ?? []).map((d): Dim => (own(d, 'dimValue') ? num(d.dimValue) : own(d, 'dimParam') && d.dimParam ? d.dimParam : null))
    : undefined;
  return { name: v.name ?? '', type, shape };
}

/** Reject external-data locations that are absolute or climb out of the model's folder. */
function safeLocation(baseDir: string, location: string): string {
  const norm = normalize(location);
  if (isAbsolute(location) || norm === '..' || norm.startsWith(`..${sep}`) || norm.startsWith('../')) {
    throw new Error(`external data location '${location}' must stay inside the model's folder`);
  }
  return resolve(baseDir, norm);
}

async function readRange(ref: ExternalRef): Promise<Uint8Array> {
  const fh = await open(ref.file, 'r');
  try {
    const out = new Uint8Array(ref.length);
    let done = 0;
    while (done < ref.length) {
      const { bytesRead } = await fh.read(out, done, ref.length - done, ref.offset + done);
      if (bytesRead === 0) throw new Error(`external data file ${ref.file} ends before offset ${ref.offset + ref.length}`);
      done += bytesRead;
    }
    return out;
  } finally {
    await fh.close();
  }
}

/**
 * An ONNX model held as its protobuf structure, with typed helpers for the common edits.
 * `proto` stays public for anything the helpers do not cover.
 */
export class OnnxModel {
  private readonly external = new Map<onnx.ITensorProto, ExternalRef>();
  private nameCounter = 0;

  private constructor(readonly proto: onnx.IModelProto & { graph: onnx.IGraphProto }) {}

  /** An empty model: opset 17 (default domain), IR version 8. */
  static create(opts: { opset?: number; irVersion?: number; graphName?: string; producer?: string } = {}): OnnxModel {
    return new OnnxModel({
      irVersion: opts.irVersion ?? 8,
      producerName: opts.producer ?? 'driftline',
      opsetImport: [{ domain: '', version: opts.opset ?? 17 }],
      graph: { name: opts.graphName ?? 'main', node: [], input: [], output: [], initializer: [], valueInfo: [] },
    });
  }

  /**
   * Decode a model from bytes. `baseDir` is where relative external-data locations are resolved
   * (the model file's folder); without it a model that uses external data cannot read its weights.
   */
  static fromBytes(bytes: Uint8Array, baseDir?: string): OnnxModel {
    const proto = P.ModelProto.decode(bytes);
    if (!proto.graph) throw new Error('ONNX model has no graph');
    const m = new OnnxModel(proto as onnx.ModelProto & { graph: onnx.GraphProto });
    for (const t of tensorsOf(m.proto.graph)) {
      if (t.dataLocation !== P.TensorProto.DataLocation.EXTERNAL) continue;
      const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
      const location = kv.get('location');
      if (!location) throw new Error(`tensor '${t.name}' is external but names no location`);
      if (baseDir === undefined) throw new Error(`tensor '${t.name}' is in external file '${location}': load the model from its file`);
      const type = elemTypeOf(t.dataType ?? 0);
      const length = kv.has('length') ? Number(kv.get('length')) : type ? count((t.dims ?? []).map(num)) * BYTES[type] : -1;
      if (length < 0) throw new Error(`tensor '${t.name}': external data of an unsupported type without a length`);
      m.external.set(t, { file: safeLocation(baseDir, location), offset: Number(kv.get('offset') ?? 0), length });
    }
    return m;
  }

  /** Read a model file; external data stays on disk until it is needed. */
  static async load(file: string): Promise<OnnxModel> {
    const abs = resolve(file);
    return OnnxModel.fromBytes(await readFile(abs), dirname(abs));
  }

  get graph(): onnx.IGraphProto { return this.proto.graph; }

  get opset(): number {
    return num(this.proto.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version);
  }

  // ── inputs and outputs ────────────────────────────────────────────────────────────────────

  addInput(name: string, type: ElemType, shape: readonly Dim[] | undefined): this {
    if (this.findInput(name)) throw new Error(`input '${name}' already exists`);
    (this.graph.input ??= []).push(valueInfo(name, type, shape));
    return this;
  }

  addOutput(name: string, type: ElemType, shape: readonly Dim[] | undefined): this {
    if (this.findOutput(name)) throw new Error(`output '${name}' already exists`);
    (this.graph.output ??= []).push(valueInfo(name, type, shape));
    return this;
  }

  removeInput(name: string): this {
    this.graph.input = (this.graph.input ?? []).filter((v) => v.name !== name);
    return this;
  }

  removeOutput(name: string): this {
    this.graph.output = (this.graph.output ?? []).filter((v) => v.name !== name);
    return this;
  }

  /** Graph inputs that are fed at run time (initializers listed as inputs, as IR < 4 does, are left out). */
  inputs(): IoInfo[] {
    const inits = new Set((this.graph.initializer ?? []).map((t) => t.name));
    return (this.graph.input ?? []).filter((v) => !inits.has(v.name)).map(ioInfo);
  }

  outputs(): IoInfo[] { return (this.graph.output ?? []).map(ioInfo); }

  private findInput(name: string) { return (this.graph.input ?? []).find((v) => v.name === name); }
  private findOutput(name: string) { return (this.graph.output ?? []).find((v) => v.name === name); }

  // ── initializers ──────────────────────────────────────────────────────────────────────────

  /** Add a weight. Returns its name, so it can be used inline: `m.op('MatMul', [x, m.addInitializer('w', f32(...))])`. */
  addInitializer(name: string, t: TensorData): string {
    if (this.findInitializer(name)) throw new Error(`initializer '${name}' already exists`);
    (this.graph.initializer ??= []).push(tensorProto(name, t));
    return name;
  }

  /** Replace a weight's contents (and type/shape), or add it. */
  setInitializer(name: string, t: TensorData): void {
    const list = (this.graph.initializer ??= []);
    const i = list.findIndex((x) => x.name === name);
    if (i < 0) { list.push(tensorProto(name, t)); return; }
    this.external.delete(list[i]);
    list[i] = tensorProto(name, t);
  }

  removeInitializer(name: string): void {
    const t = this.findInitializer(name);
    if (!t) return;
    this.external.delete(t);
    this.graph.initializer = (this.graph.initializer ?? []).filter((x) => x !== t);
  }

  initializerNames(): string[] { return (this.graph.initializer ?? []).map((t) => t.name ?? ''); }

  /** Type and dims of a weight, without reading its data. */
  initializerInfo(name: string): { type: ElemType; dims: number[]; external: boolean } {
    const t = this.findInitializer(name);
    if (!t) throw new Error(`no initializer '${name}'`);
    const type = elemTypeOf(t.dataType ?? 0);
    if (!type) throw new Error(`initializer '${name}' has unsupported data type ${t.dataType}`);
    return { type, dims: (t.dims ?? []).map(num), external: this.external.has(t) };
  }

  /** A weight's contents, read from the external data file where it lives there. */
  async initializer(name: string): Promise<TensorData> {
    const t = this.findInitializer(name);
    if (!t) throw new Error(`no initializer '${name}'`);
    return this.tensorData(t);
  }

  private findInitializer(name: string) { return (this.graph.initializer ?? []).find((t) => t.name === name); }

  private async tensorBytes(t: onnx.ITensorProto, type: ElemType): Promise<Uint8Array> {
    const ref = this.external.get(t);
    if (ref) return readRange(ref);
    if (t.rawData && t.rawData.length > 0) return t.rawData;
    return bytesFromTypedFields(t, type);
  }

  async tensorData(t: onnx.ITensorProto): Promise<TensorData> {
    const type = elemTypeOf(t.dataType ?? 0);
    if (!type) throw new Error(`tensor '${t.name}' has unsupported data type ${t.dataType}`);
    const dims = (t.dims ?? []).map(num);
    const bytes = await this.tensorBytes(t, type);
    if (bytes.byteLength !== count(dims) * BYTES[type]) {
      throw new Error(`tensor '${t.name}': ${bytes.byteLength} bytes, ${type}${JSON.stringify(dims)} needs ${count(dims) * BYTES[type]}`);
    }
    return { type, dims, data: typedFromBytes(type, bytes) } as TensorData;
  }

  // ── nodes ─────────────────────────────────────────────────────────────────────────────────

  /** A name not used by any value, node or initializer yet. */
  uniqueName(prefix: string): string {
    const used = new Set<string>();
    for (const v of [...(this.graph.input ?? []), ...(this.graph.output ?? []), ...(this.graph.valueInfo ?? [])]) used.add(v.name ?? '');
    for (const t of this.graph.initializer ?? []) used.add(t.name ?? '');
    for (const n of this.graph.node ?? []) {
      used.add(n.name ?? '');
      for (const o of n.output ?? []) used.add(o);
    }
    let name: string;
    do name = `${prefix}_${this.nameCounter++}`; while (used.has(name));
    return name;
  }

  /** Append a node. `outputs` are names, or a count of outputs to name automatically. Returns the output names. */
  addNode(
    opType: string,
    inputs: readonly string[],
    opts: { outputs?: readonly string[] | number; attrs?: Record<string, Attr>; name?: string; domain?: string } = {},
  ): string[] {
    const outs = typeof opts.outputs === 'number' || opts.outputs === undefined
      ? Array.from({ length: typeof opts.outputs === 'number' ? opts.outputs : 1 }, () => this.uniqueName(opType))
      : [...opts.outputs];
    const node: onnx.INodeProto = {
      opType,
      input: [...inputs],
      output: outs,
      name: opts.name ?? this.uniqueName(`${opType}_node`),
      attribute: Object.entries(opts.attrs ?? {}).map(([k, a]) => attributeProto(k, a)),
    };
    if (opts.domain) node.domain = opts.domain;
    (this.graph.node ??= []).push(node);
    return outs;
  }

  /** A single-output node with an automatic output name: `const y = m.op('Relu', [x])`. Use '' for an omitted optional input. */
  op(opType: string, inputs: readonly string[], attrs?: Record<string, Attr>): string {
    return this.addNode(opType, inputs, { attrs })[0];
  }

  /** A node whose single output gets a given name (e.g. a graph output). */
  opTo(output: string, opType: string, inputs: readonly string[], attrs?: Record<string, Attr>): string {
    return this.addNode(opType, inputs, { outputs: [output], attrs })[0];
  }

  /** A constant tensor as an initializer with a fresh name. */
  constant(t: TensorData, prefix = 'const'): string {
    return this.addInitializer(this.uniqueName(prefix), t);
  }

  // ── writing ───────────────────────────────────────────────────────────────────────────────

  /** The model as bytes with every tensor inline (external data read in). */
  async toBytes(): Promise<Uint8Array> {
    const restore: [onnx.ITensorProto, onnx.ITensorProto][] = [];
    try {
      for (const t of tensorsOf(this.graph)) {
        if (!this.external.has(t)) continue;
        const type = elemTypeOf(t.dataType ?? 0);
        if (!type) throw new Error(`tensor '${t.name}': unsupported data type ${t.dataType}`);
        restore.push([t, { ...t }]);
        t.rawData = await this.tensorBytes(t, type);
        t.externalData = [];
        t.dataLocation = P.TensorProto.DataLocation.DEFAULT;
      }
      return encodeModel(this.proto);
    } finally {
      for (const [t, saved] of restore) Object.assign(t, { rawData: saved.rawData, externalData: saved.externalData, dataLocation: saved.dataLocation });
    }
  }

  /**
   * Write the model to `file`. With `externalData`, tensors of at least `sizeThreshold` bytes go to
   * one data file next to it (none is written if no tensor qualifies) (offsets aligned: 4096 bytes for tensors ≥ 1 MiB, as onnx does, 64
   * otherwise); tensors that came from another external file are copied in chunks, never all held
   * at once. Files are written under temporary names and renamed, so overwriting the model that
   * was loaded (and its own data file) is safe. After saving, the model refers to the new files.
   */
  async save(file: string, opts: SaveOptions = {}): Promise<void> {
    const abs = resolve(file);
    const dir = dirname(abs);
    await mkdir(dir, { recursive: true });
    const tmpTag = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    if (!opts.externalData) {
      const bytes = await this.toBytes();
      await writeFileAtomic(abs, bytes);
      for (const t of tensorsOf(this.graph)) {
        const ref = this.external.get(t);
        if (!ref) continue;
        t.rawData = await readRange(ref);
        t.externalData = [];
        t.dataLocation = P.TensorProto.DataLocation.DEFAULT;
        this.external.delete(t);
      }
      return;
    }
    const { location, sizeThreshold = 1024 } = opts.externalData;
    const dataFile = safeLocation(dir, location);
    const dataTmp = dataFile + tmpTag;
    const plan: { t: onnx.ITensorProto; ref: ExternalRef; src: ExternalRef | Uint8Array }[] = [];
    const fh = await open(dataTmp, fsConstants.O_CREAT | fsConstants.O_TRUNC | fsConstants.O_WRONLY);
    let offset = 0;
    try {
      // Initializers (of the main graph and subgraphs) go out by size; attribute tensors
      // (Constant values) stay inline unless they already were external, as onnx's
      // `convert_attribute=False` default.
      const inits = new Set(tensorsOf(this.graph, true));
      for (const t of tensorsOf(this.graph)) {
        const type = elemTypeOf(t.dataType ?? 0);
        const src = this.external.get(t);
        if (!src && !inits.has(t)) continue;
        if (!type) {
          if (src) throw new Error(`tensor '${t.name}': external data of unsupported type ${t.dataType}`);
          continue;
        }
        const length = src ? src.length : count((t.dims ?? []).map(num)) * BYTES[type];
        if (!src && length < sizeThreshold) continue;
        const align = length >= 1 << 20 ? 4096 : 64;
        offset = Math.ceil(offset / align) * align;
        const data = src ?? (t.rawData && t.rawData.length > 0 ? t.rawData : bytesFromTypedFields(t, type));
        await copyInto(fh, offset, data, length);
        plan.push({ t, ref: { file: dataFile, offset, length }, src: data });
        offset += length;
      }
    } finally {
      await fh.close();
    }
    // Encode the model with the new external references, then restore in-memory tensors on failure.
    const saved = plan.map(({ t }) => ({
      t, rawData: t.rawData, externalData: t.externalData, dataLocation: t.dataLocation,
      floatData: t.floatData, int32Data: t.int32Data, int64Data: t.int64Data, doubleData: t.doubleData,
    }));
    for (const { t, ref } of plan) {
      t.rawData = new Uint8Array(0);
      t.floatData = []; t.int32Data = []; t.int64Data = []; t.doubleData = [];
      t.dataLocation = P.TensorProto.DataLocation.EXTERNAL;
      t.externalData = [
        { key: 'location', value: location },
        { key: 'offset', value: String(ref.offset) },
        { key: 'length', value: String(ref.length) },
      ];
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeModel(this.proto);
    } catch (e) {
      for (const { t, ...fields } of saved) Object.assign(t, fields);
      await rm(dataTmp, { force: true });
      throw e;
    }
    if (plan.length > 0) await rename(dataTmp, dataFile);
    else await rm(dataTmp, { force: true });
    await writeFileAtomic(abs, bytes);
    for (const { t, ref } of plan) this.external.set(t, ref);
  }
}

function encodeModel(proto: onnx.IModelProto): Uint8Array {
  const bytes = P.ModelProto.encode(proto).finish();
  if (bytes.byteLength > PROTOBUF_LIMIT) throw new Error(`model is ${bytes.byteLength} bytes, over protobuf's 2 GiB limit: save it with externalData`);
  return bytes;
}

const CHUNK = 64 << 20;

/** Write `length` bytes at `offset`: from memory, or copied in chunks from another file's range. */
async function copyInto(fh: FileHandle, offset: number, src: ExternalRef | Uint8Array, length: number): Promise<void> {
  if (src instanceof Uint8Array) {
    let done = 0;
    while (done < length) done += (await fh.write(src, done, length - done, offset + done)).bytesWritten;
    return;
  }
  const size = (await stat(src.file)).size;
  if (src.offset + src.length > size) throw new Error(`external data file ${src.file} ends before offset ${src.offset + src.length}`);
  const inp = await open(src.file, 'r');
  try {
    const buf = new Uint8Array(Math.min(CHUNK, Math.max(1, length)));
    let done = 0;
    while (done < length) {
      const { bytesRead } = await inp.read(buf, 0, Math.min(buf.length, length - done), src.offset + done);
      if (bytesRead === 0) throw new Error(`external data file ${src.file} ended early`);
      let w = 0;
      while (w < bytesRead) w += (await fh.write(buf, w, bytesRead - w, offset + done + w)).bytesWritten;
      done += bytesRead;
    }
  } finally {
    await inp.close();
  }
}
