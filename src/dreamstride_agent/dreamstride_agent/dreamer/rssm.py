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
    # Scatter ones into zeros rather than F.one_hot(...).to(dtype): the same tensor without
    # one_hot's range checks and integer-to-float copy (half the time at batch 1 and 256).
    onehot = torch.zeros_like(probs, memory_format=torch.contiguous_format)
    onehot.scatter_(-1, index.unsqueeze(-1), 1.0)
    if probs.requires_grad:
        onehot = onehot + probs - probs.detach()
    return onehot.flatten(-2)


class WeightTape:
    """Per-step linear layers whose weight gradients are computed once for all steps.

    In a filtering loop every weight is used once per time step, so autograd would
    compute T small weight gradients (batch-sized matmuls) and add them up one by one.
    The tape applies the layers with detached weights (so autograd only propagates
    gradients through their inputs), keeps each step's input and, through a hook, the
    gradient of its output; :class:`_TapeAnchor` then computes each weight's gradient as
    one matmul over all steps: the same sum, in one call instead of T calls and T adds.
    """

    def __init__(self, layers: list[nn.Linear]) -> None:
        self.layers = layers
        self.inputs: list[list[torch.Tensor]] = [[] for _ in layers]
        self.grads: list[list[torch.Tensor | None]] = [[] for _ in layers]

    def linear(self, index: int, x: torch.Tensor) -> torch.Tensor:
        """Apply layer ``index`` to x, recording x and (in backward) the output's gradient."""
        layer = self.layers[index]
        y = F.linear(x, layer.weight.detach(), layer.bias)
        grads = self.grads[index]
        slot = len(grads)
        grads.append(None)
        self.inputs[index].append(x.detach())

        def record(grad: torch.Tensor, slot: int = slot) -> None:
            grads[slot] = grad

        y.register_hook(record)
        return y

    def anchor(
        self, deter: torch.Tensor, stoch: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Pass the initial state through the node that computes the weight gradients.

        Every taped step reads this state, so autograd reaches the node only after the
        backward pass of every step, when all output gradients have been recorded.
        """
        weights = [layer.weight for layer in self.layers]
        return _TapeAnchor.apply(self, deter, stoch, *weights)


class _TapeAnchor(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: torch.autograd.function.FunctionCtx,
        tape: WeightTape,
        deter: torch.Tensor,
        stoch: torch.Tensor,
        *weights: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        ctx.tape = tape  # type: ignore[attr-defined]
        return deter.clone(), stoch.clone()

    @staticmethod
    def backward(
        ctx: torch.autograd.function.FunctionCtx,
        grad_deter: torch.Tensor,
        grad_stoch: torch.Tensor,
    ) -> tuple[torch.Tensor | None, ...]:
        tape: WeightTape = ctx.tape  # type: ignore[attr-defined]
        weight_grads: list[torch.Tensor | None] = []
        for layer, inputs, grads in zip(tape.layers, tape.inputs, tape.grads, strict=True):
            used = [(x, g) for x, g in zip(inputs, grads, strict=True) if g is not None]
            if not used:
                weight_grads.append(None)
                continue
            grad = torch.cat([g for _, g in used]).flatten(0, -2)
            x = torch.cat([x for x, _ in used]).flatten(0, -2).to(grad.dtype)
            weight_grads.append((grad.t() @ x).to(layer.weight.dtype))
        return (None, grad_deter, grad_stoch, *weight_grads)


def categorical_kl(lhs: torch.Tensor, rhs: torch.Tensor) -> torch.Tensor:
    """KL(lhs || rhs) of log-probabilities (..., stoch, classes), summed over latents."""
    return (lhs.exp() * (lhs - rhs)).sum((-2, -1))


class RSSM(nn.Module):
    """DreamerV3's RSSM: GRU with LayerNorm, 1%-unimix categorical latents."""

    # Compute the filtering loop's weight gradients once for all steps (WeightTape);
    # off, autograd accumulates them step by step (the same sum; kept for the tests).
    weight_tape: bool = True

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

    def _linear(self, layer: nn.Linear, x: torch.Tensor, tape: WeightTape | None) -> torch.Tensor:
        if tape is None:
            return layer(x)
        return tape.linear(tape.layers.index(layer), x)

    def _gru(
        self, deter: torch.Tensor, x: torch.Tensor, tape: WeightTape | None = None
    ) -> torch.Tensor:
        parts = self._linear(self.gru, torch.cat([x, deter.to(x.dtype)], -1), tape)
        parts = self.gru_norm(parts).float()
        reset, cand, update = parts.chunk(3, -1)
        cand = torch.tanh(torch.sigmoid(reset) * cand)
        update = torch.sigmoid(update - 1.0)
        return torch.lerp(deter, cand, update)

    def _img_in(
        self, stoch: torch.Tensor, action_part: torch.Tensor, tape: WeightTape | None = None
    ) -> torch.Tensor:
        return F.silu(self.img_norm(self._linear(self.img_stoch, stoch, tape) + action_part))

    def _post_logprobs(
        self, deter: torch.Tensor, embed_part: torch.Tensor, tape: WeightTape | None = None
    ) -> torch.Tensor:
        hidden = F.silu(self.obs_norm(self._linear(self.obs_deter, deter, tape) + embed_part))
        logits = self._linear(self.obs_logits, hidden, tape)
        return latent_logprobs(logits, self.classes, self.unimix)

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
        # Split into per-step views with unbind rather than indexing [:, t] in the loop:
        # the backward of each index op fills a zero tensor of the whole sequence and adds
        # it up (T^2 work), unbind's backward stacks the T step gradients once.
        action_parts = self.img_action(prev_action).unbind(1)
        embed_parts = self.obs_embed(embed).unbind(1)
        deter, stoch = state if state is not None else self.initial(B, embed.device)
        tape = None
        if self.weight_tape and torch.is_grad_enabled() and self.gru.weight.requires_grad:
            tape = WeightTape([self.img_stoch, self.gru, self.obs_deter, self.obs_logits])
            deter, stoch = tape.anchor(deter, stoch)
        # Steps where some sequence starts over (usually only the first): the state is
        # zeroed there and multiplied by 1 everywhere else, which needs no op at all.
        resets = is_first.any(0).tolist()
        deters, stochs, posts = [], [], []
        for t in range(T):
            if resets[t]:
                deter = deter * keep[:, t]
                stoch = stoch * keep[:, t]
            deter = self._gru(deter, self._img_in(stoch, action_parts[t], tape), tape)
            post = self._post_logprobs(deter, embed_parts[t], tape)
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
