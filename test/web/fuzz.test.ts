// Browser mode's socket under generated traffic: over 10,000 messages — calls the contract
// accepts, calls it refuses (wrong types, missing fields, unknown methods, numbers out of every
// range, hostile strings and keys), and frames that are not calls at all (non-JSON, truncated
// JSON, binary garbage, lying lengths, broken attachments, duplicate and absent call ids) —
// pipelined over the real WebSocket of a real `driftline serve` process (serve-process.ts: the
// compiled server and the fake engine host; `npm run build:node` first, `npm test` does), then a
// few hundred connections opened and closed in odd ways. The generators are seeded: every run
// sends the same messages.
//
// What must hold:
// - the process never exits and logs no unexpected failure;
// - every message gets exactly one reply, a result or an error with a code the studio names,
//   carrying the call's id whenever the message's JSON names one (else −1);
// - no error carries a runtime message (a TypeError's text, a stack, a parser's position);
// - the contract decides: a call it accepts is never refused as malformed, a call it refuses always
//   is (`judgeText` and `judgeBinary` read each message as the wire format documents it,
//   independently of the server's decoder);
// - afterwards a normal job succeeds on a fresh connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import WebSocket from 'ws';
import { EDIT_KINDS, EDIT_PRESETS, EVENT_NAMES, LAB_GRIDS, METHODS, isMethod, type MethodName } from '../../main/api/contract.js';
import { MAX_MESSAGE_DEPTH, decodeFrame, decodeWire, encodeFrame, encodeWire } from '../../main/api/wire.js';
import { apiUrl, connect, serveProcess, type ServeProcess } from './serve-process.js';

const SEED = 20_240_611;
const STORM_RUNS = 200; // connections of the storm, each pipelining one batch
const BATCH = { minLength: 50, maxLength: 60 };
const CYCLE_RUNS = 150; // connection scenarios, each followed by a liveness probe on another connection

let served: ServeProcess;
let api: string;
beforeAll(async () => {
  served = await serveProcess('127.0.0.1');
  api = apiUrl(served);
});
afterAll(() => served?.stop());

// ---------------------------------------------------------------------------------------------
// Values

const MB = 1 << 20;
/** 1 MiB strings: plain, path-like, and with NULs and bidi controls throughout. */
const HUGE = ['x'.repeat(MB), '../'.repeat(MB / 3), ('\0\u202e'.repeat(8) + 'a'.repeat(1008)).repeat(MB / 1024)];

const hostileString = fc.oneof(
  { weight: 5, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) }, // lone surrogates, controls
  { weight: 4, arbitrary: fc.constantFrom(
    '../../../../etc/passwd', '..\\..\\..\\Windows\\win.ini', '/etc/shadow', 'C:\\Windows\\System32', '\\\\?\\C:\\', '\\\\server\\share',
    'file:///etc/passwd', '%2e%2e%2f%2e%2e%2f', 'a\0b', '\0', 'emoji-32\0.onnx', '\u202eevil\u202c', '\u2066x\u2069', '\u200f\u200e',
    '\ufeff', '\ud800', '\udfff', '\ud83d', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'then', '',
    ' ', '$bytes', '$bin', 'running', 'CON', 'NUL', 'aux.txt', '<img src=x onerror=alert(1)>', "'; DROP TABLE models; --",
    '${process.exit(1)}', '\r\nSet-Cookie: x=1', 'e\u0301'.repeat(30), '😀'.repeat(60), 'a'.repeat(101), 'a'.repeat(4097),
  ) },
);
const hostileKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'then', 'length', '', '\0', '\u202e', '../x', 'kind', 'id', 'method', 'params', 'jobId') },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const hostileNumber = fc.oneof(
  fc.constantFrom(-1, -0, 0, 0.5, -0.5, 1.5, 1e21, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 31, -(2 ** 31), 2 ** 32, 1e308, -1e308, Number.MIN_VALUE, Number.EPSILON, 4097, 1001, 1025, NaN, Infinity, -Infinity),
  fc.double(),
  fc.integer(),
);
/** Anything in the wrong place. (NaN and ±Infinity travel as null: JSON has no such numbers; raw text below spells them out.) */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString, hostileNumber, fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}),
  fc.array(fc.integer(), { maxLength: 4 }), fc.uint8Array({ maxLength: 8 }),
  fc.array(fc.tuple(hostileKey, fc.oneof(fc.integer(), hostileString)), { maxLength: 3 }).map((kv) => own(kv)),
);

/** An object with these own keys — `__proto__` included, as JSON.parse makes it. */
function own(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

// ---------------------------------------------------------------------------------------------
// Calls the contract accepts (most of the time: `judge` decides, not the generators)

const jobId = fc.oneof(fc.constantFrom('j0', 'j1', 'j2', 'j3'), hostileString);
const model = fc.oneof(fc.constantFrom('emoji-32', 'running', 'm'), hostileString);
const image = fc.uint8Array({ minLength: 1, maxLength: 16 });
const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const seed = fc.maxSafeNat();
const scale = fc.double({ min: 0, max: 100, noNaN: true });
const point = fc.record({ x: fc.double({ min: -1e5, max: 1e5, noNaN: true }), y: fc.double({ min: -1e5, max: 1e5, noNaN: true }) });
const sampler = fc.constantFrom('pack', 'auto', 'euler', 'dpmpp-2m', 'no-such-sampler');
const previewEvery = fc.integer({ min: 0, max: 1000 });

const PARAMS: { [M in MethodName]: fc.Arbitrary<Record<string, unknown>> } = {
  listSamplers: fc.constant({}),
  listModels: fc.constant({}),
  inspectModel: fc.record({ model }),
  getSolverTable: fc.record({ model }),
  getBoundary: fc.record({ model, sampler, steps: fc.integer({ min: 1, max: 1000 }) }, { requiredKeys: ['model'] }),
  importModel: fc.record({ path: hostileString, name: hostileString, mode: fc.constantFrom('copy', 'link') }, { requiredKeys: ['path'] }),
  removeModel: fc.record({ name: hostileString }),
  downloadModel: fc.record({ name: hostileString }),
  cancel: fc.record({ jobId }),
  galleryList: fc.record({ offset: fc.integer({ min: -1, max: 1e9 }), limit: fc.integer({ min: 0, max: 300 }) }, { requiredKeys: [] }),
  galleryGet: fc.record({ id: fc.oneof(fc.constantFrom('fake-1', '../index', '..', 'a/b'), hostileString) }),
  galleryDelete: fc.record({ id: fc.oneof(fc.constantFrom('fake-1', '../index', '..', 'a/b'), hostileString) }),
  galleryThumbnails: fc.record({ ids: fc.array(fc.oneof(fc.constantFrom('fake-1', '../index', '..', 'a/b'), hostileString), { maxLength: 120 }) }),
  generate: fc.record({
    jobId, model, prompt: hostileString, negativePrompt: hostileString, sampler, steps: fc.integer({ min: 1, max: 4 }), cfgScale: scale, seed,
    width: fc.integer({ min: 8, max: 4096 }), height: fc.integer({ min: 8, max: 4096 }), batch: fc.integer({ min: 1, max: 64 }),
    init: fc.record({ image, strength: fraction }), mask: image, previewEvery,
  }, { requiredKeys: ['jobId', 'model', 'prompt', 'steps', 'cfgScale', 'seed'] }),
  edit: fc.record({
    jobId, model, kind: fc.constantFrom(...EDIT_KINDS), image, mask: image, offset: point,
    scale: fc.record({ x: fc.double({ min: 0.05, max: 20, noNaN: true }), y: fc.double({ min: 0.05, max: 20, noNaN: true }) }),
    drag: fc.array(fc.record({ handle: point, target: point }), { maxLength: 3 }),
    reference: fc.record({ image, mask: image, prompt: hostileString }, { requiredKeys: ['image', 'mask'] }),
    prompt: hostileString, preset: fc.constantFrom(...EDIT_PRESETS), steps: fc.integer({ min: 2, max: 1000 }), cfgScale: scale, seed,
    options: fc.record({
      inversion: fc.constantFrom('exact', 'ddim'), eta: fraction, sdeWindow: fc.tuple(fraction, fraction),
      timeTravel: fc.record({ at: fc.array(fraction, { maxLength: 4 }), tries: fc.integer({ min: 1, max: 10 }) }),
      guidance: fc.record({ scale, content: scale, edit: scale, everyUntil: fraction, alternateUntil: fraction }, { requiredKeys: [] }),
      composite: fc.boolean(),
    }, { requiredKeys: [] }),
    previewEvery,
  }, { requiredKeys: ['jobId', 'model', 'kind', 'image'] }),
  upscale: fc.record({
    jobId, model, image, steps: fc.integer({ min: 1, max: 1000 }), sampler, bc: fc.constantFrom('auto', 'random'), seed,
    noiseLevel: fc.integer({ min: 0, max: 999 }), overlap: fc.integer({ min: 0, max: 1024 }), previewEvery,
  }, { requiredKeys: ['jobId', 'model', 'image'] }),
  bcSearch: fc.record({
    jobId, model, calibration: hostileString, candidates: fc.integer({ min: 2, max: 1024 }), steps: fc.integer({ min: 1, max: 200 }), sampler,
    metric: fc.constantFrom('psnr', 'ssim', 'gmsd'), seed, limit: fc.integer({ min: 1, max: 1024 }),
  }, { requiredKeys: ['jobId', 'model'] }),
  solverLab: fc.record({
    jobId, model, scope: fc.constantFrom('full', 'quick'), nfes: fc.array(fc.integer({ min: 2, max: 200 }), { minLength: 1, maxLength: 8 }),
    prompts: fc.array(hostileString, { minLength: 1, maxLength: 3 }), seeds: fc.array(seed, { minLength: 1, maxLength: 3 }),
    cfgScale: fc.double({ min: 0, max: 30, noNaN: true }), samplers: fc.array(sampler, { minLength: 1, maxLength: 3 }),
    grids: fc.uniqueArray(fc.constantFrom(...LAB_GRIDS), { minLength: 1 }),
  }, { requiredKeys: ['jobId', 'model'] }),
};
const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

// ---------------------------------------------------------------------------------------------
// Breaking them

/** One change somewhere inside the parameters: a value replaced, a key removed, a key added. */
interface Mutation { op: 'set' | 'delete' | 'add'; at: number; key: string; value: unknown }
const mutation: fc.Arbitrary<Mutation> = fc.record({ op: fc.constantFrom('set', 'delete', 'add'), at: fc.nat(), key: hostileKey, value: wrongValue });

function mutate(params: Record<string, unknown>, m: Mutation): void {
  const containers: (Record<string, unknown> | unknown[])[] = [];
  const todo: unknown[] = [params];
  while (todo.length) {
    const v = todo.pop();
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) continue;
    containers.push(v as Record<string, unknown>);
    todo.push(...Object.values(v));
  }
  const target = containers[m.at % containers.length];
  const keys = Object.keys(target);
  const value = structuredClone(m.value); // generated values may be shared: never insert one twice
  const key = keys[Math.floor(m.at / containers.length) % Math.max(keys.length, 1)];
  if (m.op === 'add' || key === undefined) {
    if (Array.isArray(target)) target.push(value);
    else Object.defineProperty(target, m.key, { value, enumerable: true, writable: true, configurable: true });
  } else if (m.op === 'delete') {
    delete (target as Record<string, unknown>)[key];
  } else {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }
}

/** A change to the envelope `{ kind, id, method, params }` itself. */
interface EnvelopeChange { field: string; remove: boolean; value: unknown }
const envelopeChange: fc.Arbitrary<EnvelopeChange> = fc.constantFrom('kind', 'id', 'method', 'params').chain((field) => fc.record({
  field: fc.constant(field),
  remove: fc.boolean(),
  value: field === 'kind' ? fc.oneof(fc.constantFrom('reply', 'event', 'CALL', 'call ', 'ready'), wrongValue)
    : field === 'id' ? fc.oneof(hostileNumber, fc.constantFrom('7', null, true, [1], {}, -1, -2))
    : field === 'method' ? fc.oneof(fc.constantFrom('shutdown', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'LISTMODELS', 'listModels ', 'list\0Models', 'generate\u202e', 'a'.repeat(65), ''), hostileString, wrongValue)
    : wrongValue,
}));

/** Keep valid jobs short: the fake host spends 5 ms a step. */
function short(method: string, params: Record<string, unknown>): void {
  if (method === 'generate' && typeof params.steps === 'number' && params.steps > 8 && params.steps <= 1000) params.steps = 8;
}

type Build = (id: number) => { frame: string | Uint8Array; label: string };

const format = fc.constantFrom('text', 'binary', 'text');
function encode(f: string, message: unknown): string | Uint8Array {
  return f === 'text' ? encodeWire(message) : encodeFrame(message);
}
const describeFrame = (frame: string | Uint8Array) =>
  typeof frame === 'string' ? `text ${JSON.stringify(frame.slice(0, 160))}${frame.length > 160 ? `… (${frame.length} chars)` : ''}` : `binary [${[...frame.subarray(0, 48)].join(',')}${frame.length > 48 ? `,…] (${frame.length} bytes)` : ']'}`;

/** A call: the method's parameters, perhaps broken in a few places and in its envelope. */
const call = (mutations: fc.Arbitrary<Mutation[]>, envelope: fc.Arbitrary<EnvelopeChange | null>): fc.Arbitrary<Build> =>
  fc.constantFrom(...METHOD_NAMES).chain((method) => fc.tuple(fc.constant(method), PARAMS[method], mutations, envelope, format, fc.boolean()))
    .map(([method, params, muts, env, f, omitParams]) => (id: number) => {
      const p = structuredClone(params);
      for (const m of muts) mutate(p, m);
      short(method, p);
      const message: Record<string, unknown> = { kind: 'call', id, method, params: p };
      // A call with no parameters may leave them out.
      if (omitParams && Object.keys(p).length === 0) delete message.params;
      if (env) {
        if (env.remove) delete message[env.field];
        else Object.defineProperty(message, env.field, { value: structuredClone(env.value), enumerable: true, writable: true, configurable: true });
      }
      const frame = encode(f, message);
      return { frame, label: `${method} call${muts.length ? `, ${muts.length} change(s)` : ''}${env ? `, envelope ${env.field} ${env.remove ? 'removed' : 'changed'}` : ''}` };
    });

const validCall = call(fc.constant([]), fc.constant(null));
const brokenCall = call(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: envelopeChange }));
const brokenEnvelope = call(fc.constant([]), envelopeChange);

/** A 1 MiB string in a field or an extra key. */
const hugeCall: fc.Arbitrary<Build> = fc.tuple(fc.constantFrom<MethodName>('generate', 'edit', 'importModel', 'inspectModel', 'listModels', 'cancel'), fc.constantFrom(...HUGE), fc.constantFrom('prompt', 'model', 'jobId', 'path', 'extra', '__proto__'), format)
  .chain(([method, huge, key, f]) => PARAMS[method].map((params) => (id: number) => {
    const p = structuredClone(params);
    Object.defineProperty(p, key, { value: huge, enumerable: true, writable: true, configurable: true });
    short(method, p);
    return { frame: encode(f, { kind: 'call', id, method, params: p }), label: `${method} call with a 1 MiB string in ${key}` };
  }));

// ---------------------------------------------------------------------------------------------
// Frames that are not calls

const text = (label: string, make: (id: number) => string): Build => (id) => ({ frame: make(id), label });
const NUMBER = /(?<=[:[,])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?=[,\]}])/g;

const rawText: fc.Arbitrary<Build> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => text('garbage text', () => s)),
  fc.constantFrom('', ' ', 'null', 'true', '0', '-1', '"call"', '[]', '{}', '{"kind":"call"}', '\ufeff{}', 'undefined', 'NaN', '{"kind":"call","id":1,"method":"listModels","params":{}', "{'kind':'call'}")
    .map((s) => text('not a call', () => s)),
  fc.constantFrom('{"kind":"call","id":%,"method":"listModels"}', '{"kind":"call","id":%,"method":"listSamplers","params":null}', '[{"kind":"call","id":%,"method":"listModels","params":{}}]',
    '{"kind":"call","id":%,"id":"x","method":"listModels","params":{}}', '{"kind":"call","id":"x","id":%,"method":"listModels","params":{}}', '{"id":%}', '{"kind":"reply","id":%,"ok":true,"value":1}',
    '{"kind":"call","id":%,"method":"listModels","params":{},"extra":{"__proto__":{"polluted":1}}}', '{"kind":"call","id":%,"method":"cancel","params":{"__proto__":{"jobId":"j0"}}}',
    '{"kind":"call","id":%,"method":"generate","params":{"constructor":{"prototype":{"polluted":1}},"jobId":"p","model":"m","prompt":"","steps":1,"cfgScale":1,"seed":1}}',
    '{"kind":"call","id":%,"method":"listModels","params":{}}\n\n', '\t {"kind":"call","id":%,"method":"listModels","params":{}}', '{"kind":"call","id":%.0,"method":"listModels","params":{}}',
    '{"kind":"call","id":%e0,"method":"listModels","params":{}}', '{"kind":"call","id":-%,"method":"listModels","params":{}}')
    .map((t) => text('odd JSON', (id) => t.replace('%', String(id)))),
  // A well-formed call cut short.
  fc.tuple(validCall, fc.nat()).map(([build, cut]) => (id: number) => {
    const t = encodeWire(decodeFrame(asFrame(build(id).frame)));
    return { frame: t.slice(0, cut % t.length), label: 'truncated JSON' };
  }),
  // A number spelled the way JSON does not allow, or too large for a double.
  fc.tuple(validCall, fc.nat(), fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '1e-999', '00', '+1', '0x1F', '.5', '1.', '-', '9007199254740993', '1e21', '-0'))
    .map(([build, at, literal]) => (id: number) => {
      const t = encodeWire(decodeFrame(asFrame(build(id).frame)));
      let i = 0;
      const n = [...t.matchAll(NUMBER)].length;
      return { frame: n ? t.replace(NUMBER, (m) => (i++ === at % n ? literal : m)) : t, label: `a number written ${literal}` };
    }),
  // Nesting deeper than any request needs, in the parameters or an extra key (depth up to 200,000).
  fc.tuple(fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 200, max: 200_000 })), fc.constantFrom('[', '{"a":'), fc.constantFrom('params', 'extra', 'top'))
    .map(([depth, open, where]) => text(`nested ${depth} deep (${where})`, (id) => {
      const deep = open.repeat(depth) + (open === '[' ? '' : '1') + (open === '[' ? ']' : '}').repeat(depth);
      if (where === 'top') return deep;
      if (where === 'params') return `{"kind":"call","id":${id},"method":"listModels","params":${deep}}`;
      return `{"kind":"call","id":${id},"method":"generate","params":{"jobId":"d${id}","model":"m","prompt":"","steps":1,"cfgScale":1,"seed":1,"x":${deep}}}`;
    })),
  // Byte arrays in text messages are `{ "$bytes": base64 }`: good, bad and misplaced ones.
  fc.tuple(fc.oneof(fc.constantFrom('', 'AQID', 'AQI=', 'AQ==', '@@@@', 'AQI', 'A===', '====', 'AQID\n', 'AQ=D', '////'), hostileString), fc.constantFrom('init', 'extra', 'params', 'id', 'nested'))
    .map(([b64, where]) => text(`$bytes ${JSON.stringify(b64.slice(0, 20))} in ${where}`, (id) => {
      const bytes = JSON.stringify({ $bytes: b64 });
      if (where === 'params') return `{"kind":"call","id":${id},"method":"listModels","params":${bytes}}`;
      if (where === 'id') return `{"kind":"call","id":${bytes},"method":"listModels","params":{}}`;
      const at = where === 'init' ? `"init":{"image":${bytes},"strength":0.5}` : where === 'extra' ? `"x":${bytes}` : `"x":{"$bytes":${bytes}}`;
      return `{"kind":"call","id":${id},"method":"generate","params":{"jobId":"b${id}","model":"m","prompt":"","steps":1,"cfgScale":1,"seed":1,${at}}}`;
    })),
);

const asFrame = (f: string | Uint8Array): Uint8Array => (typeof f === 'string' ? encodeFrame(decodeWire(f)) : f);

/** `u32le(json length) · json · (u32le(length) · bytes)*`, with every length open to lies. */
function frameOf(json: Uint8Array | string, parts: Uint8Array[] = [], lie?: { json?: number; part?: number }): Uint8Array {
  const j = typeof json === 'string' ? new TextEncoder().encode(json) : json;
  const out = new Uint8Array(4 + j.length + parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, lie?.json ?? j.length, true);
  out.set(j, 4);
  let at = 4 + j.length;
  parts.forEach((p, i) => {
    view.setUint32(at, i === 0 && lie?.part !== undefined ? lie.part : p.length, true);
    out.set(p, at + 4);
    at += 4 + p.length;
  });
  return out;
}
const bin = (label: string, make: (id: number) => Uint8Array): Build => (id) => ({ frame: make(id), label });
const utf8 = (s: string) => new TextEncoder().encode(s);

const rawBinary: fc.Arbitrary<Build> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => bin('binary garbage', () => b)),
  fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 8 })).map(([b, head]) => bin('binary garbage with a small header', () => {
    const f = frameOf(b);
    f.set(head.subarray(0, 4));
    return f;
  })),
  // A well-formed frame cut short, or with a length that lies.
  fc.tuple(validCall, fc.nat()).map(([build, cut]) => (id: number) => {
    const f = asFrame(build(id).frame);
    return { frame: f.subarray(0, cut % f.length), label: 'truncated binary frame' };
  }),
  fc.tuple(fc.constantFrom(0, 1, 2, 0xffffffff, 0x7fffffff, -1, -2, 5), fc.boolean()).map(([delta, onPart]) => bin(`binary frame whose ${onPart ? 'attachment' : 'JSON'} length is off by ${delta}`, (id) => {
    const json = JSON.stringify({ kind: 'call', id, method: 'generate', params: { jobId: `l${id}`, model: 'm', prompt: '', steps: 1, cfgScale: 1, seed: 1, init: { image: { $bin: 0 }, strength: 0.5 } } });
    const part = new Uint8Array([1, 2, 3]);
    const length = ((onPart ? part.length : utf8(json).length) + delta) >>> 0;
    return frameOf(json, [part], onPart ? { part: length } : { json: length });
  })),
  // Text that is not UTF-8 where the JSON belongs.
  fc.tuple(fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe, 0xff]), fc.boolean()).map(([bad, inside]) => bin(`binary frame with bytes ${bad.join(',')} in its JSON`, (id) => {
    const json = utf8(`{"kind":"call","id":${id},"method":"listModels","params":{"x":"`);
    return frameOf(inside ? new Uint8Array([...json, ...bad, ...utf8('"}}')]) : new Uint8Array([...bad, ...json]));
  })),
  // Attachments: references out of range, repeated, of the wrong type; attachments nobody refers to.
  fc.tuple(fc.constantFrom<unknown>(0, 1, 2, -1, 0.5, '0', null, 2 ** 32, [0], { $bin: 0 }), fc.constantFrom<unknown>(undefined, 0, 1), fc.integer({ min: 0, max: 3 }))
    .map(([first, second, nparts]) => bin(`binary frame with $bin ${JSON.stringify(first)}, ${JSON.stringify(second)} and ${nparts} attachment(s)`, (id) => {
      const params: Record<string, unknown> = { jobId: `a${id}`, model: 'm', prompt: '', steps: 1, cfgScale: 1, seed: 1, init: { image: { $bin: first }, strength: 0.5 } };
      if (second !== undefined) params.mask = { $bin: second };
      return frameOf(JSON.stringify({ kind: 'call', id, method: 'generate', params }), Array.from({ length: nparts }, (_, i) => new Uint8Array([i + 1, 2, 3])));
    })),
  // Well-formed frames around JSON that is not a call.
  fc.constantFrom('null', '[]', '1', '"x"', '{}', '{"id":%}', '{"kind":"call","id":%}', '{"kind":"call","id":%,"method":"shutdown","params":{}}', '{"kind":"call","id":%,"method":"listModels","params":{"$bytes":"AQID"}}', '{"kind":"call","id":%,"method":"listModels","params":' + '['.repeat(5000) + ']'.repeat(5000) + '}')
    .map((t) => bin('binary frame around odd JSON', (id) => frameOf(t.replace('%', String(id))))),
);

const anyCase: fc.Arbitrary<Build> = fc.oneof(
  { weight: 30, arbitrary: validCall },
  { weight: 35, arbitrary: brokenCall },
  { weight: 8, arbitrary: brokenEnvelope },
  { weight: 12, arbitrary: rawText },
  { weight: 12, arbitrary: rawBinary },
  { weight: 2, arbitrary: hugeCall },
);

// ---------------------------------------------------------------------------------------------
// The oracle: what the server must answer, read from the bytes sent

/** Accepted by the contract (with the job it starts, if any), or refused with this code. */
type Expect = { valid: MethodName; job?: string } | { refused: 'BAD_REQUEST' | 'UNKNOWN_METHOD' };
const BAD: Expect = { refused: 'BAD_REQUEST' };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
/** The call id a message's JSON names, −1 when it names none a reply could carry. */
const idIn = (json: unknown): number => {
  const id = isObject(json) ? json.id : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : -1;
};

/** The envelope, the method, then the contract's own schema for its parameters. */
function judgeMessage(m: unknown): Expect {
  if (!isObject(m) || m.kind !== 'call' || typeof m.id !== 'number' || !Number.isSafeInteger(m.id) || m.id < 0 || typeof m.method !== 'string' || [...m.method].length > 64) return BAD; // zod counts code points
  if (!isMethod(m.method)) return { refused: 'UNKNOWN_METHOD' };
  const params = METHODS[m.method].params.safeParse(m.params ?? {});
  if (!params.success) return BAD;
  const job = (params.data as { jobId?: unknown }).jobId;
  return typeof job === 'string' && JOBS.has(m.method) ? { valid: m.method, job } : { valid: m.method };
}

/**
 * Replace the wire format's byte-array markers (single-key objects) the way the format documents
 * them, refusing any container nested deeper than it allows. Iterative: some messages nest 200,000 deep.
 */
function revive(root: unknown, marker: '$bytes' | '$bin', convert: (v: unknown) => Uint8Array): unknown {
  const box = { root };
  const todo: [Record<string, unknown> | unknown[], string, number][] = [[box as Record<string, unknown>, 'root', 0]];
  while (todo.length) {
    const [parent, key, depth] = todo.pop()!;
    const v = (parent as Record<string, unknown>)[key];
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > MAX_MESSAGE_DEPTH) throw new Error('too deep');
    const keys = Object.keys(v);
    if (!Array.isArray(v) && keys.length === 1 && keys[0] === marker && (marker === '$bin' || typeof (v as Record<string, unknown>).$bytes === 'string')) {
      Object.defineProperty(parent, key, { value: convert((v as Record<string, unknown>)[marker]), enumerable: true, writable: true, configurable: true });
      continue;
    }
    for (const k of keys) todo.push([v as Record<string, unknown>, k, depth + 1]);
  }
  return box.root;
}

function judgeText(sent: string): { id: number; expect: Expect } {
  const arrived = Buffer.from(sent, 'utf8').toString('utf8'); // what a lone surrogate becomes on the wire
  let json: unknown;
  try {
    json = JSON.parse(arrived);
  } catch {
    return { id: -1, expect: BAD };
  }
  const id = idIn(json);
  try {
    return {
      id,
      expect: judgeMessage(revive(json, '$bytes', (b) => {
        const s = b as string;
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new Error('bad base64');
        return new Uint8Array(Buffer.from(s, 'base64'));
      })),
    };
  } catch {
    return { id, expect: BAD };
  }
}

function judgeBinary(f: Uint8Array): { id: number; expect: Expect } {
  const view = new DataView(f.buffer, f.byteOffset, f.byteLength);
  if (f.length < 4 || 4 + view.getUint32(0, true) > f.length) return { id: -1, expect: BAD };
  const end = 4 + view.getUint32(0, true);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(f.subarray(4, end)));
  } catch {
    return { id: -1, expect: BAD };
  }
  const id = idIn(json);
  const parts: Uint8Array[] = [];
  for (let at = end; at < f.length;) {
    if (at + 4 > f.length || at + 4 + view.getUint32(at, true) > f.length) return { id, expect: BAD };
    parts.push(f.subarray(at + 4, at + 4 + view.getUint32(at, true)));
    at += 4 + view.getUint32(at, true);
  }
  const used = new Set<number>();
  try {
    const message = revive(json, '$bin', (k) => {
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= parts.length || used.has(k)) throw new Error('bad reference');
      used.add(k);
      return parts[k];
    });
    return { id, expect: used.size === parts.length ? judgeMessage(message) : BAD };
  } catch {
    return { id, expect: BAD };
  }
}

// ---------------------------------------------------------------------------------------------
// Replies

interface Reply { kind: 'reply'; id: number; ok: boolean; value?: unknown; error?: { code: string; message: string } }

/** Codes the studio names at this door: the server's, the engine channel's, the host protocol's. */
const CODES = new Set(['BAD_REQUEST', 'UNKNOWN_METHOD', 'DUPLICATE_JOB', 'CANCELLED', 'ENGINE_CRASHED', 'ENGINE_ERROR', 'NOT_FOUND']);
/** The fake host's sentence for the methods it does not implement (its only ENGINE_ERROR). */
const NOT_FAKED = 'not in the fake host';
const FAKED = new Set<string>(['listSamplers', 'listModels', 'generate', 'cancel', 'galleryList', 'galleryGet', 'galleryThumbnails', 'galleryDelete']);
const JOBS = new Set<string>(['generate', 'edit', 'upscale', 'bcSearch', 'solverLab']);
/** What a runtime failure's text looks like; no reply may carry one. */
const RAW = [
  /\b(?:Type|Range|Reference|Syntax|Eval|URI|Aggregate|Zod)Error\b/, /Cannot (?:read|set) propert/, /is not (?:a function|defined|iterable|an object|a constructor)/,
  /Maximum call stack/, /\n\s+at\s/, /\(\S+:\d+:\d+\)/, /Unexpected (?:token|end of JSON|non-whitespace)/, /JSON at position/, /\bERR_[A-Z_]+\b/,
  /not valid for encoding/, /\[object \w+\]/, /^undefined$|^null$|^$/,
];

/** The reply's own shape and wording, whatever it answers. */
function replyProblem(r: Reply): string | undefined {
  if (r.kind !== 'reply' || typeof r.id !== 'number' || typeof r.ok !== 'boolean') return 'not a reply';
  if (r.ok) return 'value' in r ? undefined : 'a result without a value';
  if (!r.error || typeof r.error.code !== 'string' || typeof r.error.message !== 'string') return 'an error without a code and a message';
  if (!CODES.has(r.error.code)) return `an unnamed error code ${r.error.code}`;
  if (r.error.code === 'ENGINE_ERROR' && r.error.message !== NOT_FAKED) return 'an ENGINE_ERROR the fake host never raises';
  const raw = RAW.find((re) => re.test(r.error!.message));
  return raw ? `a runtime message (${raw})` : undefined;
}

function accepts(e: Expect, r: Reply): boolean {
  if ('refused' in e) return !r.ok && r.error!.code === e.refused;
  if (r.ok) return true;
  const code = r.error!.code;
  if (code === 'DUPLICATE_JOB') return JOBS.has(e.valid);
  if (code === 'CANCELLED') return e.valid === 'generate';
  if (code === 'NOT_FOUND') return e.valid === 'galleryGet';
  return code === 'ENGINE_ERROR' && !FAKED.has(e.valid);
}

interface Sent { id: number; expect: Expect; frame: string | Uint8Array; label: string }

/** Pair replies with the messages sent under their id (a maximum matching: ids repeat). */
function unmatched(sent: Sent[], replies: Reply[]): string[] {
  const byId = new Map<number, Sent[]>();
  for (const s of sent) byId.set(s.id, [...(byId.get(s.id) ?? []), s]);
  const problems: string[] = [];
  const repliesById = new Map<number, Reply[]>();
  for (const r of replies) repliesById.set(r.id, [...(repliesById.get(r.id) ?? []), r]);
  for (const [id, rs] of repliesById) {
    const ss = byId.get(id) ?? [];
    const owner = new Array<number>(ss.length).fill(-1);
    const augment = (ri: number, seen: boolean[]): boolean => {
      for (let si = 0; si < ss.length; si++) {
        if (seen[si] || !accepts(ss[si].expect, rs[ri])) continue;
        seen[si] = true;
        if (owner[si] === -1 || augment(owner[si], seen)) {
          owner[si] = ri;
          return true;
        }
      }
      return false;
    };
    for (let ri = 0; ri < rs.length; ri++) {
      if (!augment(ri, new Array<boolean>(ss.length).fill(false))) {
        problems.push(`reply ${JSON.stringify(rs[ri]).slice(0, 300)} answers none of the messages sent with id ${id}: ${ss.slice(0, 6).map((s) => `${s.label} → expected ${JSON.stringify(s.expect)}: ${describeFrame(s.frame)}`).join(' | ') || 'none'}`);
      }
    }
  }
  // Messages short of a reply under their id first: where a reply went astray, they say which.
  const missing = sent.filter((s) => (repliesById.get(s.id)?.length ?? 0) < (byId.get(s.id)?.length ?? 0));
  return [...missing.map((s) => `no reply with id ${s.id} for ${s.label}: ${describeFrame(s.frame)}`), ...problems];
}

const decode = (d: Buffer, isBinary: boolean) => (isBinary ? decodeFrame(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)) : decodeWire(d.toString())) as Reply | { kind: 'event'; name: string; payload: unknown };

/** Send every frame at once on one connection and collect one reply per frame; events only of the jobs it started. */
async function storm(frames: (string | Uint8Array)[], jobs: Set<string>): Promise<Reply[]> {
  const ws = await connect(api);
  const replies: Reply[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${replies.length} replies to ${frames.length} messages after 20 s`)), 20_000);
      ws.on('message', (d: Buffer, isBinary: boolean) => {
        const m = decode(d, isBinary);
        if (m.kind === 'event') {
          const job = isObject(m.payload) ? m.payload.jobId : undefined;
          if (!(EVENT_NAMES as readonly string[]).includes(m.name) || typeof job !== 'string' || !jobs.has(job)) reject(new Error(`an event this connection should not hear: ${JSON.stringify(m).slice(0, 200)}`));
          return;
        }
        replies.push(m);
        if (replies.length === frames.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.once('close', (code) => reject(new Error(`the server closed the connection (${code}) after ${replies.length} of ${frames.length} replies`)));
      for (const f of frames) ws.send(f);
    });
  } finally {
    ws.removeAllListeners('close');
    ws.close();
  }
  return replies;
}

function processHealth(): string | undefined {
  if (served.exited()) return `the server process exited (${served.child.exitCode ?? served.child.signalCode}): ${served.stderr()}`;
  if (/unexpectedly/.test(served.stderr())) return `the server logged an unexpected failure: ${served.stderr().slice(0, 2000)}`;
  return undefined;
}

async function check<T>(arb: fc.Arbitrary<T>, numRuns: number, property: (value: T) => Promise<void>): Promise<void> {
  const out = await fc.check(fc.asyncProperty(arb, property), { seed: SEED, numRuns, endOnFailure: true });
  // The counterexample itself can hold megabytes: report what the property said about it.
  if (out.failed) throw new Error(`seed ${out.seed}, run ${out.numRuns}: ${out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance)}`);
}

// ---------------------------------------------------------------------------------------------

const tally = { sent: 0, ok: 0, valid: 0, refused: new Map<string, number>(), binary: 0, cycles: 0 };
let nextId = 1;

describe('browser mode under generated traffic', () => {
  it(`answers ${STORM_RUNS * BATCH.minLength}+ generated messages one by one, with results or named errors, and keeps running`, async () => {
    const batch = fc.array(fc.tuple(anyCase, fc.nat(9)), BATCH);
    await check(batch, STORM_RUNS, async (cases) => {
      const sent: Sent[] = [];
      for (const [build, reuse] of cases) {
        // One message in ten reuses the previous one's id.
        const id = reuse === 0 && sent.length ? sent[sent.length - 1].id : nextId++;
        const { frame, label } = build(id);
        const verdict = typeof frame === 'string' ? judgeText(frame) : judgeBinary(frame);
        sent.push({ ...verdict, frame, label });
      }
      const jobs = new Set(sent.flatMap((s) => ('job' in s.expect && s.expect.job !== undefined ? [s.expect.job] : [])));
      const replies = await storm(sent.map((s) => s.frame), jobs).catch(async (e: unknown) => {
        await new Promise((r) => setTimeout(r, 200)); // a dropped connection may be the process going
        throw new Error(processHealth() ?? String(e));
      });
      const health = processHealth();
      if (health) throw new Error(health);
      for (const r of replies) {
        const problem = replyProblem(r);
        if (problem) {
          const to = sent.filter((s) => s.id === r.id).slice(0, 6).map((s) => `${s.label}: ${describeFrame(s.frame)}`).join(' | ');
          throw new Error(`${problem}: ${JSON.stringify(r).slice(0, 400)}\nin answer to: ${to || `(no message sent with id ${r.id})`}`);
        }
      }
      const problems = unmatched(sent, replies);
      if (problems.length) throw new Error(problems.slice(0, 12).join('\n'));
      tally.sent += sent.length;
      tally.binary += sent.filter((s) => typeof s.frame !== 'string').length;
      tally.valid += sent.filter((s) => 'valid' in s.expect).length;
      tally.ok += replies.filter((r) => r.ok).length;
      for (const s of sent) if ('refused' in s.expect) tally.refused.set(s.expect.refused, (tally.refused.get(s.expect.refused) ?? 0) + 1);
    });
    expect(tally.sent).toBeGreaterThanOrEqual(10_000);
    // The mix stays a mix: plenty of calls the contract accepts (and results), of each refusal, of binary frames.
    expect(tally.valid).toBeGreaterThan(2_000);
    expect(tally.ok).toBeGreaterThan(1_000);
    expect(tally.refused.get('BAD_REQUEST')).toBeGreaterThan(3_000);
    expect(tally.refused.get('UNKNOWN_METHOD')).toBeGreaterThan(50);
    expect(tally.binary).toBeGreaterThan(2_000);
  }, 120_000);

  it('survives connections that leave mid-call, break the protocol, fragment messages or crash the engine', async () => {
    const listModels = (id: number) => encodeWire({ kind: 'call', id, method: 'listModels', params: {} });
    const scenario = fc.oneof(
      { weight: 3, arbitrary: fc.constant({ kind: 'silent' as const }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('leave' as const), abrupt: fc.boolean(), cases: fc.array(anyCase, { maxLength: 8 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('leave mid-job' as const), abrupt: fc.boolean() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('invalid UTF-8 text' as const), bytes: fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0x22, 0xc0, 0xaf, 0x22]) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('fragmented' as const), at: fc.nat(), binary: fc.boolean() }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'ping' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'engine crash' as const }) },
    );
    await check(scenario, CYCLE_RUNS, async (s) => {
      const ws = await connect(api);
      tally.cycles++;
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      const next = (): Promise<Reply> => new Promise((resolve) => {
        const on = (d: Buffer, isBinary: boolean) => {
          const m = decode(d, isBinary);
          if (m.kind === 'event') return;
          ws.off('message', on);
          resolve(m);
        };
        ws.on('message', on);
      });
      const expectReply = async (r: Promise<Reply>, ok: (r: Reply) => boolean, what: string) => {
        const reply = await r;
        if (!ok(reply) || replyProblem(reply)) throw new Error(`${what}: ${JSON.stringify(reply).slice(0, 300)}`);
      };
      const id = nextId++;
      switch (s.kind) {
        case 'silent':
          ws.close();
          break;
        case 'leave':
          for (const build of s.cases) ws.send(build(nextId++).frame);
          if (s.abrupt) ws.terminate();
          else ws.close();
          break;
        case 'leave mid-job': {
          ws.send(encodeWire({ kind: 'call', id, method: 'generate', params: { jobId: `left-${id}`, model: 'm', prompt: 'p', steps: 400, cfgScale: 1, seed: 1 } }));
          await new Promise<void>((resolve) => ws.once('message', () => resolve())); // its first progress event
          if (s.abrupt) ws.terminate();
          else ws.close();
          // The job goes with its connection.
          const probe = await connect(api);
          tally.cycles++;
          let running: unknown[] = [];
          for (let i = 0; i < 100; i++) {
            const r = new Promise<Reply>((resolve) => probe.once('message', (d: Buffer, b: boolean) => resolve(decode(d, b) as Reply)));
            probe.send(encodeWire({ kind: 'call', id: i, method: 'inspectModel', params: { model: 'running' } }));
            running = ((await r).value as { info: { running: unknown[] } }).info.running;
            if (!running.includes(`left-${id}`)) break;
            await new Promise((r2) => setTimeout(r2, 20));
          }
          probe.close();
          if (running.includes(`left-${id}`)) throw new Error(`job left-${id} still running after its connection closed`);
          break;
        }
        case 'invalid UTF-8 text': {
          ws.send(Buffer.from([...utf8(`{"kind":"call","id":${id},"method":"listModels","params":{"x":"`), ...s.bytes, ...utf8('"}}')]), { binary: false });
          const code = await closed;
          // The protocol's answer (1007), or the connection simply dropped; never a reply.
          if (code !== 1007 && code !== 1006) throw new Error(`invalid UTF-8 text closed with ${code}`);
          break;
        }
        case 'fragmented': {
          const message = s.binary ? encodeFrame({ kind: 'call', id, method: 'listSamplers', params: {} }) : utf8(listModels(id));
          const cut = 1 + (s.at % (message.length - 1));
          const reply = next();
          ws.send(message.subarray(0, cut), { binary: s.binary, fin: false });
          ws.send(message.subarray(cut), { binary: s.binary, fin: true });
          await expectReply(reply, (r) => r.ok && r.id === id, 'a message sent in two fragments');
          ws.close();
          break;
        }
        case 'ping': {
          const pong = new Promise<void>((resolve) => ws.once('pong', () => resolve()));
          ws.ping('are you there');
          await pong;
          ws.close();
          break;
        }
        case 'engine crash': {
          // The fake host exits on this prompt: the call fails by name, and the next one gets a fresh host.
          const crashed = next();
          ws.send(encodeWire({ kind: 'call', id, method: 'generate', params: { jobId: `crash-${id}`, model: 'm', prompt: 'crash', steps: 1, cfgScale: 1, seed: 1 } }));
          await expectReply(crashed, (r) => !r.ok && r.id === id && r.error!.code === 'ENGINE_CRASHED', 'a call whose engine crashed');
          const after = next();
          ws.send(listModels(nextId++));
          await expectReply(after, (r) => r.ok, 'the first call after a crash');
          ws.close();
          break;
        }
      }
      await closed;
      // Still there, on a new connection.
      const probe = await connect(api);
      tally.cycles++;
      const r = await new Promise<Reply>((resolve) => {
        probe.on('message', (d: Buffer, b: boolean) => {
          const m = decode(d, b);
          if (m.kind === 'reply') resolve(m);
        });
        probe.send(encodeWire({ kind: 'call', id: 1, method: 'listSamplers', params: {} }));
      });
      probe.close();
      if (!r.ok) throw new Error(`the liveness probe after "${s.kind}" failed: ${JSON.stringify(r)}`);
      const health = processHealth();
      if (health) throw new Error(health);
    });
    expect(tally.cycles).toBeGreaterThanOrEqual(300);
  }, 90_000);

  it('runs a normal job afterwards, on a fresh connection', async () => {
    expect(processHealth()).toBeUndefined();
    const ws: WebSocket = await connect(api);
    const events: unknown[] = [];
    const replies = new Map<number, Reply>();
    ws.on('message', (d: Buffer, b: boolean) => {
      const m = decode(d, b);
      if (m.kind === 'event') events.push(m.payload);
      else replies.set(m.id, m);
    });
    const callOnce = async (id: number, method: string, params: unknown) => {
      ws.send(encodeFrame({ kind: 'call', id, method, params }));
      while (!replies.has(id)) await new Promise((r) => setTimeout(r, 5));
      return replies.get(id)!;
    };
    expect((await callOnce(1, 'listModels', {})).value).toEqual([]);
    expect((await callOnce(2, 'listSamplers', {})).value).toEqual([expect.objectContaining({ name: 'euler' })]);
    const job = await callOnce(3, 'generate', { jobId: 'after-the-storm', model: 'emoji-32', prompt: 'a red apple', steps: 3, cfgScale: 5, seed: 7 });
    expect(job).toMatchObject({ ok: true, value: { jobId: 'after-the-storm', images: [{ png: new Uint8Array([1, 2, 3]), seed: 7 }] } });
    expect(events).toEqual([1, 2, 3].map((step) => ({ jobId: 'after-the-storm', step, total: 3 })));
    ws.close();
    expect(processHealth()).toBeUndefined();
  });
});
