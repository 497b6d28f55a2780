"""The emoji super-resolution model (pack `emoji-sr-64`, 32 → 64 px), in plain torch.

Laid out like the Stable Diffusion x4 upscaler (Saharia et al. 2022, "Image Super-Resolution via
Iterative Refinement"; diffusers' StableDiffusionUpscalePipeline), but in pixel space (no VAE):

    sample = [x_t (3 ch, the noisy 64 px image) ‖ c (3 ch)]   → v-prediction (3 ch)
    c      = up₂( √ᾱ'_n · y + √(1 − ᾱ'_n) · z )                y: the 32 px image in [−1, 1]
    class_labels = n (noise level 0…999, float32 [B])          z ~ N(0, I) at 32 px

where ᾱ'_n = Π_{i≤n} (1 − β'_i), β'_i = 1e−4 + (0.02 − 1e−4)·i/999 (the low-res schedule the
engine's upscale path uses), and up₂ is bilinear interpolation with half-pixel centres
(`F.interpolate(mode="bilinear", align_corners=False)`, edge pixels clamped) — for a factor of 2
each output pixel is 0.75·nearest + 0.25·next along each axis, which the engine reproduces exactly.
The noise level is noise augmentation of the conditioning (as in the x4 upscaler): the model is
trained on random levels and told which one it got.

Main schedule: `squaredcos_cap_v2`, T = 1000, v = √ᾱ_t ε − √(1−ᾱ_t) x₀ (model.py).

UNet: diffusers `UNet2DConditionModel` names for the parts it has —
    conv_in, time_proj, time_embedding.{linear_1,linear_2},
    class_embedding.{linear_1,linear_2}      (class_embed_type="timestep": emb += MLP(sinusoid(n)))
    down_blocks.{i}.resnets.0, down_blocks.{i}.downsamplers.0.conv   (DownBlock2D)
    mid_block.resnets.{0,1}                   (UNetMidBlock2D without attention)
    up_blocks.{i}.resnets.{0,1}, up_blocks.{i}.upsamplers.0.conv     (UpBlock2D)
    conv_norm_out, conv_out
— no attention: at 32 → 64 px the receptive field of three levels (64/32/16 px) covers the image.
Output parameterisation (preconditioning in the manner of Karras et al. 2022, "EDM", §5, applied
to the residual r = x₀ − c, whose scale s(n) is small): with α = √ᾱ_t, σ = √(1−ᾱ_t),
y = x_t − α c = α r + σ ε and F the network's last conv,

    r̂ = c_skip y + c_out F,   c_skip = α s² / (α² s² + σ²),   c_out = s σ / √(α² s² + σ²)
    x̂₀ = c + r̂,   out_sample = v̂ = (α x_t − x̂₀) / σ                      (the v-prediction)

c_skip y is the best linear estimate of r from y for r ~ N(0, s²) and c_out its error scale, so F
has a unit-scale target at every t; conv_out starts at zero, i.e. at that linear estimate. The
loss ‖(x̂₀ − x₀)/c_out‖² equals the v MSE weighted by σ²/c_out². ᾱ_t inside the graph is the
closed form of the discrete cosine schedule, ᾱ_t = f((t+1)/T)/f(0) (exact wherever β is not
clipped), so fractional timesteps work too.

`encoder_hidden_states` [B, L, D] is accepted and ignored (the pack has no text encoder; the
engine passes zeros [B, 1, D]). It stays a graph input because the network touches it through a
zero-weight term that keeps it in the ONNX graph without changing any output value for finite input.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from model import DownBlock, ResnetBlock2D, TimestepEmbedding, Timesteps, UpBlock, cosine_betas  # noqa: F401

SR_CONFIG = dict(
    pack_name="emoji-sr-64",
    low_res_size=32,
    sample_size=64,
    upscale_factor=2,
    in_channels=6,
    out_channels=3,
    block_out_channels=[32, 48, 64],
    layers_per_block=1,
    norm_num_groups=8,
    cross_attention_dim=128,  # width of the (ignored) encoder_hidden_states; matches emoji-32
    max_noise_level=350,  # noise levels used in training: 0 … max_noise_level
    batch_size=16,
    lr=1e-3,
    residual_base=0.08,  # s(0): RMS of x₀ − up(y) on the training set (residual_std)
)

# `emoji-sr-x4` (16 → 64 px): the same layout and recipe, 4×4 area-averaged inputs. The bilinear
# error of a 4× upsampling is larger (RMS 0.19 on the training set vs 0.10 at 2×), hence its residual scale.
SR_X4_CONFIG = dict(SR_CONFIG, pack_name="emoji-sr-x4", low_res_size=16, upscale_factor=4, residual_base=0.19)

SR_CONFIGS = {"x2": SR_CONFIG, "x4": SR_X4_CONFIG}


def low_res_alphas_cumprod() -> torch.Tensor:
    """ᾱ'_n for the conditioning noise: linear β from 1e−4 to 0.02 over 1000 steps, float64 [1000]."""
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    return torch.cumprod(1.0 - betas, dim=0)


def upsample(y: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Bilinear, half-pixel centres, edges clamped: what the engine's `upsampleBilinear` computes."""
    return F.interpolate(y, scale_factor=float(factor), mode="bilinear", align_corners=False)


def make_condition(y: torch.Tensor, level: torch.Tensor, z: torch.Tensor, acp_low: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Noise the low-res image y [B,3,h,w] to level n [B] (int) with z, then upsample: [B,3,fh,fw]."""
    a = acp_low.to(y.device)[level].float()[:, None, None, None]
    return upsample(a.sqrt() * y + (1 - a).sqrt() * z, factor)


class SRUNet(nn.Module):
    """sample [B,6,H,W], timestep [B] (float), encoder_hidden_states [B,L,D] (ignored),
    class_labels [B] (float noise level) → v [B,3,H,W]. H, W multiples of 4."""

    def __init__(self, cfg: dict):
        super().__init__()
        ch = cfg["block_out_channels"]
        groups, layers = cfg["norm_num_groups"], cfg["layers_per_block"]
        temb = ch[0] * 4
        self.residual_base = float(cfg.get("residual_base", 0.08))
        self.conv_in = nn.Conv2d(cfg["in_channels"], ch[0], 3, padding=1)
        self.time_proj = Timesteps(ch[0])
        self.time_embedding = TimestepEmbedding(ch[0], temb)
        self.class_embedding = TimestepEmbedding(ch[0], temb)

        self.down_blocks = nn.ModuleList()
        cout = ch[0]
        for i in range(len(ch)):
            cin, cout = cout, ch[i]
            self.down_blocks.append(DownBlock(cin, cout, temb, layers, False, i < len(ch) - 1, None, 1, groups))
        self.mid_block = nn.Module()
        self.mid_block.resnets = nn.ModuleList([ResnetBlock2D(ch[-1], ch[-1], temb, groups), ResnetBlock2D(ch[-1], ch[-1], temb, groups)])

        rev = list(reversed(ch))
        self.up_blocks = nn.ModuleList()
        cout = rev[0]
        for i in range(len(ch)):
            prev, cout = cout, rev[i]
            cin = rev[min(i + 1, len(ch) - 1)]
            self.up_blocks.append(UpBlock(cin, cout, prev, temb, layers, False, i < len(ch) - 1, None, 1, groups))
        self.conv_norm_out = nn.GroupNorm(groups, ch[0], eps=1e-5)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(ch[0], cfg["out_channels"], 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, sample, timestep, encoder_hidden_states, class_labels, return_x0: bool = False):
        temb = self.time_embedding(self.time_proj(timestep)) + self.class_embedding(self.time_proj(class_labels))
        # Keeps encoder_hidden_states a graph input; adds exactly 0 for any finite context.
        temb = temb + 0.0 * encoder_hidden_states[:, :1, :1].sum(dim=(1, 2))[:, None]
        x = self.conv_in(sample)
        skips = [x]
        for blk in self.down_blocks:
            x, states = blk(x, temb, None)
            skips.extend(states)
        x = self.mid_block.resnets[1](self.mid_block.resnets[0](x, temb), temb)
        for blk in self.up_blocks:
            x = blk(x, skips, temb, None)
        F_ = self.conv_out(self.conv_act(self.conv_norm_out(x)))
        x_t, c = sample[:, :3], sample[:, 3:6]
        alpha, sigma = alpha_sigma(timestep)
        s = residual_std(class_labels, self.residual_base)[:, None, None, None]
        d = alpha**2 * s**2 + sigma**2
        c_out = s * sigma / d.sqrt()
        x0 = c + (alpha * s**2 / d) * (x_t - alpha * c) + c_out * F_
        v = (alpha * x_t - x0) / sigma
        return (v, x0, c_out) if return_x0 else v


def alpha_sigma(t: torch.Tensor):
    """(√ᾱ_t, √(1−ᾱ_t)) [B,1,1,1] with ᾱ_t = f((t+1)/1000)/f(0), f(u) = cos²((u + 0.008)/1.008 · π/2)."""
    f0 = math.cos(0.008 / 1.008 * math.pi / 2) ** 2
    u = (t.float() + 1.0) / 1000.0
    abar = (torch.cos((u + 0.008) / 1.008 * (math.pi / 2)) ** 2 / f0).clamp(0.0, 1.0 - 1e-8)[:, None, None, None]
    return abar.sqrt(), (1.0 - abar).sqrt()


def residual_std(n: torch.Tensor, base: float = 0.08) -> torch.Tensor:
    """s(n): rough scale of x₀ − c at conditioning noise level n [B] (float): `base` for the bilinear
    error (0.08 at 2×: 27.9 dB on the training set; 0.19 at 4×), plus the shrink and the upsampled noise of the augmentation
    (ᾱ'_n ≈ exp(−Σβ'), upsampling keeps ~0.4 of the noise variance, E[y²] ≈ 0.7)."""
    n = n.float()
    abar = torch.exp(-((n + 1) * 1e-4 + (0.02 - 1e-4) * n * (n + 1) / (2 * 999)))
    return (base**2 + 0.7 * (1 - abar.sqrt()) ** 2 + 0.4 * (1 - abar)).sqrt()


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
