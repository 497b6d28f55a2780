#!/usr/bin/python3
"""Train the emoji super-resolution model (pack `emoji-sr-64`, 32 → 64 px) from scratch.

Data: the `x64` images of `.cache/dataset.npz` (prepare_data.py), training split only (records
with `held_out` false; the split is split.json), and their 32 px versions by 2×2 area averaging
(the dataset's own `x32`, computed by the same rule). Per step and image:

    n ~ 50 %: U{0…40}, 50 %: U{0…max_noise_level}        conditioning noise level (augmentation)
    c = up₂(√ᾱ'_n y + √(1−ᾱ'_n) z)                         sr_model.make_condition
    t ~ U{0…999},  x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε,  v = √ᾱ_t ε − √(1−ᾱ_t) x₀
    loss = ‖(x̂₀ − x₀)/c_out‖² = (σ_t/c_out)²·‖v̂ − v‖²     (v̂ = UNet([x_t ‖ c], t, ·, n); sr_model
                                                           docstring; AdamW, EMA of weights)

Random horizontal flips are not used (as for emoji-32: faces look one way, letters would mirror).

Resumable like train.py: an atomic checkpoint (temp file, fsync, rename) every --ckpt-minutes, on
SIGTERM/SIGINT and at the end, into --work (default .work/sr/); `--resume` continues from it.
`--minutes` stops after that much training time in this run (the checkpoint is written).

    nohup nice -n 10 /usr/bin/python3 models/train/train_sr.py --resume --minutes 18 \
        > models/train/.work/train_sr.log 2>&1 &
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import alphas_cumprod  # noqa: E402
from sr_model import SR_CONFIGS, SRUNet, count_params, low_res_alphas_cumprod, make_condition  # noqa: E402
from train import atomic_save, ema_update, stop_on_signals  # noqa: E402

CACHE = os.path.join(HERE, ".cache")


def area_downsample(x: np.ndarray, factor: int) -> np.ndarray:
    """factor×factor box average of uint8 [N,3,H,W], rounded to uint8 (prepare_data.downsample's rule)."""
    n, c, h, w = x.shape
    y = x.astype(np.float32).reshape(n, c, h // factor, factor, w // factor, factor).mean(axis=(3, 5))
    return np.clip(np.round(y), 0, 255).astype(np.uint8)


def load_split(data_dir: str, held_out: bool, factor: int = 2):
    """(x64 uint8 [N,3,64,64], low uint8 [N,3,64/f,64/f], records) of the training or held-out split;
    the low-resolution images are the dataset's x32 for f = 2, a 4×4 area average of x64 for f = 4."""
    with open(os.path.join(data_dir, "dataset.json")) as f:
        meta = json.load(f)
    idx = np.array([i for i, r in enumerate(meta["records"]) if bool(r["held_out"]) == held_out])
    npz = np.load(os.path.join(data_dir, "dataset.npz"))
    x64 = npz["x64"][idx]
    low = npz["x32"][idx] if factor == 2 else area_downsample(x64, factor)
    return x64, low, [meta["records"][i] for i in idx], meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=100000)
    ap.add_argument("--minutes", type=float, default=0, help="stop after this much training time in this run (0: no limit)")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--ema-decay", type=float, default=0.995)
    ap.add_argument("--config", choices=sorted(SR_CONFIGS), default="x2", help="x2: emoji-sr-64 (32 → 64), x4: emoji-sr-x4 (16 → 64)")
    ap.add_argument("--work", default=None, help="default .work/sr (x2) or .work/sr-x4 (x4)")
    ap.add_argument("--data", default=CACHE)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--ckpt-minutes", type=float, default=3.0)
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    args.work = args.work or os.path.join(HERE, ".work", "sr" if args.config == "x2" else f"sr-{args.config}")
    os.makedirs(args.work, exist_ok=True)
    ckpt_path = os.path.join(args.work, "ckpt_latest.pt")

    state = None
    if args.resume and os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, map_location="cpu")
        cfg = state["cfg"]
        print(f"resuming from {ckpt_path} at step {state['step']}", flush=True)
    else:
        cfg = dict(SR_CONFIGS[args.config])
    if args.batch_size:
        cfg["batch_size"] = args.batch_size
    if args.lr:
        cfg["lr"] = args.lr
    cfg["ema_decay"] = args.ema_decay

    x64, x32, recs, meta = load_split(args.data, held_out=False, factor=cfg["upscale_factor"])
    assert not any(r["held_out"] for r in recs)
    hi = torch.from_numpy(x64).to(device)
    lo = torch.from_numpy(x32).to(device)
    print(f"train images {len(recs)} (64 px targets, {x32.shape[-1]} px inputs) on {device}; data sha256 {meta['sha256'][:16]}", flush=True)

    torch.manual_seed(args.seed)
    unet = SRUNet(cfg).to(device)
    ema = copy.deepcopy(unet).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(unet.parameters(), lr=cfg["lr"], betas=(0.9, 0.99), weight_decay=0.01)
    print(f"params: unet {count_params(unet):,} (fp32 {4 * count_params(unet) / 1e6:.1f} MB)", flush=True)

    step, images_seen, elapsed = 0, 0, 0.0
    gen = torch.Generator().manual_seed(args.seed)
    if state is not None:
        unet.load_state_dict(state["unet"])
        ema.load_state_dict(state["ema_unet"])
        opt.load_state_dict(state["opt"])
        step, images_seen, elapsed = state["step"], state["images_seen"], state["elapsed"]
        gen.set_state(state["torch_rng"])
        del state

    acp = alphas_cumprod(1000).float()
    sqrt_a, sqrt_1ma = acp.sqrt().to(device), (1 - acp).sqrt().to(device)
    acp_low = low_res_alphas_cumprod()
    factor = cfg["upscale_factor"]

    def checkpoint(reason: str):
        atomic_save(dict(cfg=cfg, step=step, images_seen=images_seen, elapsed=elapsed, unet=unet.state_dict(),
                         ema_unet=ema.state_dict(), opt=opt.state_dict(), torch_rng=gen.get_state()), ckpt_path)
        print(f"checkpoint step {step} ({reason})", flush=True)

    stop = stop_on_signals()

    bs = cfg["batch_size"]
    log = open(os.path.join(args.work, "loss.jsonl"), "a")
    t_start = t_ckpt = t_log = time.time()
    seen_log, loss_acc, n_acc = 0, 0.0, 0
    unet.train()
    while step < args.steps and not stop["flag"]:
        if args.minutes and time.time() - t_start > args.minutes * 60:
            break
        t0 = time.time()
        idx = torch.randint(0, len(recs), (bs,), generator=gen).to(device)
        x0 = hi[idx].float() / 127.5 - 1.0
        y = lo[idx].float() / 127.5 - 1.0
        small = torch.rand(bs, generator=gen) < 0.5
        level = torch.where(small, torch.randint(0, 41, (bs,), generator=gen),
                            torch.randint(0, cfg["max_noise_level"] + 1, (bs,), generator=gen))
        cond = make_condition(y, level.to(device), torch.randn(y.shape, generator=gen).to(device), acp_low, factor)
        t = torch.randint(0, 1000, (bs,), generator=gen).to(device)
        noise = torch.randn(x0.shape, generator=gen).to(device)
        a, s = sqrt_a[t][:, None, None, None], sqrt_1ma[t][:, None, None, None]
        xt = a * x0 + s * noise
        v = a * noise - s * x0
        lr = cfg["lr"] * min(1.0, (step + 1) / args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        ctx = torch.zeros(bs, 1, cfg["cross_attention_dim"], device=device)
        _, x0_hat, c_out = unet(torch.cat([xt, cond], dim=1), t.float(), ctx, level.float().to(device), return_x0=True)
        loss = (((x0_hat - x0) / c_out) ** 2).mean()  # = σ²/c_out²-weighted v MSE (sr_model docstring)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        ema_update(ema, unet, min(args.ema_decay, (1 + step) / (10 + step)))
        step += 1
        images_seen += bs
        elapsed += time.time() - t0
        loss_acc += loss.item()
        n_acc += 1
        seen_log += bs
        if step % args.log_every == 0:
            now = time.time()
            rec = dict(step=step, loss_v=loss_acc / n_acc, img_per_s=seen_log / (now - t_log), lr=lr,
                       images_seen=images_seen, minutes=elapsed / 60, time=int(now))
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(f"step {step} loss_v {rec['loss_v']:.5f} {rec['img_per_s']:.1f} img/s lr {lr:.1e} "
                  f"epochs {images_seen / len(recs):.2f} min {elapsed / 60:.1f}", flush=True)
            t_log, seen_log, loss_acc, n_acc = now, 0, 0.0, 0
        if time.time() - t_ckpt > args.ckpt_minutes * 60:
            checkpoint("periodic")
            t_ckpt = time.time()

    checkpoint("stop" if stop["flag"] else "done")
    log.close()


if __name__ == "__main__":
    main()
