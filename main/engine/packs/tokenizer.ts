/**
 * Prompt tokenisation for a pack's text encoder, through @huggingface/tokenizers.
 *
 * A pack's `tokenizer/` holds either a `tokenizer.json` (used as it is) or CLIP's slow-tokenizer
 * files `vocab.json` + `merges.txt`, from which the equivalent `tokenizer.json` is built here the
 * way transformers' `CLIPConverter` builds it: NFC → collapse whitespace runs to one space →
 * lowercase; split on CLIP's pattern `'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
 * (everything else, i.e. whitespace, dropped); byte-level mapping; BPE with the `</w>`
 * end-of-word suffix; `<|startoftext|>` … `<|endoftext|>` around each prompt. Only the first
 * 49152 − 256 − 2 merges count, as in CLIP's own tokenizer.
 *
 * Prompts are truncated to leave room for the two special tokens and padded to the encoder's
 * sequence length (77 for CLIP) with the pad token the pack's tokenizer config names:
 * SD 1.x pads with `<|endoftext|>` (49407), SD 2.x (OpenCLIP) with `!` (id 0).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

/** CLIP's pre-tokenisation pattern (transformers' CLIPConverter; Oniguruma syntax). */
export const CLIP_SPLIT_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/** CLIP keeps this many merges (merges.txt lines 1 … 48894 after the version header). */
export const CLIP_MERGE_LIMIT = 49152 - 256 - 2;

export class TokenizerFileError extends Error {
  constructor(
    readonly file: string,
    /** What is wrong with it, e.g. "is missing". */
    readonly problem: string,
  ) {
    super(`${file} ${problem}`);
    this.name = 'TokenizerFileError';
  }
}

/**
 * GPT-2/CLIP byte → printable character table: bytes that are printable stay themselves, the rest
 * map to U+0100 onwards. Index = byte, value = character. CLIP's vocabulary starts with these 256
 * characters in `bytesInVocabOrder()` order, then the same with `</w>`.
 */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const table = new Array<string>(256);
  bs.forEach((b, i) => (table[b] = String.fromCodePoint(cs[i])));
  return table;
}

/** The 256 byte characters in the order CLIP's vocabulary lists them (printable ranges first). */
export function bytesInVocabOrder(): string[] {
  const table = bytesToUnicode();
  const order: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) order.push(b);
  for (let b = 0xa1; b <= 0xac; b++) order.push(b);
  for (let b = 0xae; b <= 0xff; b++) order.push(b);
  for (let b = 0; b < 256; b++) if (!order.includes(b)) order.push(b);
  return order.map((b) => table[b]);
}

export interface SpecialTokens {
  bos: string;
  eos: string;
  unk: string;
  pad: string;
}

/** Parse merges.txt: skip the `#version` header and blank lines, keep at most CLIP_MERGE_LIMIT. */
export function parseMerges(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const merges: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (i === 0 && line.startsWith('#')) continue;
    if (line.trim() === '') continue;
    merges.push(line);
  }
  return merges.slice(0, CLIP_MERGE_LIMIT);
}

/** The `tokenizer.json` transformers' CLIPConverter would produce for this vocabulary. */
export function clipTokenizerJson(vocab: Record<string, number>, merges: readonly string[], special: Partial<SpecialTokens> = {}): object {
  const bos = special.bos ?? '<|startoftext|>';
  const eos = special.eos ?? '<|endoftext|>';
  const unk = special.unk ?? eos;
  const added = [bos, eos]
    .filter((t, i, all) => all.indexOf(t) === i && vocab[t] !== undefined)
    .map((t) => ({ id: vocab[t], content: t, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [eos, vocab[eos] ?? 0],
      cls: [bos, vocab[bos] ?? 0],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: unk,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [...merges],
    },
  };
}

function tokenName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

async function readJsonIfPresent(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch (err) {
    throw new TokenizerFileError(path, `is not valid JSON (${(err as Error).message})`);
  }
}

export interface EncodedBatch {
  /** Token ids, row-major [prompts.length, length]. */
  ids: Int32Array;
  length: number;
}

/** A loaded prompt tokenizer with CLIP-style special tokens, truncation and padding. */
export class PromptTokenizer {
  constructor(
    private readonly tokenizer: Tokenizer,
    readonly bosId: number,
    readonly eosId: number,
    readonly padId: number,
    /** `model_max_length` from tokenizer_config.json (77 for CLIP), when the pack states it. */
    readonly maxLength: number | undefined,
    /** Where it came from: 'tokenizer.json' or 'vocab.json+merges.txt'. */
    readonly source: string,
  ) {}

  /** Token ids of `text` without special tokens. */
  tokens(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** `[bos, …tokens truncated to length − 2, eos]`, padded to `length` with the pad id. */
  encode(text: string, length: number): number[] {
    if (length < 2) throw new RangeError(`sequence length ${length} leaves no room for the start and end tokens`);
    const body = this.tokens(text).slice(0, length - 2);
    const ids = [this.bosId, ...body, this.eosId];
    while (ids.length < length) ids.push(this.padId);
    return ids;
  }

  encodeBatch(texts: readonly string[], length: number): EncodedBatch {
    const ids = new Int32Array(texts.length * length);
    texts.forEach((t, i) => ids.set(this.encode(t, length), i * length));
    return { ids, length };
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }
}

/**
 * Load the tokenizer in `dir` (a pack's `tokenizer/` folder). Throws TokenizerFileError naming
 * the file that is missing or broken.
 */
export async function loadTokenizer(dir: string): Promise<PromptTokenizer> {
  const config = (await readJsonIfPresent(join(dir, 'tokenizer_config.json'))) ?? {};
  const specialMap = (await readJsonIfPresent(join(dir, 'special_tokens_map.json'))) ?? {};
  const pick = (key: string) => tokenName(specialMap[key]) ?? tokenName(config[key]);
  const bos = pick('bos_token') ?? '<|startoftext|>';
  const eos = pick('eos_token') ?? '<|endoftext|>';
  const unk = pick('unk_token') ?? eos;
  const padName = pick('pad_token') ?? eos;

  let json: object;
  let source: string;
  const fast = await readJsonIfPresent(join(dir, 'tokenizer.json'));
  if (fast) {
    json = fast;
    source = 'tokenizer.json';
  } else {
    const vocabPath = join(dir, 'vocab.json');
    const mergesPath = join(dir, 'merges.txt');
    const vocab = await readJsonIfPresent(vocabPath);
    if (!vocab) throw new TokenizerFileError(vocabPath, 'is missing (and there is no tokenizer.json)');
    let mergesText: string;
    try {
      mergesText = await readFile(mergesPath, 'utf8');
    } catch {
      throw new TokenizerFileError(mergesPath, 'is missing (vocab.json needs it; or provide tokenizer.json)');
    }
    for (const [k, v] of Object.entries(vocab)) {
      if (typeof v !== 'number') throw new TokenizerFileError(vocabPath, `maps "${k}" to ${JSON.stringify(v)}, not a token id`);
    }
    json = clipTokenizerJson(vocab as Record<string, number>, parseMerges(mergesText), { bos, eos, unk });
    source = 'vocab.json+merges.txt';
  }

  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, { ...config, bos_token: bos, eos_token: eos, unk_token: unk });
  } catch (err) {
    throw new TokenizerFileError(join(dir, source.startsWith('tokenizer') ? 'tokenizer.json' : 'vocab.json'), `could not be loaded (${(err as Error).message})`);
  }
  const id = (name: string, what: string) => {
    const v = tokenizer.token_to_id(name);
    if (v === undefined) throw new TokenizerFileError(join(dir, source), `has no ${what} token "${name}"`);
    return v;
  };
  const bosId = id(bos, 'start');
  const eosId = id(eos, 'end');
  const padId = tokenizer.token_to_id(padName) ?? eosId;
  const maxLen = typeof config.model_max_length === 'number' && config.model_max_length < 1e6 ? config.model_max_length : undefined;
  return new PromptTokenizer(tokenizer, bosId, eosId, padId, maxLen, source);
}
