"""Models for the emoji text-to-image packs, in plain torch (diffusers is not a dependency).

The UNet reproduces the module tree and wiring of diffusers' UNet2DConditionModel (the Stable
Diffusion UNet), so that graph surgery written against SD exports (self-attention K/V recording and
injection in `attn1.to_k` / `attn1.to_v`) finds the same names here:

    conv_in, time_proj, time_embedding.{linear_1,linear_2},
    down_blocks.{i}.resnets.{j}.{norm1,conv1,time_emb_proj,norm2,conv2,conv_shortcut},
    down_blocks.{i}.attentions.{j}.{norm,proj_in,transformer_blocks.{k},proj_out},
      transformer_blocks.{k}.{norm1,attn1,norm2,attn2,norm3,ff.net.0.proj,ff.net.2},
      attn{1,2}.{to_q,to_k,to_v,to_out.0},
    down_blocks.{i}.downsamplers.0.conv, mid_block.{resnets.0,attentions.0,resnets.1},
    up_blocks.{i}.{resnets,attentions,upsamplers.0.conv}, conv_norm_out, conv_out.

The text encoder follows CLIPTextModel's names (token_embedding, position_embedding,
encoder.layers.{i}.{self_attn.{q,k,v,out}_proj,layer_norm1,mlp.fc1,mlp.fc2,layer_norm2},
final_layer_norm) with a causal mask, so padding after [EOS] never changes earlier tokens.

Noise schedule: discrete VP with `squaredcos_cap_v2` betas (Nichol & Dhariwal 2021, eq. 17):
    ᾱ(t) = cos²(((t/T) + s)/(1 + s) · π/2),  β_i = min(1 − ᾱ((i+1)/T)/ᾱ(i/T), 0.999),  s = 0.008,
    x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε,   v = √ᾱ_t ε − √(1−ᾱ_t) x₀   (Salimans & Ho 2022, v-prediction).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# --------------------------------------------------------------------------------------------
# Configurations. `small` is the CPU-trainable default pack (emoji-32); `big` is for a GPU box.
# --------------------------------------------------------------------------------------------
CONFIGS = {
    "small": dict(
        pack_name="emoji-32",
        sample_size=32,
        block_out_channels=[32, 64, 96],
        down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
        up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
        layers_per_block=1,
        attention_head_dim=32,  # channels per head (heads = channels / 32)
        norm_num_groups=8,
        cross_attention_dim=128,
        text_width=128,
        text_layers=2,
        text_heads=4,
        max_length=16,
        batch_size=32,
        lr=4e-4,
    ),
    "big": dict(
        pack_name="emoji-64",
        sample_size=64,
        block_out_channels=[64, 128, 256, 256],
        down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
        up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
        layers_per_block=2,
        attention_head_dim=32,
        norm_num_groups=32,
        cross_attention_dim=256,
        text_width=256,
        text_layers=4,
        text_heads=4,
        max_length=16,
        batch_size=128,
        lr=2e-4,
    ),
}


# --------------------------------------------------------------------------------------------
# Schedule
# --------------------------------------------------------------------------------------------
def cosine_betas(num_train_timesteps: int = 1000, max_beta: float = 0.999) -> torch.Tensor:
    """`squaredcos_cap_v2` betas, float64 [T] (Nichol & Dhariwal 2021, eq. 17, clipped at 0.999)."""

    def alpha_bar(t: float) -> float:
        return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2

    betas = []
    for i in range(num_train_timesteps):
        t1, t2 = i / num_train_timesteps, (i + 1) / num_train_timesteps
        betas.append(min(1 - alpha_bar(t2) / alpha_bar(t1), max_beta))
    return torch.tensor(betas, dtype=torch.float64)


def alphas_cumprod(num_train_timesteps: int = 1000) -> torch.Tensor:
    """ᾱ_t = Π_{i≤t} (1 − β_i), float64 [T]."""
    return torch.cumprod(1.0 - cosine_betas(num_train_timesteps), dim=0)


# --------------------------------------------------------------------------------------------
# UNet building blocks (diffusers names)
# --------------------------------------------------------------------------------------------
def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding [B] → [B, dim], cos first (flip_sin_to_cos=True, freq shift 0)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class Timesteps(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, t):
        return timestep_embedding(t, self.dim)


class TimestepEmbedding(nn.Module):
    def __init__(self, in_dim: int, dim: int):
        super().__init__()
        self.linear_1 = nn.Linear(in_dim, dim)
        self.act = nn.SiLU()
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x):
        return self.linear_2(self.act(self.linear_1(x)))


class ResnetBlock2D(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int, groups: int, eps: float = 1e-5):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps)
        self.dropout = nn.Dropout(0.0)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.nonlinearity = nn.SiLU()
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(self.nonlinearity(self.norm1(x)))
        h = h + self.time_emb_proj(self.nonlinearity(temb))[:, :, None, None]
        h = self.conv2(self.dropout(self.nonlinearity(self.norm2(h))))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return x + h


class Attention(nn.Module):
    """Multi-head attention with diffusers' projection names. Self-attention when context is None."""

    def __init__(self, dim: int, context_dim: int | None, heads: int):
        super().__init__()
        context_dim = context_dim or dim
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(context_dim, dim, bias=False)
        self.to_v = nn.Linear(context_dim, dim, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(dim, dim), nn.Dropout(0.0)])

    def forward(self, x, context=None):
        ctx = x if context is None else context
        b, n, c = x.shape
        h = self.heads
        q = self.to_q(x).reshape(b, -1, h, c // h).transpose(1, 2)
        k = self.to_k(ctx).reshape(b, -1, h, c // h).transpose(1, 2)
        v = self.to_v(ctx).reshape(b, -1, h, c // h).transpose(1, 2)
        w = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * self.scale, dim=-1)
        out = torch.matmul(w, v).transpose(1, 2).reshape(b, -1, c)
        return self.to_out[1](self.to_out[0](out))


class GEGLU(nn.Module):
    def __init__(self, dim: int, inner: int):
        super().__init__()
        self.proj = nn.Linear(dim, inner * 2)

    def forward(self, x):
        a, gate = self.proj(x).chunk(2, dim=-1)
        return a * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim: int, mult: int = 4):
        super().__init__()
        self.net = nn.ModuleList([GEGLU(dim, dim * mult), nn.Dropout(0.0), nn.Linear(dim * mult, dim)])

    def forward(self, x):
        for m in self.net:
            x = m(x)
        return x


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim: int, context_dim: int, heads: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, None, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, context_dim, heads)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim)

    def forward(self, x, context):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        return self.ff(self.norm3(x)) + x


class Transformer2DModel(nn.Module):
    """GroupNorm → 1×1 conv proj_in → transformer blocks over H·W tokens → 1×1 proj_out, residual."""

    def __init__(self, dim: int, context_dim: int, heads: int, groups: int, depth: int = 1):
        super().__init__()
        self.norm = nn.GroupNorm(groups, dim, eps=1e-6)
        self.proj_in = nn.Conv2d(dim, dim, 1)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(dim, context_dim, heads) for _ in range(depth)])
        self.proj_out = nn.Conv2d(dim, dim, 1)

    def forward(self, x, context):
        b, c, hh, ww = x.shape
        res = x
        h = self.proj_in(self.norm(x))
        h = h.permute(0, 2, 3, 1).reshape(b, hh * ww, c)
        for blk in self.transformer_blocks:
            h = blk(h, context)
        h = h.reshape(b, hh, ww, c).permute(0, 3, 1, 2)
        return self.proj_out(h) + res


class Downsample2D(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class DownBlock(nn.Module):
    """DownBlock2D (attn=False) or CrossAttnDownBlock2D (attn=True)."""

    def __init__(self, cin, cout, temb, layers, attn, add_down, ctx_dim, head_dim, groups):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if j == 0 else cout, cout, temb, groups) for j in range(layers)])
        self.attentions = (
            nn.ModuleList([Transformer2DModel(cout, ctx_dim, cout // head_dim, groups) for _ in range(layers)])
            if attn
            else None
        )
        self.downsamplers = nn.ModuleList([Downsample2D(cout)]) if add_down else None

    def forward(self, x, temb, context):
        states = []
        for j, res in enumerate(self.resnets):
            x = res(x, temb)
            if self.attentions is not None:
                x = self.attentions[j](x, context)
            states.append(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
            states.append(x)
        return x, states


class UpBlock(nn.Module):
    """UpBlock2D (attn=False) or CrossAttnUpBlock2D (attn=True); consumes layers+1 skip states."""

    def __init__(self, cin, cout, prev, temb, layers, attn, add_up, ctx_dim, head_dim, groups):
        super().__init__()
        n = layers + 1
        self.resnets = nn.ModuleList(
            [
                ResnetBlock2D((prev if j == 0 else cout) + (cin if j == n - 1 else cout), cout, temb, groups)
                for j in range(n)
            ]
        )
        self.attentions = (
            nn.ModuleList([Transformer2DModel(cout, ctx_dim, cout // head_dim, groups) for _ in range(n)])
            if attn
            else None
        )
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if add_up else None

    def forward(self, x, skips, temb, context):
        for j, res in enumerate(self.resnets):
            x = res(torch.cat([x, skips.pop()], dim=1), temb)
            if self.attentions is not None:
                x = self.attentions[j](x, context)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class UNetMidBlock2DCrossAttn(nn.Module):
    def __init__(self, c, temb, ctx_dim, head_dim, groups):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(c, c, temb, groups), ResnetBlock2D(c, c, temb, groups)])
        self.attentions = nn.ModuleList([Transformer2DModel(c, ctx_dim, c // head_dim, groups)])

    def forward(self, x, temb, context):
        x = self.resnets[0](x, temb)
        x = self.attentions[0](x, context)
        return self.resnets[1](x, temb)


class UNet2DConditionModel(nn.Module):
    """sample [B,3,H,W], timestep [B] (float, 0…T−1), encoder_hidden_states [B,L,D] → v [B,3,H,W]."""

    def __init__(self, cfg: dict):
        super().__init__()
        ch = cfg["block_out_channels"]
        groups, hd, ctx = cfg["norm_num_groups"], cfg["attention_head_dim"], cfg["cross_attention_dim"]
        layers = cfg["layers_per_block"]
        temb = ch[0] * 4
        self.conv_in = nn.Conv2d(3, ch[0], 3, padding=1)
        self.time_proj = Timesteps(ch[0])
        self.time_embedding = TimestepEmbedding(ch[0], temb)

        self.down_blocks = nn.ModuleList()
        cout = ch[0]
        for i, kind in enumerate(cfg["down_block_types"]):
            cin, cout = cout, ch[i]
            self.down_blocks.append(
                DownBlock(cin, cout, temb, layers, kind.startswith("CrossAttn"), i < len(ch) - 1, ctx, hd, groups)
            )
        self.mid_block = UNetMidBlock2DCrossAttn(ch[-1], temb, ctx, hd, groups)

        rev = list(reversed(ch))
        self.up_blocks = nn.ModuleList()
        cout = rev[0]
        for i, kind in enumerate(cfg["up_block_types"]):
            prev, cout = cout, rev[i]
            cin = rev[min(i + 1, len(ch) - 1)]
            self.up_blocks.append(
                UpBlock(cin, cout, prev, temb, layers, kind.startswith("CrossAttn"), i < len(ch) - 1, ctx, hd, groups)
            )
        self.conv_norm_out = nn.GroupNorm(groups, ch[0], eps=1e-5)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(ch[0], 3, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states):
        temb = self.time_embedding(self.time_proj(timestep))
        x = self.conv_in(sample)
        skips = [x]
        for blk in self.down_blocks:
            x, states = blk(x, temb, encoder_hidden_states)
            skips.extend(states)
        x = self.mid_block(x, temb, encoder_hidden_states)
        for blk in self.up_blocks:
            x = blk(x, skips, temb, encoder_hidden_states)
        return self.conv_out(self.conv_act(self.conv_norm_out(x)))


# --------------------------------------------------------------------------------------------
# Text encoder (CLIPTextModel names, causal attention)
# --------------------------------------------------------------------------------------------
class CLIPAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.q_proj, self.k_proj = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.v_proj, self.out_proj = nn.Linear(dim, dim), nn.Linear(dim, dim)

    def forward(self, x, mask):
        b, n, c = x.shape
        h = self.heads
        q = self.q_proj(x).reshape(b, n, h, c // h).transpose(1, 2)
        k = self.k_proj(x).reshape(b, n, h, c // h).transpose(1, 2)
        v = self.v_proj(x).reshape(b, n, h, c // h).transpose(1, 2)
        w = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * self.scale + mask, dim=-1)
        return self.out_proj(torch.matmul(w, v).transpose(1, 2).reshape(b, n, c))


class CLIPMLP(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, dim * 4), nn.Linear(dim * 4, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class CLIPEncoderLayer(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.self_attn = CLIPAttention(dim, heads)
        self.layer_norm1 = nn.LayerNorm(dim)
        self.mlp = CLIPMLP(dim)
        self.layer_norm2 = nn.LayerNorm(dim)

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class CLIPEncoder(nn.Module):
    def __init__(self, dim, heads, depth):
        super().__init__()
        self.layers = nn.ModuleList([CLIPEncoderLayer(dim, heads) for _ in range(depth)])


class TextEncoder(nn.Module):
    """input_ids [B,L] (int) → (last_hidden_state [B,L,D], pooler_output [B,D] = state at first [EOS])."""

    def __init__(self, cfg: dict, vocab_size: int, eos_id: int):
        super().__init__()
        d = cfg["text_width"]
        self.eos_id = eos_id
        self.token_embedding = nn.Embedding(vocab_size, d)
        self.position_embedding = nn.Embedding(cfg["max_length"], d)
        self.encoder = CLIPEncoder(d, cfg["text_heads"], cfg["text_layers"])
        self.final_layer_norm = nn.LayerNorm(d)
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.position_embedding.weight, std=0.01)

    def forward(self, input_ids):
        ids = input_ids.long()
        n = ids.shape[1]
        pos = torch.arange(n, device=ids.device)
        x = self.token_embedding(ids) + self.position_embedding(pos)[None]
        mask = torch.triu(torch.full((n, n), -1e9, device=ids.device), diagonal=1)[None, None]
        for layer in self.encoder.layers:
            x = layer(x, mask)
        x = self.final_layer_norm(x)
        eos_pos = (ids == self.eos_id).float().argmax(dim=-1)
        pooled = x[torch.arange(x.shape[0], device=x.device), eos_pos]
        return x, pooled


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


# --------------------------------------------------------------------------------------------
# Sampling for preview grids: DDIM (Song et al. 2021, eq. 12, η = 0) with "trailing" spacing
# --------------------------------------------------------------------------------------------
@torch.no_grad()
def ddim_sample(unet, cond, uncond, acp, steps=25, guidance=4.0, size=32, generator=None):
    """x₀-estimate from v: x̂₀ = √ᾱ x − √(1−ᾱ) v;  ε̂ = √(1−ᾱ) x + √ᾱ v;  x_prev = √ᾱ' x̂₀ + √(1−ᾱ') ε̂."""
    b = cond.shape[0]
    T = acp.shape[0]
    dev = cond.device
    ts = [int(round(T - i * T / steps)) - 1 for i in range(steps)]  # trailing: 999, …
    x = torch.randn(b, 3, size, size, generator=generator).to(dev)
    acp = acp.to(dev).float()
    for i, t in enumerate(ts):
        a = acp[t]
        a_prev = acp[ts[i + 1]] if i + 1 < steps else acp.new_tensor(1.0)
        tt = torch.full((2 * b,), float(t), device=dev)
        v = unet(torch.cat([x, x]), tt, torch.cat([cond, uncond]))
        vc, vu = v.chunk(2)
        v = vu + guidance * (vc - vu)
        x0 = a.sqrt() * x - (1 - a).sqrt() * v
        eps = (1 - a).sqrt() * x + a.sqrt() * v
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return x.clamp(-1, 1)
