import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bytesInVocabOrder,
  bytesToUnicode,
  clipTokenizerJson,
  loadTokenizer,
  parseMerges,
  TokenizerFileError,
} from '../../main/engine/packs/tokenizer.js';

/**
 * A CLIP-layout vocabulary: the 256 byte characters (ids 0–255), the same with `</w>` (256–511),
 * then merge results, then the two special tokens at 49406/49407 as in the real CLIP vocabulary.
 * The merge results that the published example needs carry their published ids
 * ("a photo of a cat" → 49406 320 1125 539 320 2368 49407); others take free ids.
 */
function clipVocab(): { vocab: Record<string, number>; merges: string[] } {
  const vocab: Record<string, number> = {};
  const bytes = bytesInVocabOrder();
  bytes.forEach((c, i) => (vocab[c] = i));
  bytes.forEach((c, i) => (vocab[`${c}</w>`] = 256 + i));
  const merges = [
    'o f</w>', // rank 0
    'p h',
    'o t',
    'ph ot',
    'phot o</w>',
    'c a',
    'ca t</w>',
    'Ġ Ġ', // never used: whitespace is removed before BPE
    "' s</w>",
    'c at</w>', // lower priority than 'ca t</w>': must not win
    'a t</w>',
    'th e</w>',
    't h',
  ];
  const ids: Record<string, number> = { 'of</w>': 539, 'photo</w>': 1125, 'cat</w>': 2368 };
  let next = 30000;
  for (const m of merges) {
    const [l, r] = m.split(' ');
    const tok = l + r;
    if (vocab[tok] === undefined) vocab[tok] = ids[tok] ?? next++;
  }
  vocab['<|startoftext|>'] = 49406;
  vocab['<|endoftext|>'] = 49407;
  return { vocab, merges };
}

let dir: string;

async function writePackTokenizer(name: string, files: Record<string, string | object>): Promise<string> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  for (const [f, content] of Object.entries(files)) {
    await writeFile(join(d, f), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return d;
}

const SD1_SPECIALS = {
  bos_token: { content: '<|startoftext|>', lstrip: false, normalized: true, rstrip: false, single_word: false },
  eos_token: { content: '<|endoftext|>', lstrip: false, normalized: true, rstrip: false, single_word: false },
  pad_token: '<|endoftext|>',
  unk_token: { content: '<|endoftext|>', lstrip: false, normalized: true, rstrip: false, single_word: false },
};
const SD2_SPECIALS = { ...SD1_SPECIALS, pad_token: '!' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftline-tok-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('byte-level table', () => {
  it('is a bijection onto printable characters, and puts "a</w>" at 320 as CLIP does', () => {
    const t = bytesToUnicode();
    expect(new Set(t).size).toBe(256);
    expect(t[0x61]).toBe('a');
    expect(t[0x20]).toBe('Ġ');
    expect(t[0x0a]).toBe('Ċ');
    const order = bytesInVocabOrder();
    expect(order[0]).toBe('!');
    expect(256 + order.indexOf('a')).toBe(320); // "a</w>" in CLIP's vocab.json
    expect(order.indexOf('a')).toBe(64);
  });

  it('merges.txt: version header skipped, CLIP limit applied', () => {
    expect(parseMerges('#version: 0.2\ni n\nt h\n\n')).toEqual(['i n', 't h']);
    const many = ['#version: 0.2', ...Array.from({ length: 48900 }, (_, i) => `x${i} y`)].join('\n');
    expect(parseMerges(many)).toHaveLength(48894);
  });
});

describe('CLIP tokenizer built from vocab.json + merges.txt', () => {
  it('reproduces the published ids of "a photo of a cat"', async () => {
    const { vocab, merges } = clipVocab();
    const d = await writePackTokenizer('sd1', {
      'vocab.json': vocab,
      'merges.txt': `#version: 0.2\n${merges.join('\n')}\n`,
      'special_tokens_map.json': SD1_SPECIALS,
      'tokenizer_config.json': { model_max_length: 77, do_lower_case: true, tokenizer_class: 'CLIPTokenizer' },
    });
    const tok = await loadTokenizer(d);
    expect(tok.source).toBe('vocab.json+merges.txt');
    expect(tok.maxLength).toBe(77);
    const ids = tok.encode('a photo of a cat', 77);
    expect(ids.slice(0, 7)).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(ids).toHaveLength(77);
    expect(ids.slice(7).every((i) => i === 49407)).toBe(true); // SD 1.x pads with <|endoftext|>
  });

  it('normalises: NFC, lowercase, whitespace runs (tabs, newlines) collapse', async () => {
    const { vocab, merges } = clipVocab();
    const d = await writePackTokenizer('norm', { 'vocab.json': vocab, 'merges.txt': merges.join('\n'), 'special_tokens_map.json': SD1_SPECIALS });
    const tok = await loadTokenizer(d);
    const want = tok.tokens('a photo of a cat');
    expect(tok.tokens('  A\tPHOTO \n\n of  a CaT ')).toEqual(want);
    // NFC: "é" composed (U+00E9) and decomposed (e + U+0301) give the same ids.
    expect(tok.tokens('caf\u00e9')).toEqual(tok.tokens('cafe\u0301'));
  });

  it("pre-tokenises like CLIP: contractions, letter runs, single digits, punctuation runs; </w> ends each word", async () => {
    const { vocab, merges } = clipVocab();
    const d = await writePackTokenizer('pre', { 'vocab.json': vocab, 'merges.txt': merges.join('\n') });
    const tok = await loadTokenizer(d);
    const id = (t: string) => tok.tokenToId(t)!;
    expect(tok.tokens("cat's")).toEqual([2368, id("'s</w>")]);
    expect(tok.tokens('cat!!')).toEqual([2368, id('!'), id('!</w>')]); // one punctuation run "!!"
    expect(tok.tokens('42')).toEqual([id('4</w>'), id('2</w>')]); // digits one by one
    expect(tok.tokens('cat2')).toEqual([2368, id('2</w>')]);
    // BPE picks merges by rank: 'ca t</w>' (rank 6) beats 'a t</w>' (rank 10), so "cat" is one token.
    expect(tok.tokens('cat')).toEqual([2368]);
    expect(tok.tokens('at')).toEqual([id('at</w>')]);
    // Non-ASCII bytes go through the byte-level table: "é" is two bytes, the last one carries </w>.
    const t = bytesToUnicode();
    expect(tok.tokens('\u00e9')).toEqual([id(t[0xc3]), id(`${t[0xa9]}</w>`)]);
  });

  it('truncates to length − 2 and keeps the end token; the empty prompt is [bos, eos, pad…]', async () => {
    const { vocab, merges } = clipVocab();
    const d = await writePackTokenizer('trunc', { 'vocab.json': vocab, 'merges.txt': merges.join('\n'), 'special_tokens_map.json': SD1_SPECIALS });
    const tok = await loadTokenizer(d);
    const long = Array.from({ length: 100 }, () => 'cat').join(' ');
    const ids = tok.encode(long, 77);
    expect(ids).toHaveLength(77);
    expect(ids[0]).toBe(49406);
    expect(ids[76]).toBe(49407);
    expect(ids.slice(1, 76).every((i) => i === 2368)).toBe(true);
    expect(tok.encode('', 5)).toEqual([49406, 49407, 49407, 49407, 49407]);
    const batch = tok.encodeBatch(['a cat', ''], 6);
    expect(Array.from(batch.ids)).toEqual([49406, 320, 2368, 49407, 49407, 49407, 49406, 49407, 49407, 49407, 49407, 49407]);
  });

  it('SD 2.x pads with "!" (id 0) as its special_tokens_map says', async () => {
    const { vocab, merges } = clipVocab();
    const d = await writePackTokenizer('sd2', { 'vocab.json': vocab, 'merges.txt': merges.join('\n'), 'special_tokens_map.json': SD2_SPECIALS });
    const tok = await loadTokenizer(d);
    expect(tok.padId).toBe(0);
    expect(tok.encode('a cat', 6)).toEqual([49406, 320, 2368, 49407, 0, 0]);
  });

  it('a tokenizer.json (as CLIPTokenizerFast saves it) gives the same ids as vocab.json + merges.txt', async () => {
    const { vocab, merges } = clipVocab();
    const d = await writePackTokenizer('fast', {
      'tokenizer.json': clipTokenizerJson(vocab, merges),
      'tokenizer_config.json': { model_max_length: 77, pad_token: '<|endoftext|>' },
    });
    const slow = await writePackTokenizer('slow', { 'vocab.json': vocab, 'merges.txt': merges.join('\n') });
    const a = await loadTokenizer(d);
    const b = await loadTokenizer(slow);
    expect(a.source).toBe('tokenizer.json');
    for (const p of ['a photo of a cat', "The cat's photo!!", 'caf\u00e9 42', '']) expect(a.encode(p, 77)).toEqual(b.encode(p, 77));
  });

  it('names the missing or broken file', async () => {
    const none = await writePackTokenizer('none', { 'tokenizer_config.json': {} });
    await expect(loadTokenizer(none)).rejects.toThrow(/vocab\.json is missing/);
    const noMerges = await writePackTokenizer('nomerges', { 'vocab.json': { a: 0 } });
    await expect(loadTokenizer(noMerges)).rejects.toThrow(/merges\.txt is missing|merges\.txt/);
    const bad = await writePackTokenizer('badjson', { 'tokenizer.json': '{"model": ' });
    const err = await loadTokenizer(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenizerFileError);
    expect((err as TokenizerFileError).file).toMatch(/tokenizer\.json$/);
    expect((err as Error).message).toMatch(/not valid JSON/);
  });
});
