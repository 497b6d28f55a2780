#!/usr/bin/python3
"""Build the emoji training set, the held-out split and the tokenizer, reproducibly.

Inputs (fetched with `npm pack` into models/train/.cache/, git-ignored):
  emoji-datasource           emoji.json metadata (name, short_names, category, skin variations)
  emoji-datasource-twitter   img/twitter/64/<image>.png  (Twemoji, CC-BY 4.0)
  emoji-datasource-google    img/google/64/<image>.png   (Noto Emoji, Apache-2.0)

Outputs:
  models/train/split.json              committed: the held-out base emoji (all styles and tones)
  models/train/.cache/dataset.npz      x32 uint8 [N,3,32,32], x64 uint8 [N,3,64,64] (RGB on white)
  models/train/.cache/dataset.json     one record per image: fields for captions, style, split
  models/train/.cache/tokenizer.json   WordLevel tokenizer (HF tokenizers format), train vocab only

Run:  /usr/bin/python3 models/train/prepare_data.py
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tokenizer import build_tokenizer_json, pre_tokenize  # noqa: E402

CACHE = os.path.join(HERE, ".cache")
VERSION = "16.0.0"
PACKAGES = {
    "meta": "emoji-datasource",
    "twitter": "emoji-datasource-twitter",
    "google": "emoji-datasource-google",
}
STYLES = ["twitter", "google"]
HOLDOUT_PERCENT = 5
MAX_LENGTH = 16
TONES = {
    "1F3FB": "light",
    "1F3FC": "medium light",
    "1F3FD": "medium",
    "1F3FE": "medium dark",
    "1F3FF": "dark",
}


def fetch(pkg: str) -> str:
    """`npm pack pkg@VERSION` into the cache (once); returns the tarball path."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"{pkg}-{VERSION}.tgz")
    if not os.path.exists(path):
        subprocess.run(["npm", "pack", f"{pkg}@{VERSION}"], cwd=CACHE, check=True, stdout=subprocess.DEVNULL)
    return path


def is_held_out(unified: str) -> bool:
    """Deterministic ~5% split on the base emoji: sha256(unified code point, upper case) mod 100."""
    h = int(hashlib.sha256(unified.upper().encode()).hexdigest()[:8], 16)
    return h % 100 < HOLDOUT_PERCENT


def tone_words(key: str) -> str:
    parts = [TONES[p] for p in key.split("-")]
    if len(parts) == 1 or parts[0] == parts[1]:
        return f"{parts[0]} skin tone"
    return f"{parts[0]} and {parts[1]} skin tones"


def load_png(tar: tarfile.TarFile, name: str) -> np.ndarray:
    """64×64 RGBA → RGB uint8 composited on white (alpha-weighted, in 8-bit sRGB like browsers)."""
    img = Image.open(io.BytesIO(tar.extractfile(name).read())).convert("RGBA")
    if img.size != (64, 64):
        img = img.resize((64, 64), Image.LANCZOS)
    a = np.asarray(img, dtype=np.float32) / 255.0
    rgb = a[..., :3] * a[..., 3:4] + (1.0 - a[..., 3:4])
    return np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)


def downsample(x64: np.ndarray) -> np.ndarray:
    """2×2 box average (area resize) 64 → 32; equal to resizing premultiplied colour then compositing."""
    x = x64.astype(np.float32).reshape(32, 2, 32, 2, 3).mean(axis=(1, 3))
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=CACHE)
    args = ap.parse_args()

    meta_tar = tarfile.open(fetch(PACKAGES["meta"]))
    emoji = json.load(meta_tar.extractfile("package/emoji.json"))
    emoji.sort(key=lambda e: e["sort_order"])
    tars = {s: tarfile.open(fetch(PACKAGES[s])) for s in STYLES}
    names = {s: set(tars[s].getnames()) for s in STYLES}

    # One entry per (base emoji, skin variant or none).
    variants = []
    for e in emoji:
        base = dict(
            base=e["unified"],
            name=e["name"].lower(),
            short_names=[s.replace("_", " ") for s in e.get("short_names", [])],
            category=e["category"].lower(),
            subcategory=e.get("subcategory", "").replace("-", " "),
            held_out=is_held_out(e["unified"]),
        )
        variants.append(dict(base, unified=e["unified"], image=e["image"], tone=""))
        for key, sv in sorted(e.get("skin_variations", {}).items()):
            variants.append(dict(base, unified=sv["unified"], image=sv["image"], tone=tone_words(key)))

    records, x64s, x32s, missing = [], [], [], []
    for v in variants:
        for s in STYLES:
            path = f"package/img/{s}/64/{v['image']}"
            if path not in names[s]:
                missing.append(f"{s}:{v['image']}")
                continue
            x64 = load_png(tars[s], path)
            x64s.append(x64.transpose(2, 0, 1))
            x32s.append(downsample(x64).transpose(2, 0, 1))
            records.append(dict({k: v[k] for k in v if k != "image"}, style=s))

    x64 = np.stack(x64s)
    x32 = np.stack(x32s)
    os.makedirs(args.out, exist_ok=True)
    np.savez(os.path.join(args.out, "dataset.npz"), x32=x32, x64=x64)
    digest = hashlib.sha256(x32.tobytes() + x64.tobytes()).hexdigest()

    # Split file (committed): held-out base emoji with names.
    held = [e for e in emoji if is_held_out(e["unified"])]
    split = dict(
        rule=f"held out iff int(sha256(unified.upper())[:8], 16) % 100 < {HOLDOUT_PERCENT}; "
        "all styles and skin-tone variants of a held-out base emoji are held out",
        source=f"emoji-datasource {VERSION} (emoji.json)",
        num_base_emoji=len(emoji),
        num_held_out_base=len(held),
        held_out=[dict(unified=e["unified"], name=e["name"].lower(), category=e["category"]) for e in held],
    )
    with open(os.path.join(HERE, "split.json"), "w") as f:
        json.dump(split, f, indent=1)
        f.write("\n")

    # Vocabulary from the training captions' fields only (held-out-only words map to [UNK]).
    texts = []
    for r in records:
        if not r["held_out"]:
            texts += [r["name"], r["tone"], r["category"], r["subcategory"], r["style"], *r["short_names"]]
    tok = build_tokenizer_json(texts, MAX_LENGTH)
    with open(os.path.join(args.out, "tokenizer.json"), "w") as f:
        json.dump(tok, f, indent=1, ensure_ascii=False)

    info = dict(
        version=VERSION,
        num_images=len(records),
        num_train=sum(not r["held_out"] for r in records),
        num_held_out=sum(r["held_out"] for r in records),
        missing_images=missing,
        sha256=digest,
        records=records,
    )
    with open(os.path.join(args.out, "dataset.json"), "w") as f:
        json.dump(info, f, indent=0, ensure_ascii=False)
    lens = [len(pre_tokenize(" ".join([r["name"], r["tone"], r["style"]]))) + 2 for r in records]
    print(
        f"images {len(records)} (train {info['num_train']}, held out {info['num_held_out']}; "
        f"{len(held)} of {len(emoji)} base emoji held out), missing {len(missing)}, "
        f"vocab {len(tok['model']['vocab'])}, caption tokens max {max(lens)} / >{MAX_LENGTH}: "
        f"{sum(n > MAX_LENGTH for n in lens)}, sha256 {digest[:16]}"
    )


if __name__ == "__main__":
    main()
