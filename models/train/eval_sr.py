#!/usr/bin/python3
"""PSNR and SSIM of an emoji super-resolution model on the held-out emoji, against bicubic.

    /usr/bin/python3 models/train/eval_sr.py [--steps 10] [--noise-level 20] [--limit N]
    /usr/bin/python3 models/train/eval_sr.py --ckpt models/train/.work/sr-x4/ckpt_latest.pt   # emoji-sr-x4

For each held-out image (split.json; 412 images: 96 base emoji in both styles with their skin
tones): the low-resolution input (f×f area average of the 64 px image: the dataset's x32 for
f = 2, 16 px for f = 4; f from the checkpoint), upscaled to 64 px by (a) PIL bicubic, (b) PIL
bilinear, (c) the model, compared with the true 64 px image.

The model runs through onnxruntime on the exported pack when Python has it, else through the
PyTorch model (EMA weights of the checkpoint the pack was exported from) with the sampler the
engine runs for this pack's scheduler config: DDIM (η = 0), `trailing` spacing, v-prediction,
`set_alpha_to_one: false` (the last step lands on ᾱ_0), seeds per batch, conditioning noise
level 0 (the pack's `default_noise_level`, which the engine uses when a request names none),
encoder_hidden_states = zeros [B, 1, 128].

Metrics on uint8 RGB (the PNG the engine writes): PSNR = 10 log10(255² / MSE) per image, averaged;
SSIM (Wang et al. 2004) with an 11×11 Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03, L = 255,
'valid' windows, per channel, averaged over channels, then images. numpy only.

The numbers go to models/packs/<pack>/evaluation.json (section `sr`, eval_report.py), which the
README quotes; `--no-report` leaves it alone. `--from-json FILE` writes that report from an earlier
run's `--json` output instead of evaluating again (its `source` says so).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from model import alphas_cumprod  # noqa: E402
from sr_model import SRUNet, low_res_alphas_cumprod, make_condition  # noqa: E402
from train_sr import load_split  # noqa: E402
from eval_report import HELD_OUT_SPLIT, write_report  # noqa: E402


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


def _gauss_filter(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Separable 'valid' correlation of a 2-D array with the 1-D kernel k along both axes."""
    n = len(k)
    h = sum(k[i] * x[:, i : x.shape[1] - n + 1 + i] for i in range(n))
    return sum(k[i] * h[i : h.shape[0] - n + 1 + i, :] for i in range(n))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """a, b uint8 [3, H, W] → mean SSIM over channels."""
    g = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5**2))
    g /= g.sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    vals = []
    for ch in range(a.shape[0]):
        x, y = a[ch].astype(np.float64), b[ch].astype(np.float64)
        mx, my = _gauss_filter(x, g), _gauss_filter(y, g)
        sxx = _gauss_filter(x * x, g) - mx * mx
        syy = _gauss_filter(y * y, g) - my * my
        sxy = _gauss_filter(x * y, g) - mx * my
        m = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
        vals.append(m.mean())
    return float(np.mean(vals))


def pil_resize(low: np.ndarray, method) -> np.ndarray:
    img = Image.fromarray(low.transpose(1, 2, 0)).resize((64, 64), method)
    return np.asarray(img).transpose(2, 0, 1)


@torch.no_grad()
def ddim_engine(unet, low: torch.Tensor, level: int, steps: int, seed: int, factor: int = 2) -> torch.Tensor:
    """DDIM η=0, trailing, v-prediction, set_alpha_to_one=False; low [B,3,64/f,64/f] in [−1,1] → [B,3,64,64]."""
    acp = alphas_cumprod(1000).float()
    b = low.shape[0]
    g = torch.Generator().manual_seed(seed)
    cond = make_condition(low, torch.full((b,), level), torch.randn(low.shape, generator=g), low_res_alphas_cumprod(), factor)
    x = torch.randn(b, 3, 64, 64, generator=g)
    ctx = torch.zeros(b, 1, 128)
    cl = torch.full((b,), float(level))
    ts = [int(round(1000 - i * 1000 / steps)) - 1 for i in range(steps)]
    for i, t in enumerate(ts):
        a = acp[t]
        a_prev = acp[ts[i + 1]] if i + 1 < steps else acp[0]
        v = unet(torch.cat([x, cond], dim=1), torch.full((b,), float(t)), ctx, cl)
        x0 = a.sqrt() * x - (1 - a).sqrt() * v
        eps = (1 - a).sqrt() * x + a.sqrt() * v
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return x


def to_uint8(x: torch.Tensor) -> np.ndarray:
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", default=os.path.join(HERE, ".work", "sr", "ckpt_latest.pt"))
    ap.add_argument("--raw", action="store_true", help="raw weights instead of the EMA")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--noise-level", type=int, default=0, help="conditioning noise level (the pack's default_noise_level is 0)")
    ap.add_argument("--limit", type=int, default=0, help="evaluate the first N held-out images only")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default=None, help="also write the numbers to this file")
    ap.add_argument("--no-report", action="store_true", help="do not write models/packs/<pack>/evaluation.json")
    ap.add_argument("--from-json", default=None, help="write the pack's report from this earlier --json output; evaluate nothing")
    args = ap.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            summary = json.load(f)
        report(summary, source=f"regenerated from an earlier run's output ({os.path.basename(args.from_json)}, "
                               f"written {file_date(args.from_json)}); not evaluated again", date=file_date(args.from_json))
        return
    torch.set_num_threads(args.threads)

    state = torch.load(args.ckpt, map_location="cpu")
    factor = state["cfg"]["upscale_factor"]
    x64, x32, recs, _ = load_split(os.path.join(HERE, ".cache"), held_out=True, factor=factor)
    assert all(r["held_out"] for r in recs)
    if args.limit:
        x64, x32 = x64[: args.limit], x32[: args.limit]
    n = len(x64)

    try:
        import onnxruntime  # noqa: F401

        runner = "onnxruntime"  # not wired up: Debian's Python has no onnxruntime; see the docstring
        raise ImportError
    except ImportError:
        runner = "pytorch"
    unet = SRUNet(state["cfg"]).eval()
    unet.load_state_dict(state["ema_unet"] if not args.raw else state["unet"])

    t0 = time.time()
    outs = []
    for s in range(0, n, args.batch):
        low = torch.from_numpy(x32[s : s + args.batch]).float() / 127.5 - 1
        outs.append(to_uint8(ddim_engine(unet, low, args.noise_level, args.steps, seed=s, factor=factor)))
    model = np.concatenate(outs)
    secs = time.time() - t0

    res = {}
    for name, pred in (("bicubic", np.stack([pil_resize(x, Image.BICUBIC) for x in x32])),
                       ("bilinear", np.stack([pil_resize(x, Image.BILINEAR) for x in x32])),
                       ("model", model)):
        res[name] = dict(psnr=float(np.mean([psnr(p, t) for p, t in zip(pred, x64)])),
                         ssim=float(np.mean([ssim(p, t) for p, t in zip(pred, x64)])))
    summary = dict(pack=state["cfg"]["pack_name"], images=n, runner=runner, sampler=f"DDIM eta=0 trailing, {args.steps} steps", noise_level=args.noise_level,
                   training_step=state["step"], weights="raw" if args.raw else "ema", seconds=round(secs, 1), **res,
                   gain_psnr_vs_bicubic=res["model"]["psnr"] - res["bicubic"]["psnr"],
                   gain_ssim_vs_bicubic=res["model"]["ssim"] - res["bicubic"]["ssim"])
    print(json.dumps(summary, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    if not args.no_report and not args.limit:
        report(summary, source="this run")


def file_date(path: str) -> str:
    """A file's modification time, UTC, ISO 8601."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.path.getmtime(path)))


def report(summary: dict, source: str, date: str | None = None) -> None:
    """The `sr` section of the pack's evaluation.json: the summary as printed, rounded for reading."""
    numbers = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in summary.items()}
    for name in ("bicubic", "bilinear", "model"):
        numbers[name] = {m: round(v, 4) for m, v in summary[name].items()}
    write_report(summary["pack"], "sr", numbers, split=HELD_OUT_SPLIT + f"; {summary['images']} images evaluated",
                 source=source, date=date)


if __name__ == "__main__":
    main()
