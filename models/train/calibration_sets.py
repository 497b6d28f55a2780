#!/usr/bin/python3
"""Write the super-resolution packs' calibration sets and the held-out evaluation sheet.

Boundary-condition search (Ma et al. 2024) scores candidate starting noises on a calibration set
of (low-res, high-res) pairs; its gain must then be measured on images the search never saw.
Both come from the held-out split (split.json: emoji never trained on), split by *base emoji* so
that no emoji — in any style — is on both sides:

    base emoji of the held-out split, in sha256(base) order
      first 16  → calibration: their untoned twitter and google images (32 PNGs, 64×64)
                  models/packs/<pack>/calibration/<style>-<base>.png, for emoji-sr-64 and emoji-sr-x4
      next 48   → evaluation: untoned twitter and google images (96), one 768×512 sheet of 64×64
                  cells, row-major, test/fixtures/emoji-holdout-eval.png (+ .json naming the cells)

The low-resolution inputs are not stored: each pack's degradation (f×f area average, 8-bit) makes
them, as the engine does for any calibration folder.

    /usr/bin/python3 models/train/calibration_sets.py
"""
from __future__ import annotations

import hashlib
import json
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from train_sr import load_split  # noqa: E402

N_CAL, N_EVAL = 16, 48
PACKS = ["emoji-sr-64", "emoji-sr-x4"]


def main():
    x64, _, recs, meta = load_split(os.path.join(HERE, ".cache"), held_out=True)
    untoned = {(r["base"], r["style"]): i for i, r in enumerate(recs) if r["tone"] == ""}
    bases = sorted({b for b, _ in untoned}, key=lambda b: hashlib.sha256(b.encode()).hexdigest())
    bases = [b for b in bases if (b, "twitter") in untoned and (b, "google") in untoned]
    cal, ev = bases[:N_CAL], bases[N_CAL:N_CAL + N_EVAL]
    assert not set(cal) & set(ev)
    for pack in PACKS:
        out = os.path.join(REPO, "models", "packs", pack, "calibration")
        if not os.path.isdir(os.path.dirname(out)):
            print(f"skipping {pack}: no pack folder yet")
            continue
        os.makedirs(out, exist_ok=True)
        for b in cal:
            for style in ("twitter", "google"):
                Image.fromarray(x64[untoned[(b, style)]].transpose(1, 2, 0)).save(os.path.join(out, f"{style}-{b.lower()}.png"), optimize=True)
        print(f"{pack}: {2 * len(cal)} calibration images")
    cells = [(b, s) for b in ev for s in ("twitter", "google")]
    cols = 12
    sheet = np.full((64 * (len(cells) // cols), 64 * cols, 3), 255, np.uint8)
    for k, key in enumerate(cells):
        r, c = divmod(k, cols)
        sheet[64 * r:64 * r + 64, 64 * c:64 * c + 64] = x64[untoned[key]].transpose(1, 2, 0)
    fx = os.path.join(REPO, "test", "fixtures")
    Image.fromarray(sheet).save(os.path.join(fx, "emoji-holdout-eval.png"), optimize=True)
    with open(os.path.join(fx, "emoji-holdout-eval.json"), "w") as f:
        json.dump(dict(cell=64, columns=cols, count=len(cells), data_sha256=meta["sha256"],
                       note="held-out emoji (split.json), untoned, never trained on and disjoint from the packs' calibration sets; "
                            "Twemoji CC-BY 4.0 and Noto Emoji Apache-2.0 (models/packs/emoji-32/LICENSES.md)",
                       cells=[dict(base=b, style=s, name=recs[untoned[(b, s)]]["name"]) for b, s in cells]), f, indent=1)
        f.write("\n")
    print(f"evaluation sheet: {len(cells)} images, calibration bases {len(cal)}, evaluation bases {len(ev)}")


if __name__ == "__main__":
    main()
