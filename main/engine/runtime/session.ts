/**
 * One ONNX model behind a float32 interface. The model's own input dtypes and shapes are read
 * from its metadata — never assumed — and float32 feeds are converted to them: float16 (as
 * `Uint16Array` bit patterns, round-to-nearest-even), float64, int64 (`BigInt64Array`), int32 and
 * the smaller integer types; a one-element feed becomes a scalar where the model wants shape [],
 * and a scalar is broadcast where it wants [n]. Outputs come back as float32 whatever their dtype.
 *
 * `session.run` blocks the JS thread (onnxruntime-node runs synchronously inside it): use this
 * inside the engine host process, never in a process that serves a UI.
 */
import * as ort from 'onnxruntime-node';
import type { Tensor } from '../tensor.js';
import { float16ToFloat32, float32ToFloat16 } from '../fp16.js';
import { formatBytes } from '../bytes.js';
import { createSessionWithFallback, resolveProviderOrder, type ProviderAttempt, type SessionConfig } from './providers.js';

/** A model input or output as the model declares it; symbolic dimensions are strings. */
export interface IOSpec {
  name: string;
  /** ORT's type name: 'float32', 'float16', 'int64', 'int32', … */
  type: string;
  shape: readonly (number | string)[];
}

/** What a feed may be: any numbers with a shape (float32 arrays, plain arrays). */
export interface Feed {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

export interface ModelSessionOptions extends SessionConfig {
  /** A name for messages, e.g. 'unet'. */
  label?: string;
  /** Override of the provider order: a name or comma list ('cuda', 'cpu', 'dml,cpu'); else DRIFTLINE_EP, else the platform's order. */
  provider?: string;
  env?: NodeJS.ProcessEnv;
}

export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

function specsOf(metadata: readonly ort.InferenceSession.ValueMetadata[]): IOSpec[] {
  return metadata.map((m) =>
    m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'non-tensor', shape: [] },
  );
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The shape to feed: the caller's, adapted to a scalar or broadcast to a 1-D input where that is unambiguous. */
export function adaptShape(spec: IOSpec, feed: Feed, label: string): { shape: number[]; repeat: number } {
  const given = [...feed.shape];
  const n = numel(given);
  if (n !== feed.data.length) {
    throw new Error(`${label} input "${spec.name}": shape ${formatShape(given)} needs ${n} values, got ${feed.data.length}`);
  }
  const want = spec.shape;
  if (want.length === 0 && n === 1) return { shape: [], repeat: 1 };
  if (want.length === 1 && given.length === 0) {
    const d = want[0];
    return typeof d === 'number' ? { shape: [d], repeat: d } : { shape: [1], repeat: 1 };
  }
  if (want.length === 1 && given.length === 1 && typeof want[0] === 'number' && want[0] !== given[0] && given[0] === 1) {
    return { shape: [want[0]], repeat: want[0] };
  }
  const mismatch =
    want.length !== given.length || want.some((d, i) => typeof d === 'number' && d >= 0 && d !== given[i]);
  if (mismatch) {
    throw new Error(
      `${label} input "${spec.name}" expects shape ${formatShape(want)} (${spec.type}), got ${formatShape(given)}`,
    );
  }
  return { shape: given, repeat: 1 };
}

/** Convert a float32 (or plain-number) feed to the dtype the model declares. */
export function toOrtTensor(spec: IOSpec, feed: Feed, label = 'model'): ort.Tensor {
  const { shape, repeat } = adaptShape(spec, feed, label);
  let src: ArrayLike<number> = feed.data;
  if (repeat > 1) src = Array.from({ length: repeat }, () => feed.data[0]);
  const f32 = () => (src instanceof Float32Array ? src : Float32Array.from(src));
  switch (spec.type) {
    case 'float32':
      return new ort.Tensor('float32', f32(), shape);
    case 'float16':
      return new ort.Tensor('float16', float32ToFloat16(f32()), shape);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(src), shape);
    case 'int64': {
      const out = new BigInt64Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = BigInt(Math.round(src[i]));
      return new ort.Tensor('int64', out, shape);
    }
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(src, (v) => Math.round(v)), shape);
    case 'int16':
      return new ort.Tensor('int16', Int16Array.from(src, (v) => Math.round(v)), shape);
    case 'int8':
      return new ort.Tensor('int8', Int8Array.from(src, (v) => Math.round(v)), shape);
    case 'uint8':
      return new ort.Tensor('uint8', Uint8Array.from(src, (v) => Math.round(v)), shape);
    case 'bool':
      return new ort.Tensor('bool', Uint8Array.from(src, (v) => (v ? 1 : 0)), shape);
    default:
      throw new Error(`${label} input "${spec.name}" has type ${spec.type}, which the engine cannot feed`);
  }
}

/** Any numeric ORT output as float32. */
export function fromOrtTensor(t: ort.Tensor, name: string, label = 'model'): Tensor {
  const shape = t.dims.map(Number);
  const data = t.data as unknown;
  let out: Float32Array;
  if (t.type === 'float32') out = data as Float32Array;
  else if (t.type === 'float16') {
    out = data instanceof Uint16Array ? float16ToFloat32(data) : Float32Array.from(data as ArrayLike<number>);
  } else if (t.type === 'int64' || t.type === 'uint64') out = Float32Array.from(data as BigInt64Array, (v) => Number(v));
  else if (typeof t.type === 'string' && t.type !== 'string') out = Float32Array.from(data as ArrayLike<number>);
  else throw new Error(`${label} output "${name}" has type ${t.type}, which the engine cannot read`);
  return { data: out, shape };
}

/**
 * A model call ONNX Runtime could not find memory for. Its message says which model, at what
 * shapes and how large the buffer was, in words; ONNX Runtime's own text (arena internals, source
 * paths) is kept in `detail` for logs.
 */
export class OutOfMemoryError extends Error {
  readonly code = 'OUT_OF_MEMORY';
  override name = 'OutOfMemoryError';
  constructor(message: string, readonly requestedBytes: number | undefined, readonly detail: string) {
    super(message);
  }
}

/** How ONNX Runtime's providers report a failed allocation (CPU arena, C++ allocation, CUDA, DirectML). */
const ALLOCATION_FAILED = /Failed to allocate memory|bad_alloc|out of memory|E_OUTOFMEMORY|ALLOC_FAILED|is smaller than requested bytes/i;

/** An `OutOfMemoryError` for ONNX Runtime's message `raw` when it reports a failed allocation; else undefined. */
export function allocationFailure(label: string, provider: string, shapes: string, raw: string): OutOfMemoryError | undefined {
  if (!ALLOCATION_FAILED.test(raw)) return undefined;
  const size = /(?:buffer of size|requested bytes of|size of)\s*(\d+)/i.exec(raw);
  const bytes = size ? Number(size[1]) : undefined;
  const where = provider === 'cpu' ? 'this machine' : `the ${provider} device`;
  const asked = bytes !== undefined ? `a further ${formatBytes(bytes)} buffer` : 'more memory';
  return new OutOfMemoryError(
    `${label} ran out of memory with ${shapes}: it asked for ${asked}, which ${where} could not give; use a smaller size or batch, or close other programs`,
    bytes,
    raw,
  );
}

export class ModelSession {
  private released = false;

  private constructor(
    readonly label: string,
    private readonly session: ort.InferenceSession,
    /** The provider the session actually runs on. */
    readonly provider: string,
    /** Providers tried before it, with the reason each was not used. */
    readonly skipped: readonly ProviderAttempt[],
    readonly inputs: readonly IOSpec[],
    readonly outputs: readonly IOSpec[],
  ) {}

  /** Load `model` (a path, or bytes) with the first provider that works. */
  static async create(model: string | Uint8Array, opts: ModelSessionOptions = {}): Promise<ModelSession> {
    const label = opts.label ?? (typeof model === 'string' ? model : 'model');
    const { order } = resolveProviderOrder({ provider: opts.provider, env: opts.env });
    const created = await createSessionWithFallback(model, order, opts);
    return new ModelSession(
      label,
      created.session,
      created.provider,
      created.skipped,
      specsOf(created.session.inputMetadata),
      specsOf(created.session.outputMetadata),
    );
  }

  input(name: string): IOSpec | undefined {
    return this.inputs.find((s) => s.name === name);
  }

  output(name: string): IOSpec | undefined {
    return this.outputs.find((s) => s.name === name);
  }

  hasInput(name: string): boolean {
    return this.input(name) !== undefined;
  }

  /**
   * Run with float32 feeds (converted to the model's dtypes); returns the requested outputs (all
   * by default) as float32. Every model input must be fed; unknown names are an error.
   */
  async run(feeds: Readonly<Record<string, Feed>>, outputNames?: readonly string[]): Promise<Record<string, Tensor>> {
    if (this.released) throw new Error(`${this.label}: the session was released`);
    const expected = this.inputs.map((s) => s.name).join(', ');
    for (const name of Object.keys(feeds)) {
      if (!this.hasInput(name)) throw new Error(`${this.label} has no input "${name}" (its inputs: ${expected})`);
    }
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const spec of this.inputs) {
      const feed = feeds[spec.name];
      if (!feed) throw new Error(`${this.label} needs input "${spec.name}" ${formatShape(spec.shape)} (${spec.type}); its inputs: ${expected}`);
      ortFeeds[spec.name] = toOrtTensor(spec, feed, this.label);
    }
    const wanted = outputNames ?? this.outputs.map((s) => s.name);
    for (const name of wanted) {
      if (!this.output(name)) throw new Error(`${this.label} has no output "${name}" (its outputs: ${this.outputs.map((s) => s.name).join(', ')})`);
    }
    let result: ort.InferenceSession.ReturnType;
    try {
      // A failing run's error is thrown with its context (and in words where memory ran out): ONNX
      // Runtime would also print it raw on the host's stderr, which a CLI user's terminal shows.
      result = await this.session.run(ortFeeds, [...wanted], { logSeverityLevel: 4 });
    } catch (err) {
      const shapes = this.inputs.map((s) => `${s.name} ${formatShape(ortFeeds[s.name].dims)}`).join(', ');
      const raw = err instanceof Error ? err.message : String(err);
      throw allocationFailure(this.label, this.provider, shapes, raw) ?? new Error(`${this.label} failed to run with ${shapes}: ${raw}`);
    }
    const out: Record<string, Tensor> = {};
    for (const name of wanted) out[name] = fromOrtTensor(result[name] as ort.Tensor, name, this.label);
    return out;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}
