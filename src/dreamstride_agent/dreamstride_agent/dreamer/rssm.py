# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Recurrent state-space model with a GRU deterministic state and discrete latents.

The state is ``(deter, stoch)``: ``deter`` (B, deter) float32 and ``stoch`` (B, stoch *
classes), a flat one-hot sample of ``stoch`` categoricals with straight-through gradients.
The transition into step t reads the previous latent and the previous action (zero on
``is_first``); the posterior adds the embedding of observation t.

Linear layers that read a concatenation are split into one layer per input, so that the
parts that do not depend on the recurrence (action, embedding) are computed for the whole
sequence in one matmul before the time loop, and the prior head after it.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from .config import ModelConfig
from .nets import init_linear, make_norm


def latent_logprobs(raw: torch.Tensor, classes: int, unimix: float) -> torch.Tensor:
    """Log-probabilities (..., stoch, classes) of raw logits, mixed with 1% uniform."""
    logits = raw.float().unflatten(-1, (-1, classes))
    if unimix <= 0.0:
        return F.log_softmax(logits, -1)
    probs = torch.softmax(logits, -1) * (1.0 - unimix) + unimix / classes
    return torch.log(probs)


def sample_latent(
    logprobs: torch.Tensor, generator: torch.Generator | None = None, sample: bool = True
) -> torch.Tensor:
    """Flat one-hot sample (or mode) with straight-through gradients to the probabilities."""
    probs = logprobs.exp()
    if sample:
        # Inverse-CDF draw: count the classes whose cumulative probability lies below a
        # uniform number (an order of magnitude faster on the CPU than exponential races
        # or torch.multinomial).
        uniform = torch.rand(probs.shape[:-1] + (1,), generator=generator, device=probs.device)
        below = (probs.detach().cumsum(-1) < uniform).sum(-1)
        index = below.clamp(max=probs.shape[-1] - 1)
    else:
        index = probs.detach().argmax(-1)
    onehot = F.one_hot(index, probs.shape[-1]).to(probs.dtype)
    if probs.requires_grad:
        onehot = onehot + probs - probs.detach()
    return onehot.flatten(-2)


def categorical_kl(lhs: torch.Tensor, rhs: torch.Tensor) -> torch.Tensor:
    """KL(lhs || rhs) of log-probabilities (..., stoch, classes), summed over latents."""
    return (lhs.exp() * (lhs - rhs)).sum((-2, -1))


class RSSM(nn.Module):
    """DreamerV3's RSSM: GRU with LayerNorm, 1%-unimix categorical latents."""

    def __init__(
        self, model: ModelConfig, embed_dim: int, act_dim: int, with_prior: bool = True
    ) -> None:
        super().__init__()
        self.deter, self.classes, self.unimix = model.deter, model.classes, model.unimix
        self.stoch_dim = model.stoch * model.classes
        hidden = model.hidden
        self.img_stoch = nn.Linear(self.stoch_dim, hidden, bias=False)
        self.img_action = nn.Linear(act_dim, hidden, bias=False)
        self.img_norm = make_norm(model.norm, hidden)
        self.gru = nn.Linear(hidden + model.deter, 3 * model.deter, bias=False)
        self.gru_norm = make_norm(model.norm, 3 * model.deter)
        self.obs_deter = nn.Linear(model.deter, hidden, bias=False)
        self.obs_embed = nn.Linear(embed_dim, hidden, bias=False)
        self.obs_norm = make_norm(model.norm, hidden)
        self.obs_logits = nn.Linear(hidden, self.stoch_dim)
        for layer in (
            self.img_stoch,
            self.img_action,
            self.gru,
            self.obs_deter,
            self.obs_embed,
            self.obs_logits,
        ):
            init_linear(layer)
        self.prior: nn.Sequential | None = None
        if with_prior:
            first, last = (
                nn.Linear(model.deter, hidden, bias=False),
                nn.Linear(hidden, self.stoch_dim),
            )
            init_linear(first)
            init_linear(last)
            self.prior = nn.Sequential(first, make_norm(model.norm, hidden), nn.SiLU(), last)

    @property
    def feat_dim(self) -> int:
        """Size of the model state features ``cat(deter, stoch)``."""
        return self.deter + self.stoch_dim

    def initial(self, batch: int, device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
        """Zero state (the state every sequence and episode starts from)."""
        return (
            torch.zeros(batch, self.deter, device=device),
            torch.zeros(batch, self.stoch_dim, device=device),
        )

    def _gru(self, deter: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        parts = self.gru_norm(self.gru(torch.cat([x, deter.to(x.dtype)], -1))).float()
        reset, cand, update = parts.chunk(3, -1)
        cand = torch.tanh(torch.sigmoid(reset) * cand)
        update = torch.sigmoid(update - 1.0)
        return torch.lerp(deter, cand, update)

    def _img_in(self, stoch: torch.Tensor, action_part: torch.Tensor) -> torch.Tensor:
        return F.silu(self.img_norm(self.img_stoch(stoch) + action_part))

    def _post_logprobs(self, deter: torch.Tensor, embed_part: torch.Tensor) -> torch.Tensor:
        hidden = F.silu(self.obs_norm(self.obs_deter(deter) + embed_part))
        return latent_logprobs(self.obs_logits(hidden), self.classes, self.unimix)

    def prior_logprobs(self, deter: torch.Tensor) -> torch.Tensor:
        """Prior log-probabilities (..., stoch, classes) given deterministic states."""
        if self.prior is None:
            raise RuntimeError('this RSSM was built without its prior head (policy only)')
        return latent_logprobs(self.prior(deter), self.classes, self.unimix)

    def observe(
        self,
        embed: torch.Tensor,
        action: torch.Tensor,
        is_first: torch.Tensor,
        state: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Filter a sequence: embed (B, T, E), action (B, T, A), is_first (B, T) bool.

        ``action[:, t]`` is the action chosen at step t, so the transition into step t
        reads ``action[:, t - 1]``, zeroed where ``is_first[:, t]``; the state is reset to
        zero there as well. Returns deter, stoch, post and prior log-probabilities.
        """
        B, T = is_first.shape
        keep = (~is_first).unsqueeze(-1).float()
        prev_action = torch.cat([torch.zeros_like(action[:, :1]), action[:, :-1]], 1) * keep
        action_part = self.img_action(prev_action)
        embed_part = self.obs_embed(embed)
        deter, stoch = state if state is not None else self.initial(B, embed.device)
        deters, stochs, posts = [], [], []
        for t in range(T):
            deter = deter * keep[:, t]
            stoch = stoch * keep[:, t]
            deter = self._gru(deter, self._img_in(stoch, action_part[:, t]))
            post = self._post_logprobs(deter, embed_part[:, t])
            stoch = sample_latent(post)
            deters.append(deter)
            stochs.append(stoch)
            posts.append(post)
        deter_seq = torch.stack(deters, 1)
        return {
            'deter': deter_seq,
            'stoch': torch.stack(stochs, 1),
            'post': torch.stack(posts, 1),
            'prior': self.prior_logprobs(deter_seq),
        }

    def img_step(
        self,
        deter: torch.Tensor,
        stoch: torch.Tensor,
        action: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Predict the next state from the prior (imagination)."""
        deter = self._gru(deter, self._img_in(stoch, self.img_action(action)))
        return deter, sample_latent(self.prior_logprobs(deter), generator)

    def obs_step(
        self,
        deter: torch.Tensor,
        stoch: torch.Tensor,
        prev_action: torch.Tensor,
        embed: torch.Tensor,
        generator: torch.Generator | None = None,
        sample: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One filtering step (acting): transition with prev_action, then the posterior."""
        deter = self._gru(deter, self._img_in(stoch, self.img_action(prev_action)))
        post = self._post_logprobs(deter, self.obs_embed(embed))
        return deter, sample_latent(post, generator, sample)

    def kl_losses(
        self, post: torch.Tensor, prior: torch.Tensor, free_nats: float
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Dynamics and representation losses (free bits clipped) and the raw KL."""
        dyn = categorical_kl(post.detach(), prior)
        rep = categorical_kl(post, prior.detach())
        return dyn.clamp(min=free_nats), rep.clamp(min=free_nats), dyn.detach()
