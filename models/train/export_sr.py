#!/usr/bin/python3
"""Export an emoji super-resolution model to ONNX in the diffusers pack layout (`emoji-sr-64`, or
`emoji-sr-x4` from a `--config x4` checkpoint: the pack name and factor come from the checkpoint).

    /usr/bin/python3 models/train/export_sr.py                 # .work/sr/ckpt_latest.pt, EMA weights
    /usr/bin/python3 models/train/export_sr.py --ckpt models/train/.work/sr-x4/ckpt_latest.pt

Layout written under --out (default models/packs/<pack name>/):
    model_index.json                       components; driftline.upscale_factor (2 or 4), degradation
    unet/model.onnx, unet/config.json
    scheduler/scheduler_config.json        DDIMScheduler, squaredcos_cap_v2, v_prediction, trailing
    low_res_scheduler/scheduler_config.json  DDPMScheduler, linear β 1e−4…0.02 (conditioning noise)
    test_vectors/*.npy + manifest.json     inputs and PyTorch outputs (ONNX-vs-PyTorch test) and eight
                                           held-out emoji at 64/f and 64 px (pipeline tests)
    calibration/ is not touched: calibration_sets.py writes it
    LICENSES.md                            emoji-32's attributions, for this pack

There is no text encoder, tokenizer or VAE (`model_index.json` lists them as [null, null]).

ONNX contract (opset 17; batch, height and width dynamic; height, width multiples of 4):
    sample                float32 [batch, 6, height, width]  = noisy image ‖ conditioning, RGB in [−1, 1]
    timestep              float32 [batch]                    0…999, may be fractional
    encoder_hidden_states float32 [batch, sequence, 128]     ignored (any values; the engine sends zeros)
    class_labels          float32 [batch]                    conditioning noise level 0…999
    → out_sample          float32 [batch, 3, height, width]  v-prediction
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from export import SCHEDULER_CONFIG, write_json  # noqa: E402
from sr_model import SRUNet, count_params, low_res_alphas_cumprod, make_condition  # noqa: E402
from train_sr import load_split  # noqa: E402

OPSET = 17
# Held-out emoji stored as test vectors for the engine's pipeline test (both styles, no skin tone).
TEST_EMOJI = ["smiling face with open mouth", "thinking face", "polar bear", "victory hand"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", default=os.path.join(HERE, ".work", "sr", "ckpt_latest.pt"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--raw", action="store_true", help="export the raw weights instead of the EMA")
    args = ap.parse_args()
    torch.set_num_threads(1)

    state = torch.load(args.ckpt, map_location="cpu")
    cfg = state["cfg"]
    unet = SRUNet(cfg).eval()
    use_ema = not args.raw and "ema_unet" in state
    unet.load_state_dict(state["ema_unet"] if use_ema else state["unet"])
    out = args.out or os.path.join(REPO, "models", "packs", cfg["pack_name"])
    D, f = cfg["cross_attention_dim"], cfg["upscale_factor"]
    print(f"exporting step {state['step']} ({'EMA' if use_ema else 'raw'}) to {out}")

    # ---- test vectors ----------------------------------------------------------------------
    x64, x32, recs, _ = load_split(os.path.join(HERE, ".cache"), held_out=True, factor=f)
    lo = cfg["low_res_size"]
    picked = [next(i for i, r in enumerate(recs) if (r["name"], r["style"], r["tone"]) == (name, style, ""))
              for name in TEST_EMOJI for style in ("twitter", "google")]
    k = picked[0]
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        low = torch.from_numpy(x32[k : k + 1]).float().repeat(3, 1, 1, 1) / 127.5 - 1
        levels = torch.tensor([20, 0, 250])
        cond = make_condition(low, levels, torch.randn(low.shape, generator=g), low_res_alphas_cumprod(), f)
        sample = torch.cat([torch.randn(3, 3, 64, 64, generator=g), cond], dim=1)
        timestep = torch.tensor([999.0, 500.0, 37.5])
        context = torch.randn(3, 1, D, generator=g)
        class_labels = levels.float()
        out_sample = unet(sample, timestep, context, class_labels)
    vectors = {
        "unet.sample": sample.numpy(),
        "unet.timestep": timestep.numpy(),
        "unet.encoder_hidden_states": context.numpy(),
        "unet.class_labels": class_labels.numpy(),
        "unet.out_sample": out_sample.numpy(),
        f"image.low_res_{lo}": x32[picked],  # uint8 [8, 3, lo, lo], held-out emoji (split.json), f×f area average
        "image.high_res_64": x64[picked],  # uint8 [8, 3, 64, 64], the same emoji (ground truth)
    }

    # ---- ONNX ------------------------------------------------------------------------------
    for sub in ("unet", "scheduler", "low_res_scheduler", "test_vectors"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            unet,
            (sample[:2], timestep[:2], context[:2], class_labels[:2]),
            os.path.join(out, "unet", "model.onnx"),
            input_names=["sample", "timestep", "encoder_hidden_states", "class_labels"],
            output_names=["out_sample"],
            dynamic_axes={
                "sample": {0: "batch", 2: "height", 3: "width"},
                "timestep": {0: "batch"},
                "encoder_hidden_states": {0: "batch", 1: "sequence"},
                "class_labels": {0: "batch"},
                "out_sample": {0: "batch", 2: "height", 3: "width"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
        )
    import onnx

    m = onnx.load(os.path.join(out, "unet", "model.onnx"))
    onnx.checker.check_model(m)
    names = [i.name for i in m.graph.input]
    assert names == ["sample", "timestep", "encoder_hidden_states", "class_labels"], names
    m.doc_string = f"Driftline {cfg['pack_name']} unet, training step {state['step']}"
    onnx.save(m, os.path.join(out, "unet", "model.onnx"))

    manifest = {}
    for name, arr in vectors.items():
        np.save(os.path.join(out, "test_vectors", f"{name}.npy"), arr)
        manifest[name] = dict(file=f"{name}.npy", dtype=str(arr.dtype), shape=list(arr.shape))
    write_json(os.path.join(out, "test_vectors", "manifest.json"), dict(
        step=state["step"], weights="ema" if use_ema else "raw", held_out_emoji=[f"{recs[i]['name']} ({recs[i]['style']})" for i in picked],
        tolerance_note="fp32 CPU; expect max |onnx − torch| below ~1e-4", arrays=manifest))

    # ---- configs ---------------------------------------------------------------------------
    write_json(os.path.join(out, "unet", "config.json"), {
        "_class_name": "UNet2DConditionModel",
        "sample_size": cfg["sample_size"],
        "in_channels": cfg["in_channels"],
        "out_channels": cfg["out_channels"],
        "down_block_types": ["DownBlock2D"] * len(cfg["block_out_channels"]),
        "mid_block_type": "UNetMidBlock2D",
        "up_block_types": ["UpBlock2D"] * len(cfg["block_out_channels"]),
        "block_out_channels": cfg["block_out_channels"],
        "layers_per_block": cfg["layers_per_block"],
        "norm_num_groups": cfg["norm_num_groups"],
        "norm_eps": 1e-5,
        "act_fn": "silu",
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "cross_attention_dim": D,
        "class_embed_type": "timestep",
        "class_labels_dtype": "float32",
        "max_noise_level": cfg["max_noise_level"],
        "timestep_input_dtype": "float32",
        "prediction_type": "v_prediction",
        "pixel_space": True,
        "upscale_factor": f,
        "low_res_upsampling": "bilinear, half-pixel centres, edges clamped (torch align_corners=False)",
        "encoder_hidden_states": "ignored",
    })
    write_json(os.path.join(out, "scheduler", "scheduler_config.json"), SCHEDULER_CONFIG)
    write_json(os.path.join(out, "low_res_scheduler", "scheduler_config.json"), {
        "_class_name": "DDPMScheduler",
        "num_train_timesteps": 1000,
        "beta_schedule": "linear",
        "beta_start": 0.0001,
        "beta_end": 0.02,
        "prediction_type": "epsilon",
        "clip_sample": False,
    })
    write_json(os.path.join(out, "model_index.json"), {
        "_class_name": "DriftlinePixelUpscalePipeline",
        "_diffusers_version": "0.27.0",
        "unet": ["diffusers", "OnnxRuntimeModel"],
        "scheduler": ["diffusers", "DDIMScheduler"],
        "low_res_scheduler": ["diffusers", "DDPMScheduler"],
        "text_encoder": [None, None],
        "tokenizer": [None, None],
        "vae": [None, None],
        "vae_encoder": [None, None],
        "vae_decoder": [None, None],
        "safety_checker": [None, None],
        "feature_extractor": [None, None],
        "requires_safety_checker": False,
        "max_noise_level": cfg["max_noise_level"],
        "driftline": {
            "pack": cfg["pack_name"],
            "pixel_space": True,
            "upscale_factor": f,
            "sample_size": cfg["sample_size"],
            "low_res_size": cfg["low_res_size"],
            "value_range": [-1, 1],
            "default_noise_level": 0,
            "degradation": {"kind": "area", "factor": f, "note": f"{f}x{f} box average of the 8-bit image, rounded to 8 bits"},
            "default_steps": 10,
            "training_step": state["step"],
            "parameters": {"unet": count_params(unet)},
        },
    })
    with open(os.path.join(REPO, "models", "packs", "emoji-32", "LICENSES.md")) as fsrc:
        lic = fsrc.read()
    lic = lic.replace("— emoji-32", f"— {cfg['pack_name']}").replace(
        "to\n32×32 pixels, then used as training data for this diffusion model.",
        f"to\n{lo}×{lo} pixels (the inputs), with the 64×64 images as targets, then used as training data for\nthis super-resolution diffusion model.")
    with open(os.path.join(out, "LICENSES.md"), "w") as fdst:
        fdst.write(lic)

    total = 0
    for root, _, files in os.walk(out):
        for fn in files:
            total += os.path.getsize(os.path.join(root, fn))
    print(f"done: {total / 1e6:.1f} MB in {out}")


if __name__ == "__main__":
    main()
