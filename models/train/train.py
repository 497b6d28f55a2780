#!/usr/bin/python3
"""Train the emoji text-to-image diffusion model (text encoder + UNet, jointly, from scratch).

v-prediction on the discrete cosine (`squaredcos_cap_v2`) schedule, T = 1000, uniform t,
min-SNR-γ loss weight on the v error: w(t) = min(SNR_t, γ) / (SNR_t + 1)  (Hang et al. 2023),
captions dropped to "" with probability 0.1 for classifier-free guidance, AdamW, EMA of weights.
Learning rate: linear warm-up, constant, then (with --anneal-steps K) a cosine decay to --lr-min over
the last K steps before --steps: a run can be extended at the constant rate and annealed at the end
by resuming with a final --steps and --anneal-steps.

Runs unchanged on CPU or CUDA. Resumable: a checkpoint is written atomically (temp file, then
rename) every --ckpt-minutes and on SIGTERM/SIGINT into --work; `--resume` continues from it.

    /usr/bin/python3 models/train/train.py --steps 200                       # smoke run (CPU)
    nohup nice -n 19 /usr/bin/python3 models/train/train.py --resume --steps 60000 \
        > models/train/.work/train.log 2>&1 &                                  # long run
    python3 models/train/train.py --config big --resume --steps 200000        # GPU box, 64 px

Outputs in --work (default models/train/.work/<config>/): ckpt_latest.pt, ema_<step>.pt snapshots,
loss.jsonl (one line per --log-every steps), samples/step_<step>.png (EMA, DDIM 25 steps, CFG 4;
rows: training emoji, then held-out emoji; columns alternate twitter / google).
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import signal
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import CONFIGS, TextEncoder, UNet2DConditionModel, alphas_cumprod, count_params, ddim_sample  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402

CACHE = os.path.join(HERE, ".cache")
TRAIN_PREVIEW = ["grinning face", "red apple", "dog face", "face with tears of joy"]
HELD_OUT_PREVIEW = ["smiling face with open mouth", "thinking face", "polar bear", "victory hand"]


def compose_caption(r: dict, rng: random.Random) -> str:
    """Name (or a short name), skin tone if any, style (80 %), sometimes a short name and the category."""
    main = r["name"] if (not r["short_names"] or rng.random() < 0.7) else rng.choice(r["short_names"])
    parts = [main]
    if r["tone"]:
        parts.append(r["tone"])
    if rng.random() < 0.8:
        parts.append(r["style"])
    if r["short_names"] and rng.random() < 0.2:
        parts.append(rng.choice(r["short_names"]))
    if rng.random() < 0.2:
        parts.append(r["category"])
    return " ".join(parts)


def build_models(cfg: dict, tok: Tokenizer):
    unet = UNet2DConditionModel(cfg)
    te = TextEncoder(cfg, len(tok.vocab), tok.eos_id)
    return unet, te


def learning_rate(step: int, base: float, args) -> float:
    """Warm-up, constant, then a cosine from `base` to `lr_min` over the last `anneal_steps`."""
    lr = base * min(1.0, (step + 1) / args.warmup)
    start = args.steps - args.anneal_steps
    if args.anneal_steps > 0 and step >= start:
        lr_min = base / 10 if args.lr_min is None else args.lr_min
        frac = min(1.0, (step - start) / args.anneal_steps)
        lr = lr_min + (lr - lr_min) * 0.5 * (1 + math.cos(math.pi * frac))
    return lr


def atomic_save(obj, path: str):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


@torch.no_grad()
def stop_on_signals() -> dict:
    """SIGTERM / SIGINT set a flag the training loop checks, so it saves a checkpoint and stops."""
    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True
        print(f"signal {signum}: saving and stopping", flush=True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop


def ema_update(ema, model, decay):
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)


def save_grid(x: torch.Tensor, path: str, ncol: int):
    from PIL import Image

    x = ((x.float().cpu().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    n, h, w, _ = x.shape
    rows = math.ceil(n / ncol)
    grid = np.full((rows * (h + 2), ncol * (w + 2), 3), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, ncol)
        grid[r * (h + 2) + 1 : r * (h + 2) + 1 + h, c * (w + 2) + 1 : c * (w + 2) + 1 + w] = x[i]
    img = Image.fromarray(grid)
    img = img.resize((img.width * 2, img.height * 2), Image.NEAREST)
    tmp = path + ".tmp.png"
    img.save(tmp)
    os.replace(tmp, path)


def preview_prompts():
    out = []
    for name in TRAIN_PREVIEW + HELD_OUT_PREVIEW:
        for style in ("twitter", "google"):
            out.append(f"{name} {style}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="small", choices=sorted(CONFIGS))
    ap.add_argument("--steps", type=int, default=60000, help="total optimizer steps (stop when reached)")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--anneal-steps", type=int, default=0, help="cosine decay over the last N steps before --steps")
    ap.add_argument("--lr-min", type=float, default=None, help="learning rate at --steps (default lr / 10)")
    ap.add_argument("--ema-decay", type=float, default=0.999)
    ap.add_argument("--min-snr", type=float, default=5.0, help="γ of min-SNR weighting; 0 = plain v MSE")
    ap.add_argument("--cfg-drop", type=float, default=0.1)
    ap.add_argument("--flip", action="store_true", help="random h-flips for captions without left/right words")
    ap.add_argument("--work", default=None)
    ap.add_argument("--data", default=CACHE)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--sample-minutes", type=float, default=20.0)
    ap.add_argument("--snapshot-every", type=int, default=5000, help="keep ema_<step>.pt every N steps")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
        torch.set_flush_denormal(True)  # trained weights and Adam moments reach subnormal range: slow on x86
    work = args.work or os.path.join(HERE, ".work", args.config)
    os.makedirs(os.path.join(work, "samples"), exist_ok=True)
    ckpt_path = os.path.join(work, "ckpt_latest.pt")

    state = None
    if args.resume and os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, map_location="cpu")
        cfg, tok_spec = state["cfg"], state["tokenizer"]
        print(f"resuming from {ckpt_path} at step {state['step']}", flush=True)
    else:
        cfg = dict(CONFIGS[args.config])
        with open(os.path.join(args.data, "tokenizer.json")) as f:
            tok_spec = json.load(f)
    if args.batch_size:
        cfg["batch_size"] = args.batch_size
    if args.lr:
        cfg["lr"] = args.lr
    cfg.update(min_snr=args.min_snr, cfg_drop=args.cfg_drop, flip=args.flip, ema_decay=args.ema_decay)
    tok = Tokenizer(tok_spec)
    assert tok.max_length == cfg["max_length"], "tokenizer max_length differs from the config"

    # ---- data -------------------------------------------------------------------------------
    with open(os.path.join(args.data, "dataset.json")) as f:
        meta = json.load(f)
    key = "x32" if cfg["sample_size"] == 32 else "x64"
    images = np.load(os.path.join(args.data, "dataset.npz"))[key]
    train_idx = np.array([i for i, r in enumerate(meta["records"]) if not r["held_out"]])
    records = meta["records"]
    data = torch.from_numpy(images[train_idx]).to(device)  # uint8 [N,3,S,S]
    recs = [records[i] for i in train_idx]
    flippable = torch.tensor(
        [args.flip and not ({"left", "right", "leftwards", "rightwards"} & set((r["name"] + " " + " ".join(r["short_names"])).split()))
         and r["category"] not in ("flags", "symbols") for r in recs],
        device=device,
    )
    print(f"train images {len(recs)} at {cfg['sample_size']} px on {device}; data sha256 {meta['sha256'][:16]}", flush=True)

    # ---- models -----------------------------------------------------------------------------
    torch.manual_seed(args.seed)
    unet, te = build_models(cfg, tok)
    unet.to(device), te.to(device)
    # NHWC convolutions: ~30 % more images/s for this UNet on a 2-core CPU (oneDNN), same numbers.
    unet.to(memory_format=torch.channels_last)
    ema_unet, ema_te = copy.deepcopy(unet).eval(), copy.deepcopy(te).eval()
    for p in list(ema_unet.parameters()) + list(ema_te.parameters()):
        p.requires_grad_(False)
    params = list(unet.parameters()) + list(te.parameters())
    opt = torch.optim.AdamW(params, lr=cfg["lr"], betas=(0.9, 0.99), weight_decay=0.01)
    n_unet, n_te = count_params(unet), count_params(te)
    print(f"params: unet {n_unet:,}  text encoder {n_te:,}  total {n_unet + n_te:,} "
          f"(fp32 {4 * (n_unet + n_te) / 1e6:.1f} MB)", flush=True)

    step, images_seen, elapsed = 0, 0, 0.0
    rng = random.Random(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    if state is not None:
        unet.load_state_dict(state["unet"]), te.load_state_dict(state["text_encoder"])
        ema_unet.load_state_dict(state["ema_unet"]), ema_te.load_state_dict(state["ema_text_encoder"])
        opt.load_state_dict(state["opt"])
        for st in opt.state.values():  # moments follow their parameters' memory format
            for k, v in st.items():
                if torch.is_tensor(v) and v.dim() == 4:
                    st[k] = v.contiguous(memory_format=torch.channels_last)
        step, images_seen, elapsed = state["step"], state["images_seen"], state["elapsed"]
        rng.setstate(state["py_rng"])
        gen.set_state(state["torch_rng"])
        del state

    acp = alphas_cumprod(1000).float()
    sqrt_a, sqrt_1ma = acp.sqrt().to(device), (1 - acp).sqrt().to(device)
    snr = (acp / (1 - acp)).to(device)
    if args.min_snr > 0:
        weight = torch.minimum(snr, torch.full_like(snr, args.min_snr)) / (snr + 1)
    else:
        weight = torch.ones_like(snr)

    def checkpoint(reason: str):
        atomic_save(
            dict(
                cfg=cfg, tokenizer=tok_spec, step=step, images_seen=images_seen, elapsed=elapsed,
                unet=unet.state_dict(), text_encoder=te.state_dict(),
                ema_unet=ema_unet.state_dict(), ema_text_encoder=ema_te.state_dict(),
                opt=opt.state_dict(), py_rng=rng.getstate(), torch_rng=gen.get_state(),
            ),
            ckpt_path,
        )
        print(f"checkpoint step {step} ({reason})", flush=True)

    preview = preview_prompts()
    preview_ids = torch.tensor([tok.encode(p) for p in preview], device=device)
    empty_ids = torch.tensor([tok.encode("")] * len(preview), device=device)

    def sample_grid():
        with torch.no_grad():
            cond, _ = ema_te(preview_ids)
            uncond, _ = ema_te(empty_ids)
            x = ddim_sample(ema_unet, cond, uncond, acp, steps=25, guidance=4.0, size=cfg["sample_size"],
                            generator=torch.Generator().manual_seed(1234))
        path = os.path.join(work, "samples", f"step_{step:07d}.png")
        save_grid(x, path, ncol=8)
        print(f"samples {path}", flush=True)

    stop = stop_on_signals()

    bs = cfg["batch_size"]
    use_amp = device.type == "cuda"
    log = open(os.path.join(work, "loss.jsonl"), "a")
    t_ckpt = t_sample = time.time()
    t_log, seen_log, loss_acc, n_acc = time.time(), 0, 0.0, 0
    unet.train(), te.train()
    while step < args.steps and not stop["flag"]:
        t0 = time.time()
        idx = torch.randint(0, len(recs), (bs,), generator=gen)
        x0 = data[idx.to(device)].float() / 127.5 - 1.0
        if args.flip:
            do = (torch.rand(bs, generator=gen).to(device) < 0.5) & flippable[idx.to(device)]
            x0 = torch.where(do[:, None, None, None], x0.flip(-1), x0)
        caps = ["" if rng.random() < args.cfg_drop else compose_caption(recs[i], rng) for i in idx.tolist()]
        ids = torch.tensor([tok.encode(c) for c in caps], device=device)
        t = torch.randint(0, 1000, (bs,), generator=gen).to(device)
        noise = torch.randn(x0.shape, generator=gen).to(device)
        a, s = sqrt_a[t][:, None, None, None], sqrt_1ma[t][:, None, None, None]
        xt = (a * x0 + s * noise).contiguous(memory_format=torch.channels_last)
        v = a * noise - s * x0
        lr = learning_rate(step, cfg["lr"], args)
        for g in opt.param_groups:
            g["lr"] = lr
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            h, _ = te(ids)
            pred = unet(xt, t.float(), h)
        per = F.mse_loss(pred.float(), v, reduction="none").mean(dim=(1, 2, 3))
        loss = (per * weight[t]).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        decay = min(args.ema_decay, (1 + step) / (10 + step))
        ema_update(ema_unet, unet, decay)
        ema_update(ema_te, te, decay)
        step += 1
        images_seen += bs
        elapsed += time.time() - t0
        loss_acc += per.mean().item()
        n_acc += 1
        seen_log += bs

        if step % args.log_every == 0:
            now = time.time()
            rec = dict(step=step, loss_v=loss_acc / n_acc, img_per_s=seen_log / (now - t_log), lr=lr,
                       images_seen=images_seen, hours=elapsed / 3600, time=int(now))
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(f"step {step} loss_v {rec['loss_v']:.4f} {rec['img_per_s']:.1f} img/s lr {lr:.2e} "
                  f"epochs {images_seen / len(recs):.1f}", flush=True)
            t_log, seen_log, loss_acc, n_acc = now, 0, 0.0, 0
        if args.snapshot_every and step % args.snapshot_every == 0:
            atomic_save(dict(cfg=cfg, tokenizer=tok_spec, step=step, ema_unet=ema_unet.state_dict(),
                             ema_text_encoder=ema_te.state_dict()), os.path.join(work, f"ema_{step:07d}.pt"))
        if time.time() - t_ckpt > args.ckpt_minutes * 60:
            checkpoint("periodic")
            t_ckpt = time.time()
        if time.time() - t_sample > args.sample_minutes * 60:
            sample_grid()
            t_sample = time.time()
            t_log, seen_log = time.time(), 0  # keep img/s honest

    checkpoint("stop" if stop["flag"] else "done")
    if not stop["flag"]:
        sample_grid()
    log.close()


if __name__ == "__main__":
    main()
