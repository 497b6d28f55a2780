"""WordLevel tokenizer in the Hugging Face `tokenizers` JSON format, written and applied by hand.

The JSON (normalizer Lowercase, pre_tokenizer Whitespace, TemplateProcessing `[BOS] $A [EOS]`,
right truncation and fixed padding to `max_length`) is what the app's tokenizer reads; `Tokenizer`
below reproduces its encoding exactly so training sees the same ids as inference.
Whitespace pre-tokenization splits on the regex `\\w+|[^\\w\\s]+`.
"""
from __future__ import annotations

import collections
import re

SPECIALS = ["[PAD]", "[UNK]", "[BOS]", "[EOS]"]
_WS = re.compile(r"\w+|[^\w\s]+")


def pre_tokenize(text: str) -> list[str]:
    return _WS.findall(text.lower())


def build_tokenizer_json(texts: list[str], max_length: int) -> dict:
    """Vocabulary: specials 0–3, then words by descending count, ties alphabetical."""
    counts = collections.Counter(w for t in texts for w in pre_tokenize(t))
    words = sorted(counts, key=lambda w: (-counts[w], w))
    vocab = {t: i for i, t in enumerate(SPECIALS)}
    for w in words:
        vocab.setdefault(w, len(vocab))
    pad, bos, eos = vocab["[PAD]"], vocab["[BOS]"], vocab["[EOS]"]

    def special(tok, i):
        return dict(id=i, content=tok, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)

    return {
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": max_length, "strategy": "LongestFirst", "stride": 0},
        "padding": {
            "strategy": {"Fixed": max_length},
            "direction": "Right",
            "pad_to_multiple_of": None,
            "pad_id": pad,
            "pad_type_id": 0,
            "pad_token": "[PAD]",
        },
        "added_tokens": [special(t, vocab[t]) for t in SPECIALS],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "[BOS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[EOS]", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "[BOS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[EOS]", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}},
                {"SpecialToken": {"id": "[EOS]", "type_id": 1}},
            ],
            "special_tokens": {
                "[BOS]": {"id": "[BOS]", "ids": [bos], "tokens": ["[BOS]"]},
                "[EOS]": {"id": "[EOS]", "ids": [eos], "tokens": ["[EOS]"]},
            },
        },
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
    }


class Tokenizer:
    """Encodes like `tokenizers` would with the JSON above: [BOS] words… [EOS] [PAD]…, length max_length."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.vocab = spec["model"]["vocab"]
        self.max_length = spec["truncation"]["max_length"]
        self.pad_id, self.unk_id = self.vocab["[PAD]"], self.vocab["[UNK]"]
        self.bos_id, self.eos_id = self.vocab["[BOS]"], self.vocab["[EOS]"]

    def encode(self, text: str) -> list[int]:
        ids = [self.vocab.get(w, self.unk_id) for w in pre_tokenize(text)][: self.max_length - 2]
        ids = [self.bos_id] + ids + [self.eos_id]
        return ids + [self.pad_id] * (self.max_length - len(ids))
