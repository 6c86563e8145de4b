# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Building blocks: symlog, two-hot heads, normalised MLPs, image encoder and decoder.

Every hidden layer is Linear (no bias) -> LayerNorm or RMSNorm -> SiLU, as in DreamerV3.
Distribution maths (softmax, logs, losses) always runs in float32, even when matmuls
run in bfloat16 under autocast.
"""

from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F


def symlog(x: torch.Tensor) -> torch.Tensor:
    """Squash large magnitudes: sign(x) * log(1 + |x|)."""
    return torch.sign(x) * torch.log1p(torch.abs(x))


def symexp(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`symlog`."""
    return torch.sign(x) * torch.expm1(torch.abs(x))


def init_linear(layer: nn.Linear | nn.Conv2d | nn.ConvTranspose2d, scale: float = 1.0) -> None:
    """Initialise truncated normal with fan-average variance (DreamerV3), zero bias."""
    weight = layer.weight
    if isinstance(layer, nn.Linear):
        fan_in, fan_out = weight.shape[1], weight.shape[0]
    else:
        receptive = weight[0, 0].numel()
        fan_in, fan_out = weight.shape[1] * receptive, weight.shape[0] * receptive
    std = math.sqrt(scale / ((fan_in + fan_out) / 2)) / 0.87962566103423978
    with torch.no_grad():
        if scale == 0.0:
            weight.zero_()
        else:
            nn.init.trunc_normal_(weight, 0.0, std, -2 * std, 2 * std)
        if layer.bias is not None:
            layer.bias.zero_()


def make_norm(kind: str, dim: int) -> nn.Module:
    """Return the configured normalisation layer over the last dimension."""
    if kind == 'rms':
        return nn.RMSNorm(dim, eps=1e-3)
    return nn.LayerNorm(dim, eps=1e-3)


class MLP(nn.Module):
    """``layers`` x (Linear, norm, SiLU)."""

    def __init__(self, in_dim: int, units: int, layers: int, norm: str) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        for index in range(layers):
            linear = nn.Linear(in_dim if index == 0 else units, units, bias=False)
            init_linear(linear)
            blocks += [linear, make_norm(norm, units), nn.SiLU()]
        self.net = nn.Sequential(*blocks)
        self.out_dim = units if layers else in_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layers."""
        return self.net(x)


class Head(nn.Module):
    """MLP followed by a linear output layer (optionally zero-initialised)."""

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        units: int,
        layers: int,
        norm: str,
        zero_init: bool = False,
    ) -> None:
        super().__init__()
        self.mlp = MLP(in_dim, units, layers, norm)
        self.out = nn.Linear(self.mlp.out_dim, out_dim)
        init_linear(self.out, 0.0 if zero_init else 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the outputs (logits or values) for inputs (..., in_dim)."""
        return self.out(self.mlp(x))


class TwoHot(nn.Module):
    """Symexp-spaced two-hot categorical over ``bins`` values (DreamerV3 reward and critic).

    Bins are ``symexp(linspace(-20, 20, bins))``; a target is split between its two
    neighbouring bins so that the expectation of the encoding reproduces it exactly.
    """

    def __init__(self, bins: int, limit: float = 20.0) -> None:
        super().__init__()
        # Mirror the positive half so that the bins are exactly symmetric around 0.
        positive = symexp(torch.linspace(0.0, limit, (bins + 1) // 2))
        values = torch.cat([-positive[1:].flip(0), positive])
        self.register_buffer('bins', values, persistent=False)

    def encode(self, target: torch.Tensor) -> torch.Tensor:
        """Return two-hot weights (..., bins) for float32 targets (...)."""
        bins = self.bins
        target = target.float().clamp(bins[0], bins[-1])
        above = torch.bucketize(target, bins, right=False).clamp(1, len(bins) - 1)
        below = above - 1
        lo, hi = bins[below], bins[above]
        weight_above = ((target - lo) / (hi - lo)).clamp(0.0, 1.0)
        encoded = torch.zeros(*target.shape, len(bins), device=target.device)
        encoded.scatter_(-1, below.unsqueeze(-1), (1.0 - weight_above).unsqueeze(-1))
        encoded.scatter_add_(-1, above.unsqueeze(-1), weight_above.unsqueeze(-1))
        return encoded

    def mean(self, logits: torch.Tensor) -> torch.Tensor:
        """Return the expected value of the categorical given by logits (..., bins)."""
        probs = torch.softmax(logits.float(), -1)
        # Pair each bin with its mirror image before summing (as DreamerV3 does): the huge
        # outer bins then cancel pair by pair instead of swamping the small inner ones in
        # float32, and a zero-initialised head predicts exactly 0.
        half = (len(self.bins) - 1) // 2
        pos_bins = self.bins[half + 1 :]
        pairs = (probs[..., half + 1 :] - probs[..., :half].flip(-1)) * pos_bins
        return pairs.sum(-1)

    def loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of logits (..., bins) against the two-hot encoding of target (...)."""
        log_probs = F.log_softmax(logits.float(), -1)
        return -(self.encode(target.detach()) * log_probs).sum(-1)


class ChannelNorm(nn.Module):
    """Normalise the channels of an NCHW feature map at every pixel."""

    def __init__(self, kind: str, channels: int) -> None:
        super().__init__()
        self.norm = make_norm(kind, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise (N, C, H, W) over C."""
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ImageEncoder(nn.Module):
    """Stride-2 convolutions 64x64 -> 4x4, channels depth, 2 depth, 4 depth, 8 depth."""

    def __init__(self, image_shape: tuple[int, int, int], depth: int, norm: str) -> None:
        super().__init__()
        height, width, channels = image_shape
        if height != width or height < 16 or height & (height - 1):
            raise ValueError(f'image must be square with a power-of-two side, got {image_shape}')
        layers: list[nn.Module] = []
        size, in_ch, out_ch = height, channels, depth
        while size > 4:
            conv = nn.Conv2d(in_ch, out_ch, 4, 2, 1, bias=False)
            init_linear(conv)
            layers += [conv, ChannelNorm(norm, out_ch), nn.SiLU()]
            size, in_ch, out_ch = size // 2, out_ch, out_ch * 2
        self.net = nn.Sequential(*layers)
        self.out_dim = in_ch * 4 * 4

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Encode uint8 images (..., H, W, C) to flat features (..., out_dim)."""
        lead = image.shape[:-3]
        x = image.reshape(-1, *image.shape[-3:]).permute(0, 3, 1, 2).float() / 255.0 - 0.5
        return self.net(x).reshape(*lead, -1)


class ImageDecoder(nn.Module):
    """Mirror of :class:`ImageEncoder`: features -> 4x4 map -> transposed convolutions."""

    def __init__(
        self, in_dim: int, image_shape: tuple[int, int, int], depth: int, norm: str
    ) -> None:
        super().__init__()
        height, _, channels = image_shape
        steps = int(math.log2(height // 4))
        self.start_ch = depth * 2 ** (steps - 1)
        self.project = nn.Linear(in_dim, self.start_ch * 16)
        init_linear(self.project)
        layers: list[nn.Module] = []
        in_ch = self.start_ch
        for index in range(steps):
            last = index == steps - 1
            out_ch = channels if last else in_ch // 2
            conv = nn.ConvTranspose2d(in_ch, out_ch, 4, 2, 1, bias=last)
            init_linear(conv)
            layers.append(conv)
            if not last:
                layers += [ChannelNorm(norm, out_ch), nn.SiLU()]
            in_ch = out_ch
        self.net = nn.Sequential(*layers)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        """Return image means in [-0.5, 0.5] scale, (..., H, W, C) float."""
        lead = feat.shape[:-1]
        x = self.project(feat).reshape(-1, self.start_ch, 4, 4)
        x = self.net(x).permute(0, 2, 3, 1)
        return x.reshape(*lead, *x.shape[1:])


class Encoder(nn.Module):
    """Observation vector (symlog, MLP) and optional image (CNN) -> one embedding."""

    def __init__(
        self,
        obs_dim: int,
        image_shape: tuple[int, int, int] | None,
        units: int,
        layers: int,
        cnn_depth: int,
        norm: str,
    ) -> None:
        super().__init__()
        self.mlp = MLP(obs_dim, units, layers, norm)
        self.cnn = ImageEncoder(image_shape, cnn_depth, norm) if image_shape else None
        self.out_dim = self.mlp.out_dim + (self.cnn.out_dim if self.cnn else 0)

    def forward(self, obs: torch.Tensor, image: torch.Tensor | None = None) -> torch.Tensor:
        """Embed observations (..., obs_dim) and uint8 images (..., H, W, C)."""
        embed = self.mlp(symlog(obs))
        if self.cnn is not None:
            if image is None:
                raise ValueError('this model was built with an image input; pass image')
            embed = torch.cat([embed, self.cnn(image).to(embed.dtype)], -1)
        return embed
