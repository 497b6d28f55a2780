#!/usr/bin/python3
"""Held-out evaluation of the emoji-32 text-to-image pack: numbers, not impressions.

What it measures (all prompts are "<emoji name> <style>", style alternating twitter / google):
  (a) category accuracy: the classifier of classifier.py (trained on the training split only)
      applied to samples, against the prompted emoji's emoji-datasource category, separately for
      prompts whose emoji are in the training set and for held-out emoji, next to the chance levels
      (uniform 1/10; the majority category of that prompt set; "independent" = Σ_c P(pred = c)·P(prompt = c),
      what predictions that ignore the prompt but keep their marginal would score) and the classifier's accuracy on
      the real images of the same emoji (the ceiling); for training prompts also identity accuracy
      (top-1 over all 1815 training emoji, and restricted to the prompt set);
  (b) nearest-neighbour distances to the 7160 training images: per-pixel RMS distance in [0, 1]
      RGB (= L2 / √3072) and L2 in the classifier's 128-d feature space, for samples and for the
      held-out split's real images; medians, and the fraction of samples closer to a training image
      than the 5th percentile of the real held-out images' distances (copying indicator). For
      training prompts also the distance to the prompted emoji's own training image (fidelity);
  (c) a 4×4 grid of 16 fixed prompts (GRID_TRAIN, GRID_HELD_OUT; words all in the vocabulary),
      ×4 nearest-neighbour upscale, prompt list printed below: docs/emoji-32-samples.png.

Samplers (the results name the one that produced each number):
  engine  (default) the app's own pipeline — openPack + generate with the pack's scheduler config
          (DDIM, trailing, v-prediction), i.e. `driftline generate --sampler pack` without the IPC —
          through scripts/sample-grid.ts on an ONNX export of the checkpoint (export.py --out <temp>).
          On a shared 2-core box ONNX Runtime is ~2.5× faster than torch here, so it does everything.
  torch   (--sampler torch, or the grid cross-check --crosscheck) DDIM η = 0 with diffusers'
          DDIMScheduler semantics (trailing spacing, v-prediction, last step to ᾱ_0 since
          set_alpha_to_one = false), CFG ε_u + w (ε_c − ε_u) with the empty prompt as the
          unconditional, on the checkpoint's EMA weights (the modules export.py exports).
  Seeds: prompt k, sample j uses seed --seed + n·k + j (grid: --seed + 100000 + …). The two samplers
  draw their initial noise differently, so they agree in distribution, not image by image.

    nice -n 10 /usr/bin/python3 models/train/classifier.py      # once (cached in .work/classifier/)
    npm run -s build:node                                        # compiles scripts/sample-grid.ts
    nice -n 10 /usr/bin/python3 models/train/eval_t2i.py          # ckpt_latest.pt, exported to /tmp
Results: models/train/.work/eval/step_<step>.json (+ .md summary), docs/emoji-32-samples.png, and
the `t2i` section of models/packs/emoji-32/evaluation.json (eval_report.py: the category accuracies,
their chance levels and ceilings, which the README quotes; `--no-report` leaves it alone).
`--from-json FILE` writes that section from an earlier run's step_<step>.json instead of sampling.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from classifier import CATEGORIES, load_classifier, load_data, predict, to_input  # noqa: E402
from model import TextEncoder, UNet2DConditionModel, alphas_cumprod  # noqa: E402
from tokenizer import Tokenizer, pre_tokenize  # noqa: E402
from eval_report import HELD_OUT_SPLIT, write_report  # noqa: E402

# 16 grid prompts: 8 training emoji, 8 held-out emoji whose names use only vocabulary words.
GRID_TRAIN = [
    "grinning face", "face with tears of joy", "dog face", "red apple",
    "soccer ball", "birthday cake", "umbrella", "musical note",
]
GRID_HELD_OUT = [
    "smiling face with open mouth", "bear face", "baby chick", "root vegetable",
    "hotel", "oncoming police car", "low battery", "large red square",
]
STYLES = ("twitter", "google")


def h8(s: str) -> int:
    return int(hashlib.sha256(s.encode()).hexdigest()[:8], 16)


def in_vocab(name: str, vocab: dict) -> bool:
    return all(w in vocab for w in pre_tokenize(name))


def stat_prompts(records, vocab, n_train: int, n_held: int):
    """Deterministic prompt set: base emoji ordered by sha256('eval|' + unified); held-out emoji whose
    names are fully in the vocabulary come first (the rest contain [UNK] words and are flagged)."""
    bases = {}
    for r in records:
        if r["tone"] == "":
            bases.setdefault(r["base"], r)
    tr = sorted((r for r in bases.values() if not r["held_out"]), key=lambda r: h8("eval|" + r["base"]))
    ho = sorted((r for r in bases.values() if r["held_out"]),
                key=lambda r: (not in_vocab(r["name"], vocab), h8("eval|" + r["base"])))
    out = []
    for split, rs in (("train", tr[:n_train]), ("held_out", ho[:n_held])):
        for k, r in enumerate(rs):
            style = STYLES[k % 2]
            out.append(dict(prompt=f"{r['name']} {style}", name=r["name"], base=r["base"], style=style,
                            category=r["category"], split=split, in_vocab=in_vocab(r["name"], vocab)))
    return out


def grid_prompts(records, vocab):
    by_name = {r["name"]: r for r in records if r["tone"] == ""}
    out = []
    for k, name in enumerate(GRID_TRAIN + GRID_HELD_OUT):
        r = by_name[name]
        want_held = k >= len(GRID_TRAIN)
        assert r["held_out"] == want_held, f"{name}: held_out={r['held_out']}"
        assert in_vocab(name, vocab), f"{name} has words outside the vocabulary"
        style = STYLES[k % 2]
        out.append(dict(prompt=f"{name} {style}", name=name, base=r["base"], style=style, category=r["category"],
                        split="held_out" if want_held else "train", in_vocab=True))
    return out


# ------------------------------------------------------------------------------------------------
# Samplers
# ------------------------------------------------------------------------------------------------
@torch.no_grad()
def torch_ddim(unet, te, tok, prompts, seeds, steps, cfg, bs=64):
    """diffusers DDIMScheduler (trailing, v-prediction, set_alpha_to_one=False, η=0) + CFG."""
    acp = alphas_cumprod(1000).float()
    T = 1000
    ts = [int(round(T - i * T / steps)) - 1 for i in range(steps)]
    uncond_h, _ = te(torch.tensor([tok.encode("")]))
    out = []
    for i in range(0, len(prompts), bs):
        p, s = prompts[i:i + bs], seeds[i:i + bs]
        b = len(p)
        cond, _ = te(torch.tensor([tok.encode(x) for x in p]))
        ctx = torch.cat([uncond_h.expand(b, -1, -1), cond])
        x = torch.stack([torch.randn(3, 32, 32, generator=torch.Generator().manual_seed(int(z))) for z in s])
        for k, t in enumerate(ts):
            a = acp[t]
            a_prev = acp[ts[k + 1]] if k + 1 < steps else acp[0]
            v = unet(torch.cat([x, x]), torch.full((2 * b,), float(t)), ctx)
            vu, vc = v.chunk(2)
            v = vu + cfg * (vc - vu)
            x0 = a.sqrt() * x - (1 - a).sqrt() * v
            eps = (1 - a).sqrt() * x + a.sqrt() * v
            x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
        out.append(x.clamp(-1, 1))
    return torch.cat(out)


def engine_sample(pack_dir, jobs, steps, cfg, threads, workdir):
    """scripts/sample-grid.ts (compiled to out/scripts/sample-grid.js): the app's generate pipeline."""
    js = os.path.join(REPO, "out", "scripts", "sample-grid.js")
    if not os.path.exists(js):
        raise SystemExit(f"{js} is missing: run `npm run -s build:node` first")
    jf, of = os.path.join(workdir, "jobs.json"), os.path.join(workdir, "engine.f32")
    with open(jf, "w") as f:
        json.dump(jobs, f)
    subprocess.run(["node", js, "--pack", pack_dir, "--jobs", jf, "--out", of, "--steps", str(steps),
                    "--cfg", str(cfg), "--threads", str(threads)], check=True, cwd=REPO)
    with open(of + ".json") as f:
        man = json.load(f)
    x = np.fromfile(of, dtype="<f4").reshape(man["count"], 3, man["height"], man["width"])
    return torch.from_numpy(x.copy()).clamp(-1, 1), man


# ------------------------------------------------------------------------------------------------
# Metrics
# ------------------------------------------------------------------------------------------------
def nn_dist(q: torch.Tensor, ref: torch.Tensor, bs: int = 256):
    """Min L2 distance of each row of q to the rows of ref, and its index."""
    d, idx = [], []
    for i in range(0, q.shape[0], bs):
        m = torch.cdist(q[i:i + bs].double(), ref.double())
        v, j = m.min(dim=1)
        d.append(v), idx.append(j)
    return torch.cat(d).float(), torch.cat(idx)


def pix(x: torch.Tensor) -> torch.Tensor:
    """[-1,1] images → [0,1] flattened, so that L2/√3072 is the RMS pixel distance."""
    return ((x.float() + 1) / 2).reshape(x.shape[0], -1)


def summarize(prompts, samples, n_per, clf, cstate, ref):
    """All metrics for samples [P·n, 3, 32, 32] (prompt-major) of the prompt list."""
    cat_logits, id_logits, feats = predict(clf, samples)
    cat_pred = cat_logits.argmax(1)
    id_bases = cstate["id_bases"]
    id_index = {b: k for k, b in enumerate(id_bases)}
    P = len(prompts)
    rep = lambda v: [x for x in v for _ in range(n_per)]  # noqa: E731
    cat_true = torch.tensor(rep([CATEGORIES.index(p["category"].lower()) for p in prompts]))
    split = np.array(rep([p["split"] for p in prompts]))
    vocab_ok = np.array(rep([p["in_vocab"] for p in prompts]))
    d_pix, nn_idx = nn_dist(pix(samples), ref["train_pix"])
    d_pix = d_pix / np.sqrt(3072)
    d_feat, nn_fidx = nn_dist(feats, ref["train_feat"])
    thr_pix, thr_feat = ref["p5_pix"], ref["p5_feat"]
    res = {}
    for sp in ("train", "held_out"):
        mn = split == sp
        if not mn.any():
            continue
        m = torch.from_numpy(mn)
        ps = [p for p in prompts if p["split"] == sp]
        cats = [p["category"].lower() for p in ps]
        r = dict(
            prompts=len(ps), samples=int(mn.sum()),
            category_acc=float((cat_pred[m] == cat_true[m]).float().mean()),
            chance_uniform=1 / len(CATEGORIES),
            chance_majority=max(cats.count(c) for c in set(cats)) / len(cats),
            # accuracy expected if the predictions ignored the prompt but kept their own marginal:
            # Σ_c P(predicted = c) · P(prompted = c)
            chance_independent=float(sum(float((cat_pred[m] == k).float().mean()) * cats.count(c) / len(cats)
                                         for k, c in enumerate(CATEGORIES))),
            predicted_distribution={CATEGORIES[k]: int(v) for k, v in
                                    enumerate(torch.bincount(cat_pred[m], minlength=len(CATEGORIES)).tolist()) if v},
            majority_category=max(set(cats), key=cats.count),
            ceiling_real_images=ref["real_acc"](ps),
            nn_pixel_rms_median=float(d_pix[m].median()),
            nn_feature_l2_median=float(d_feat[m].median()),
            frac_closer_than_p5_real_pixel=float((d_pix[m] < thr_pix).float().mean()),
            frac_closer_than_p5_real_feature=float((d_feat[m] < thr_feat).float().mean()),
            nn_is_prompted_emoji=float(np.mean([ref["records"][j]["base"] == b for j, b in
                                               zip(ref["train_index"][nn_idx[m]].tolist(),
                                                   np.array(rep([p["base"] for p in prompts]))[mn])])),
            nn_feature_is_prompted_emoji=float(np.mean([ref["records"][j]["base"] == b for j, b in
                                                       zip(ref["train_index"][nn_fidx[m]].tolist(),
                                                           np.array(rep([p["base"] for p in prompts]))[mn])])),
        )
        if sp == "held_out":
            for flag, key in ((True, "in_vocab"), (False, "with_unk")):
                mm = torch.from_numpy(mn & (vocab_ok == flag))
                if mm.any():
                    r[f"category_acc_{key}"] = [float((cat_pred[mm] == cat_true[mm]).float().mean()), int(mm.sum())]
        if sp == "train":
            ids = torch.tensor(rep([id_index.get(p["base"], -1) for p in prompts]))
            r["identity_acc_all"] = float((id_logits.argmax(1)[m] == ids[m]).float().mean())
            r["identity_chance_all"] = 1 / len(id_bases)
            allowed = sorted({id_index[p["base"]] for p in ps})
            sub = id_logits[:, allowed].argmax(1)
            r["identity_acc_in_prompt_set"] = float((torch.tensor(allowed)[sub][m] == ids[m]).float().mean())
            r["identity_chance_in_prompt_set"] = 1 / len(allowed)
            # fidelity: RMS distance to the prompted emoji's own training image (same style, untoned)
            own = torch.stack([ref["own_pix"][(p["base"], p["style"])] for p in prompts for _ in range(n_per)])
            d_own = (pix(samples) - own).pow(2).mean(1).sqrt()
            r["pixel_rms_to_prompted_image_median"] = float(d_own[m].median())
        res[sp] = r
    per_prompt = []
    for k, p in enumerate(prompts):
        sl = slice(k * n_per, (k + 1) * n_per)
        per_prompt.append(dict(prompt=p["prompt"], split=p["split"], category=p["category"],
                               predicted=[CATEGORIES[i] for i in cat_pred[sl].tolist()],
                               nn_pixel_rms=[round(float(v), 4) for v in d_pix[sl]]))
    return res, per_prompt


def save_grid(x: torch.Tensor, prompts, path: str, header: str, scale: int = 4):
    from PIL import Image, ImageDraw, ImageFont

    x = ((x.float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    cell, pad, ncol = 32 * scale, 6, 4
    font = ImageFont.load_default()
    lines = [header] + [f"{k + 1:2d}. {p['prompt']}   [{'train' if p['split'] == 'train' else 'HELD OUT'}; {p['category']}]"
                        for k, p in enumerate(prompts)]
    lh = 13
    W = ncol * (cell + pad) + pad
    H = 4 * (cell + pad + lh) + pad + lh * len(lines) + pad
    W = max(W, 8 + 6 * max(len(s) for s in lines))
    img = Image.new("RGB", (W, H), (255, 255, 255))
    dr = ImageDraw.Draw(img)
    for k in range(len(prompts)):
        r, c = divmod(k, ncol)
        x0, y0 = pad + c * (cell + pad), pad + r * (cell + pad + lh)
        img.paste(Image.fromarray(x[k]).resize((cell, cell), Image.NEAREST), (x0, y0))
        dr.rectangle([x0 - 1, y0 - 1, x0 + cell, y0 + cell], outline=(200, 200, 200) if r < 2 else (220, 120, 0))
        dr.text((x0, y0 + cell + 1), f"{k + 1}. {prompts[k]['name'][:17]}", fill=(0, 0, 0), font=font)
    y = pad + 4 * (cell + pad + lh)
    for s in lines:
        dr.text((pad, y), s, fill=(0, 0, 0), font=font)
        y += lh
    os.makedirs(os.path.dirname(path), exist_ok=True)
    img.save(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", default=os.path.join(HERE, ".work", "small", "ckpt_latest.pt"))
    ap.add_argument("--pack", default=None, help="ONNX pack of the same checkpoint (default: export --ckpt to a temp folder)")
    ap.add_argument("--classifier", default=os.path.join(HERE, ".work", "classifier", "classifier.pt"))
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--cfg", type=float, default=3.0)
    ap.add_argument("--n-train", type=int, default=50, help="training-set emoji in the statistics set")
    ap.add_argument("--n-held", type=int, default=50, help="held-out emoji in the statistics set")
    ap.add_argument("--n", type=int, default=4, help="samples per statistics prompt")
    ap.add_argument("--grid-n", type=int, default=2, help="engine samples per grid prompt (first one is drawn)")
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--sampler", choices=("engine", "torch"), default="engine",
                    help="engine: the app's pipeline on an ONNX export (default); torch: PyTorch DDIM, no Node needed")
    ap.add_argument("--crosscheck", action="store_true", help="also sample the grid prompts with the other sampler")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--grid", default=os.path.join(REPO, "docs", "emoji-32-samples.png"))
    ap.add_argument("--out", default=os.path.join(HERE, ".work", "eval"))
    ap.add_argument("--report-pack", default="emoji-32", help="the pack whose evaluation.json gets the numbers")
    ap.add_argument("--no-report", action="store_true", help="do not write models/packs/<pack>/evaluation.json")
    ap.add_argument("--from-json", default=None, help="write the pack's report from this earlier step_<step>.json; sample nothing")
    args = ap.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        made = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.path.getmtime(args.from_json)))
        write_report(args.report_pack, "t2i", report_numbers(saved), split=REPORT_SPLIT, date=made,
                     source=f"regenerated from an earlier run's results ({os.path.basename(args.from_json)}, written {made}); not sampled again")
        return
    torch.set_num_threads(args.threads)
    t_start = time.time()
    timings = {}

    # ---- model (a private copy of the checkpoint: training rewrites ckpt_latest.pt) -------------
    work = tempfile.mkdtemp(prefix="emoji-eval-")
    ckpt = os.path.join(work, "ckpt.pt")
    shutil.copyfile(args.ckpt, ckpt)
    state = torch.load(ckpt, map_location="cpu")
    cfg, tok = state["cfg"], Tokenizer(state["tokenizer"])
    step = state["step"]
    unet = UNet2DConditionModel(cfg).eval()
    te = TextEncoder(cfg, len(tok.vocab), tok.eos_id).eval()
    unet.load_state_dict(state["ema_unet"])
    te.load_state_dict(state["ema_text_encoder"])
    del state
    print(f"checkpoint step {step} (EMA), copied to {ckpt}", flush=True)

    # ---- data, classifier, references -------------------------------------------------------
    x_all, meta = load_data()
    recs = meta["records"]
    clf, cstate = load_classifier(args.classifier)
    if cstate["data_sha256"] != meta["sha256"]:
        raise SystemExit("classifier was trained on other data: rerun classifier.py")
    x = to_input(x_all)
    train_idx = np.array([i for i, r in enumerate(recs) if not r["held_out"]])
    held_idx = np.array([i for i, r in enumerate(recs) if r["held_out"]])
    held_untoned = np.array([i for i in held_idx if recs[i]["tone"] == ""])
    _, _, f_train = predict(clf, x[torch.from_numpy(train_idx)])
    cat_real, _, f_held = predict(clf, x[torch.from_numpy(held_idx)])
    train_pix = pix(x[torch.from_numpy(train_idx)])
    dh_pix = nn_dist(pix(x[torch.from_numpy(held_idx)]), train_pix)[0] / np.sqrt(3072)
    dh_feat = nn_dist(f_held, f_train)[0]
    untoned_mask = torch.from_numpy(np.array([recs[i]["tone"] == "" for i in held_idx]))
    # reference distribution: the untoned held-out images (the prompts are untoned names)
    real_pix_u, real_feat_u = dh_pix[untoned_mask], dh_feat[untoned_mask]
    own_pix = {(recs[i]["base"], recs[i]["style"]): pix(x[i:i + 1])[0] for i in range(len(recs)) if recs[i]["tone"] == ""}
    cat_pred_all = predict(clf, x)[0].argmax(1)

    def real_acc(ps):
        """Classifier accuracy on the real untoned images (both styles) of the prompts' emoji."""
        bases = {p["base"] for p in ps}
        ix = [i for i, r in enumerate(recs) if r["base"] in bases and r["tone"] == ""]
        return float(np.mean([CATEGORIES[cat_pred_all[i]] == recs[i]["category"] for i in ix]))

    ref = dict(train_pix=train_pix, train_feat=f_train, p5_pix=float(np.percentile(real_pix_u.numpy(), 5)),
               p5_feat=float(np.percentile(real_feat_u.numpy(), 5)), real_acc=real_acc, own_pix=own_pix,
               records=recs, train_index=torch.from_numpy(train_idx))
    real = dict(
        held_out_images=len(held_idx), held_out_untoned_images=len(held_untoned),
        classifier_category_acc_held_out_all=float((cat_real.argmax(1) == torch.tensor(
            [CATEGORIES.index(recs[i]["category"]) for i in held_idx])).float().mean()),
        nn_pixel_rms_median_all=float(dh_pix.median()), nn_pixel_rms_median_untoned=float(real_pix_u.median()),
        nn_pixel_rms_p5_untoned=ref["p5_pix"],
        nn_feature_l2_median_all=float(dh_feat.median()), nn_feature_l2_median_untoned=float(real_feat_u.median()),
        nn_feature_l2_p5_untoned=ref["p5_feat"],
    )
    timings["setup_s"] = time.time() - t_start

    vocab = tok.vocab
    sprompts = stat_prompts(recs, vocab, args.n_train, args.n_held)
    gprompts = grid_prompts(recs, vocab)
    results = dict(step=step, ckpt=os.path.abspath(args.ckpt), steps=args.steps, cfg=args.cfg, n_per_prompt=args.n,
                   seed=args.seed, classifier=cstate["metrics"], real=real)

    # ---- samplers ------------------------------------------------------------------------------
    pack = None
    if args.sampler == "engine" or args.crosscheck:
        pack = args.pack
        if pack is None:
            pack = os.path.join(work, "packs", cfg["pack_name"])
            t0 = time.time()
            subprocess.run(["/usr/bin/python3", os.path.join(HERE, "export.py"), "--ckpt", ckpt, "--out", pack],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            timings["export_s"] = time.time() - t0
        with open(os.path.join(pack, "model_index.json")) as f:
            pack_step = json.load(f)["driftline"]["training_step"]
        if pack_step != step:
            print(f"warning: pack {pack} is step {pack_step}, checkpoint step {step}", flush=True)
        results["pack"], results["pack_step"] = pack, pack_step

    def sample(kind, prompts, n, seed0):
        """n samples per prompt, prompt-major; seeds seed0 + n·k + j (the engine's batch convention)."""
        if kind == "engine":
            jobs = [dict(prompt=p["prompt"], seed=seed0 + n * k, batch=n) for k, p in enumerate(prompts)]
            return engine_sample(pack, jobs, args.steps, args.cfg, args.threads, work)[0]
        return torch_ddim(unet, te, tok, [p["prompt"] for p in prompts for _ in range(n)],
                          [seed0 + n * k + j for k in range(len(prompts)) for j in range(n)], args.steps, args.cfg)

    other = "torch" if args.sampler == "engine" else "engine"
    results["sampler"] = args.sampler
    t0 = time.time()
    xs = sample(args.sampler, sprompts, args.n, args.seed)
    timings[f"stats_sampling_{args.sampler}_s"] = time.time() - t0
    results[f"stats_{args.sampler}"], results["per_prompt"] = summarize(sprompts, xs, args.n, clf, cstate, ref)
    print(f"statistics: {xs.shape[0]} samples ({args.sampler}) in {time.time() - t0:.0f} s", flush=True)

    t0 = time.time()
    xg = sample(args.sampler, gprompts, args.grid_n, args.seed + 100000)
    timings[f"grid_sampling_{args.sampler}_s"] = time.time() - t0
    results[f"grid_{args.sampler}"], _ = summarize(gprompts, xg, args.grid_n, clf, cstate, ref)
    header = (f"emoji-32 step {step} (EMA), {'engine pipeline (pack scheduler: DDIM trailing)' if args.sampler == 'engine' else 'PyTorch DDIM trailing'}"
              f", {args.steps} steps, cfg {args.cfg:g}; rows 1-2 training emoji, rows 3-4 held-out (orange)")
    save_grid(xg[:: args.grid_n], gprompts, args.grid, header)
    results["grid_png"] = args.grid
    if args.crosscheck:  # the grid prompts, same seeds, with the other sampler
        t0 = time.time()
        xo = sample(other, gprompts, args.grid_n, args.seed + 100000)
        timings[f"grid_sampling_{other}_s"] = time.time() - t0
        results[f"grid_{other}"], _ = summarize(gprompts, xo, args.grid_n, clf, cstate, ref)

    timings["total_s"] = time.time() - t_start
    results["timings"] = timings
    results["stat_prompts"] = sprompts
    results["grid_prompts"] = gprompts
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"step_{step:07d}.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
    md = report_md(results)
    with open(path.replace(".json", ".md"), "w") as f:
        f.write(md)
    print(md)
    print(f"wrote {path}")
    if not args.no_report:
        write_report(args.report_pack, "t2i", report_numbers(results), split=REPORT_SPLIT, source="this run")
    shutil.rmtree(work, ignore_errors=True)


#: What the t2i numbers are measured on.
REPORT_SPLIT = (HELD_OUT_SPLIT + "; prompts: --n-train training-set emoji and --n-held held-out emoji (names as captions), "
                "--n samples each; the classifier is trained on the training split only")


def report_numbers(r: dict) -> dict:
    """The numbers of a run (step_<step>.json) that the README quotes: category accuracy per prompt set,
    its chance levels and the classifier's ceiling on the real images, rounded to 3 places."""
    stats = r.get(f"stats_{r.get('sampler', 'engine')}") or r["stats_engine"]
    r3 = lambda v: round(float(v), 3)  # noqa: E731
    out = dict(training_step=r["step"], sampler=r.get("sampler", "engine"), steps=r["steps"], cfg=r["cfg"], samples_per_prompt=r["n_per_prompt"])
    for sp in ("train", "held_out"):
        s = stats[sp]
        out[sp] = dict(prompts=s["prompts"], category_acc=r3(s["category_acc"]), chance_independent=r3(s["chance_independent"]),
                       chance_majority=r3(s["chance_majority"]), ceiling_real_images=r3(s["ceiling_real_images"]))
        if "category_acc_in_vocab" in s:
            out[sp]["category_acc_in_vocab"] = r3(s["category_acc_in_vocab"][0])
        out[sp]["closer_than_p5_real_feature"] = r3(s["frac_closer_than_p5_real_feature"])
    return out


def report_md(r) -> str:
    c = r["classifier"]
    L = [f"### emoji-32 step {r['step']} — {r['steps']} steps, cfg {r['cfg']:g}, {r['n_per_prompt']} samples/prompt",
         "",
         f"Classifier ceiling: held-out real images category acc {c['held_out_category_acc_per_image'][0]:.3f} "
         f"(per image, n={c['held_out_category_acc_per_image'][1]}), {c['held_out_category_acc_untoned'][0]:.3f} (untoned, "
         f"n={c['held_out_category_acc_untoned'][1]}; majority {c['held_out_untoned_majority_baseline']:.3f}); identity acc on "
         f"unseen renderings of training emoji {c['internal_val_identity_acc'][0]:.3f} (n={c['internal_val_identity_acc'][1]}).",
         "",
         "| set | sampler | prompts × n | category acc | chance (uniform / majority / independent) | ceiling (real) | identity acc (all / in set) | NN pixel RMS median | NN feature L2 median | < p5 real (pixel / feature) |",
         "|---|---|---|---|---|---|---|---|---|---|"]
    for key, name in (("stats_engine", "engine"), ("stats_torch", "torch"), ("grid_engine", "engine (grid)"), ("grid_torch", "torch (grid)")):
        if key not in r:
            continue
        for sp, s in r[key].items():
            ident = (f"{s['identity_acc_all']:.3f} / {s['identity_acc_in_prompt_set']:.3f} (chance {s['identity_chance_in_prompt_set']:.3f})"
                     if "identity_acc_all" in s else "—")
            L.append(f"| {sp} | {name} | {s['prompts']} × {s['samples'] // s['prompts']} | {s['category_acc']:.3f} | "
                     f"{s['chance_uniform']:.2f} / {s['chance_majority']:.2f} / {s['chance_independent']:.2f} | {s['ceiling_real_images']:.3f} | {ident} | "
                     f"{s['nn_pixel_rms_median']:.3f} | {s['nn_feature_l2_median']:.2f} | "
                     f"{s['frac_closer_than_p5_real_pixel']:.3f} / {s['frac_closer_than_p5_real_feature']:.3f} |")
    for key in ("stats_engine", "stats_torch", "grid_engine", "grid_torch"):
        s = r.get(key, {}).get("train")
        if s:
            L.append(f"- {key}, training prompts: nearest training image is the prompted emoji for "
                     f"{s['nn_is_prompted_emoji']:.3f} (pixel) / {s['nn_feature_is_prompted_emoji']:.3f} (feature) of samples; "
                     f"median pixel RMS to the prompted emoji's own training image {s['pixel_rms_to_prompted_image_median']:.3f}.")
        s = r.get(key, {}).get("held_out")
        if s and "category_acc_in_vocab" in s:
            extra = f", with [UNK] words {s['category_acc_with_unk'][0]:.3f} (n={s['category_acc_with_unk'][1]})" if "category_acc_with_unk" in s else ""
            L.append(f"- {key}, held-out prompts: category acc, names fully in the vocabulary "
                     f"{s['category_acc_in_vocab'][0]:.3f} (n={s['category_acc_in_vocab'][1]}){extra}.")
    rr = r["real"]
    L += ["", f"Real held-out images → nearest training image: pixel RMS median {rr['nn_pixel_rms_median_untoned']:.3f} "
          f"(untoned, p5 {rr['nn_pixel_rms_p5_untoned']:.3f}; all {rr['nn_pixel_rms_median_all']:.3f}), feature L2 median "
          f"{rr['nn_feature_l2_median_untoned']:.2f} (p5 {rr['nn_feature_l2_p5_untoned']:.2f}).",
          f"Wall time: " + ", ".join(f"{k} {v:.0f}" for k, v in r["timings"].items()) + "."]
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
