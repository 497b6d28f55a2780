#!/usr/bin/python3
"""Distribution quality of sampler settings on the emoji-32 pack: Fréchet and kernel distances to
images the model never saw.

Some sampler options change which trajectory is integrated on purpose — time-shifted DDIM (Li et al.
2024, "Alleviating Exposure Bias in Diffusion Models through Sampling with Shifted Time Steps",
ICLR) picks, per step, the training timestep whose noise variance matches the state — so their
benefit cannot show as error against the probability-flow ODE's solution (the solver lab's metric).
It shows, if at all, in the distribution of the images. This script measures that:

  samples   N unconditional images per setting (empty prompt, CFG 1: the model's own estimate of
            the data distribution), the same seeds for every setting (paired), one image per call
            (batch 1, so a time shift sees one image's variance, as in the paper), through the
            engine's generate pipeline (scripts/sample-grid.ts).
  features  the 128-d pooled features of classifier.py's CNN, trained on the training split only.
  reference the held-out split's real images (96 base emoji, 412 images, never seen by the pack or
            the classifier) — and, for comparison, the training split's.
  metrics   FD  = Fréchet distance between Gaussian fits of the feature sets (Heusel et al. 2017);
            KID = unbiased squared MMD with the cubic polynomial kernel (Bińkowski et al. 2018),
                  ×1000, with its standard error over 10 disjoint subsets of the samples.
            The floor is the same metrics between the training split's real images and the
            held-out split (what a model that reproduced the data would score).

    nice -n 10 /usr/bin/python3 models/train/classifier.py     # once (cached in .work/classifier/)
    npm run -s build:node                                       # compiles scripts/sample-grid.ts
    nice -n 10 /usr/bin/python3 models/train/eval_samplers.py [--n 600] [--steps 10,20]
        [--settings "pack;ddim;ddim_ts:40,300"]
Results: models/train/.work/eval_samplers.json, a Markdown table on stdout, and the `samplers`
section of models/packs/<pack>/evaluation.json (eval_report.py; `--no-report` leaves it alone).
`--from-json FILE` writes that section from an earlier run's results file instead of sampling again.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from classifier import load_classifier, load_data, predict, to_input  # noqa: E402
from eval_report import HELD_OUT_SPLIT, write_report  # noqa: E402


def sqrtm_psd(m: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((m + m.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    """‖μa − μb‖² + tr(Σa + Σb − 2(Σa^½ Σb Σa^½)^½) (the symmetric form, no complex square roots)."""
    ma, mb = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    ra = sqrtm_psd(ca)
    cross = sqrtm_psd(ra @ cb @ ra)
    return float(((ma - mb) ** 2).sum() + np.trace(ca) + np.trace(cb) - 2 * np.trace(cross))


def kid(a: np.ndarray, b: np.ndarray) -> float:
    """Unbiased MMD² with k(x, y) = (x·y/d + 1)³."""
    d = a.shape[1]
    kaa = (a @ a.T / d + 1) ** 3
    kbb = (b @ b.T / d + 1) ** 3
    kab = (a @ b.T / d + 1) ** 3
    m, n = len(a), len(b)
    return float((kaa.sum() - np.trace(kaa)) / (m * (m - 1)) + (kbb.sum() - np.trace(kbb)) / (n * (n - 1)) - 2 * kab.mean())


def kid_with_error(a: np.ndarray, b: np.ndarray, parts: int = 10) -> tuple[float, float]:
    vals = [kid(p, b) for p in np.array_split(a, parts)]
    return float(np.mean(vals)), float(np.std(vals, ddof=1) / np.sqrt(parts))


def parse_setting(s: str) -> tuple[str, list[str]]:
    """"pack" | "<catalogue sampler>[@grid]" | "ddim_ts:W,C[@grid]" → (label, sample-grid.js args)."""
    name, _, grid = s.partition("@")
    args = ["--grid", grid] if grid else []
    if name == "pack":
        return s, args
    if name.startswith("ddim_ts:"):
        return s, args + ["--time-shift", name.split(":", 1)[1]]
    return s, args + ["--sampler", name]


def sample(pack: str, setting: list[str], n: int, seed: int, steps: int, workdir: str, threads: int) -> np.ndarray:
    js = os.path.join(REPO, "out", "scripts", "sample-grid.js")
    if not os.path.exists(js):
        raise SystemExit(f"{js} is missing: run `npm run -s build:node` first")
    jf, of = os.path.join(workdir, "jobs.json"), os.path.join(workdir, "samples.f32")
    with open(jf, "w") as f:
        json.dump([{"prompt": "", "seed": seed + k, "batch": 1} for k in range(n)], f)
    subprocess.run(["node", js, "--pack", pack, "--jobs", jf, "--out", of, "--steps", str(steps), "--cfg", "1",
                    "--threads", str(threads), *setting], check=True, cwd=REPO, stderr=subprocess.DEVNULL)
    with open(of + ".json") as f:
        man = json.load(f)
    return np.fromfile(of, dtype="<f4").reshape(man["count"], 3, man["height"], man["width"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", default=os.path.join(REPO, "models", "packs", "emoji-32"))
    ap.add_argument("--n", type=int, default=600, help="samples per setting and step count")
    ap.add_argument("--steps", default="10,20")
    ap.add_argument("--settings", default="pack;ddim;ddim_ts:20,300;ddim_ts:40,300;ddim_ts:40,600")
    ap.add_argument("--seed", type=int, default=50_000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(HERE, ".work", "eval_samplers.json"))
    ap.add_argument("--no-report", action="store_true", help="do not write models/packs/<pack>/evaluation.json")
    ap.add_argument("--from-json", default=None, help="write the pack's report from this earlier results file; sample nothing")
    args = ap.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        made = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.path.getmtime(args.from_json)))
        report(args.pack, saved, source=f"regenerated from an earlier run's results ({os.path.basename(args.from_json)}, "
                                        f"written {made}); not sampled again", date=made)
        return
    torch.set_num_threads(2)

    x_all, meta = load_data()
    recs = meta["records"]
    clf, cstate = load_classifier()
    if cstate["data_sha256"] != meta["sha256"]:
        raise SystemExit("classifier was trained on other data: rerun classifier.py")
    x = to_input(x_all)
    held = torch.from_numpy(np.array([i for i, r in enumerate(recs) if r["held_out"]]))
    train = torch.from_numpy(np.array([i for i, r in enumerate(recs) if not r["held_out"]]))
    f_held = predict(clf, x[held])[2].double().numpy()
    f_train = predict(clf, x[train])[2].double().numpy()
    rng = np.random.default_rng(0)
    floor_rows = rng.choice(len(f_train), size=args.n, replace=False)
    floor = dict(fd_held=frechet(f_train[floor_rows], f_held), kid_held=kid_with_error(f_train[floor_rows], f_held),
                 fd_train=frechet(f_train[floor_rows], f_train))
    print(f"floor ({args.n} real training images): FD vs held-out {floor['fd_held']:.2f}, "
          f"KID×1000 {1000 * floor['kid_held'][0]:.2f} ± {1000 * floor['kid_held'][1]:.2f}", flush=True)

    results = []
    work = tempfile.mkdtemp(prefix="emoji-samplers-")
    for steps in [int(s) for s in args.steps.split(",")]:
        for text in args.settings.split(";"):
            label, setting = parse_setting(text)
            t0 = time.time()
            imgs = sample(args.pack, setting, args.n, args.seed, steps, work, args.threads)
            feats = predict(clf, torch.from_numpy(imgs).clamp(-1, 1))[2].double().numpy()
            k, ke = kid_with_error(feats, f_held)
            row = dict(setting=label, steps=steps, n=len(imgs), fd_held=frechet(feats, f_held), kid_held=k, kid_held_se=ke,
                       fd_train=frechet(feats, f_train), pixel_std=float(imgs.reshape(len(imgs), -1).std(1).mean()),
                       seconds=round(time.time() - t0, 1))
            results.append(row)
            print(f"{steps:3d} steps  {label:22s} FD held-out {row['fd_held']:7.2f}  KID×1000 {1000 * k:6.2f} ± {1000 * ke:4.2f}"
                  f"  FD train {row['fd_train']:7.2f}  pixel std {row['pixel_std']:.3f}  ({row['seconds']} s)", flush=True)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(dict(n=args.n, seed=args.seed, floor=floor, results=results), f, indent=1)
    if not args.no_report:
        report(args.pack, dict(n=args.n, seed=args.seed, floor=floor, results=results), source="this run")
    print("\n| steps | setting | FD vs held-out | KID×1000 vs held-out | FD vs training |\n|---|---|---|---|---|")
    for r in results:
        print(f"| {r['steps']} | {r['setting']} | {r['fd_held']:.2f} | {1000 * r['kid_held']:.2f} ± {1000 * r['kid_held_se']:.2f} | {r['fd_train']:.2f} |")


def report(pack: str, saved: dict, source: str, date: str | None = None) -> None:
    """The `samplers` section of the pack's evaluation.json: FD and KID×1000 (± its error) per setting and step count."""
    r4 = lambda v: round(float(v), 4)  # noqa: E731
    numbers = dict(
        samples_per_setting=saved["n"], seed=saved["seed"],
        floor=dict(fd_held=r4(saved["floor"]["fd_held"]), kid_held_x1000=r4(1000 * saved["floor"]["kid_held"][0]),
                   fd_train=r4(saved["floor"]["fd_train"])),
        results=[dict(steps=r["steps"], setting=r["setting"], fd_held=r4(r["fd_held"]), kid_held_x1000=r4(1000 * r["kid_held"]),
                      kid_held_x1000_se=r4(1000 * r["kid_held_se"]), fd_train=r4(r["fd_train"])) for r in saved["results"]],
    )
    write_report(pack, "samplers", numbers, source=source, date=date,
                 split=HELD_OUT_SPLIT + "; reference features of all 412 held-out images, samples unconditional")


if __name__ == "__main__":
    main()
