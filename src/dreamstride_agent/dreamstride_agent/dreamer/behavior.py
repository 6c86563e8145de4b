# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Actor-critic learned in imagination (DreamerV3).

From every posterior state of a replayed batch (or a random subset, ``imag_starts``) the
actor drives the world model's prior for ``horizon`` steps. Rewards and continue flags come
from the world-model heads, values from a slow EMA copy of the critic. The actor maximises
lambda-returns normalised by the 5th-95th percentile range; the critic regresses them with
a two-hot loss.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn
from torch.profiler import record_function

from .config import DreamerConfig
from .nets import Head, TwoHot
from .world_model import WorldModel, features

# Scale of the actor's output weights at initialisation (DreamerV3's latest release uses
# 0.01): an untrained policy then outputs a mean of about 0, which for a robot is the
# standing pose, and a std of about its value at zero logits (``action_std_offset``).
ACTOR_OUTSCALE = 0.01


class Actor(nn.Module):
    """Bounded normal policy: mean tanh-squashed to [-1, 1], std in [min_std, max_std].

    ``std = (max_std - min_std) * sigmoid(logit + action_std_offset) + min_std``, as in
    DreamerV3, whose offset 2.0 gives 0.89 at zero logits (with stds 0.1 to 1.0).
    """

    def __init__(self, config: DreamerConfig, feat_dim: int, act_dim: int) -> None:
        super().__init__()
        m = config.model
        self.head = Head(feat_dim, 2 * act_dim, m.units, m.head_layers, m.norm)
        with torch.no_grad():
            self.head.out.weight.mul_(ACTOR_OUTSCALE)
        self.min_std, self.max_std = m.action_min_std, m.action_max_std
        self.std_offset = m.action_std_offset

    def forward(self, feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return mean and standard deviation (float32) of the action distribution."""
        mean, std = self.head(feat).float().chunk(2, -1)
        std = (self.max_std - self.min_std) * torch.sigmoid(std + self.std_offset) + self.min_std
        return torch.tanh(mean), std

    @staticmethod
    def sample(
        mean: torch.Tensor, std: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Reparameterised sample (not yet clipped to the action range)."""
        noise = torch.randn(mean.shape, generator=generator, device=mean.device)
        return mean + std * noise

    @staticmethod
    def log_prob(mean: torch.Tensor, std: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """Log-density of the normal, summed over action dimensions."""
        z = (action - mean) / std
        return (-0.5 * z.square() - torch.log(std) - 0.5 * math.log(2 * math.pi)).sum(-1)

    @staticmethod
    def entropy(std: torch.Tensor) -> torch.Tensor:
        """Entropy of the normal, summed over action dimensions."""
        return (torch.log(std) + 0.5 * math.log(2 * math.pi * math.e)).sum(-1)


def clip_action(action: torch.Tensor) -> torch.Tensor:
    """Clip to [-1, 1], passing gradients straight through."""
    return action + (action.clamp(-1.0, 1.0) - action).detach()


def lambda_returns(
    reward: torch.Tensor, cont: torch.Tensor, value: torch.Tensor, discount: float, lam: float
) -> torch.Tensor:
    """Lambda-returns (H, N) from reward and cont of steps 1..H and values of steps 0..H.

    ``R_t = r_{t+1} + gamma c_{t+1} ((1 - lambda) v_{t+1} + lambda R_{t+1})``, ``R_H = v_H``.
    """
    disc = discount * cont
    interm = reward + disc * (1.0 - lam) * value[1:]
    returns = [value[-1]]
    for t in reversed(range(reward.shape[0])):
        returns.append(interm[t] + disc[t] * lam * returns[-1])
    return torch.stack(returns[:0:-1])


class ActorCritic(nn.Module):
    """Actor, critic, slow critic and the return normaliser."""

    def __init__(self, config: DreamerConfig, feat_dim: int, act_dim: int) -> None:
        super().__init__()
        m = config.model
        self.config = config
        self.actor = Actor(config, feat_dim, act_dim)
        self.critic = Head(feat_dim, m.bins, m.units, m.head_layers, m.norm, zero_init=True)
        self.slow_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.twohot = TwoHot(m.bins)
        # EMA of the 5th and 95th percentile of the lambda-returns.
        self.register_buffer('return_low', torch.zeros(()))
        self.register_buffer('return_high', torch.zeros(()))

    @torch.no_grad()
    def update_slow_critic(self) -> None:
        """Move the slow critic towards the critic (EMA rate ``slow_critic_rate``)."""
        rate = self.config.train.slow_critic_rate
        torch._foreach_lerp_(
            list(self.slow_critic.parameters()), list(self.critic.parameters()), rate
        )

    @torch.no_grad()
    def _update_return_scale(self, returns: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t = self.config.train
        flat = returns.detach().float().flatten()
        quantiles = torch.quantile(
            flat, torch.tensor([t.retnorm_low / 100.0, t.retnorm_high / 100.0], device=flat.device)
        )
        self.return_low.lerp_(quantiles[0], t.retnorm_decay)
        self.return_high.lerp_(quantiles[1], t.retnorm_decay)
        scale = torch.clamp(self.return_high - self.return_low, min=t.retnorm_limit)
        return self.return_low.clone(), scale

    def imagine(
        self,
        wm: WorldModel,
        deter: torch.Tensor,
        stoch: torch.Tensor,
        actor_graph: bool = False,
    ) -> dict[str, torch.Tensor]:
        """Roll the prior forward ``horizon`` steps with actions sampled from the actor.

        ``actor_graph``: record the actor's outputs with gradients even where the rollout
        itself runs without (REINFORCE), so that the actor loss reuses them instead of
        running the actor over every imagined state a second time.
        """
        horizon = self.config.train.horizon
        actor_grad = torch.is_grad_enabled() or actor_graph
        feats, samples, actions, means, stds = [], [], [], [], []
        for _ in range(horizon):
            feat = features(deter, stoch)
            # Stop-gradient on the actor's input (as in DreamerV3, DayDreamer and NM512):
            # an action is credited through the dynamics only, never through how later
            # actions would react to the states it leads to.
            with torch.set_grad_enabled(actor_grad):
                mean, std = self.actor(feat.detach())
            sample = self.actor.sample(mean, std)
            action = clip_action(sample)
            deter, stoch = wm.rssm.img_step(deter, stoch, action)
            feats.append(feat)
            samples.append(sample)
            actions.append(action)
            means.append(mean)
            stds.append(std)
        feats.append(features(deter, stoch))
        traj = {
            'feat': torch.stack(feats),
            'sample': torch.stack(samples),
            'action': torch.stack(actions),
        }
        with torch.set_grad_enabled(actor_grad):
            traj['mean'], traj['std'] = torch.stack(means), torch.stack(stds)
        return traj

    def loss(
        self, wm: WorldModel, deter: torch.Tensor, stoch: torch.Tensor, start_cont: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Actor plus critic loss from start states (N, ...) and their continue flags (N,).

        The two losses touch disjoint parameters, so one backward pass serves both.
        """
        t = self.config.train
        backprop = t.actor_grad == 'dynamics'
        traj, reward, cont, value = self._rollout(wm, deter, stoch, backprop)
        value, critic_logits = self._critic_pass(traj['feat'], value)
        returns = lambda_returns(reward, cont, value, t.discount, t.lam)
        with torch.no_grad():
            conts = torch.cat([start_cont.float()[None], cont.detach()], 0)
            weight = torch.cumprod(t.discount * conts, 0)[:-1] / t.discount
        offset, scale = self._update_return_scale(returns)
        actor_loss, entropy = self._actor_loss(traj, returns, value, offset, scale, weight)
        critic_loss, slow_value = self._critic_loss(traj['feat'], critic_logits, returns, weight)
        metrics = {
            'actor_loss': actor_loss.detach(),
            'critic_loss': critic_loss.detach(),
            'actor_entropy': entropy.mean().detach(),
            'actor_std': traj['std'].mean().detach(),
            'imag_return': returns.mean().detach(),
            'imag_reward': reward.mean().detach(),
            'imag_value': value.mean().detach(),
            'imag_slow_value': slow_value.mean(),
            'return_scale': scale,
        }
        return actor_loss + critic_loss, metrics

    def _rollout(
        self, wm: WorldModel, deter: torch.Tensor, stoch: torch.Tensor, backprop: bool
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Imagine from the start states; return the trajectory, rewards, continues, values.

        The values come from here only with backprop through the dynamics (they carry the
        returns' gradient to the actor); with REINFORCE they are None, for the critic pass.
        """
        # With backprop through the dynamics the world model and the critic are frozen
        # functions here: gradients flow through them to the actor but never into their
        # parameters (the critic learns only from its own loss).
        wm.requires_grad_(not backprop)
        self.critic.requires_grad_(not backprop)
        value = None
        try:
            with torch.set_grad_enabled(backprop):
                with record_function('actor_critic.imagine'):
                    traj = self.imagine(wm, deter.detach(), stoch.detach(), actor_graph=True)
                feat = traj['feat']  # (H + 1, N, F)
                # Heads read all H + 1 states and their outputs are sliced: slicing the
                # large feature tensor instead costs a zero-filled copy of it per head in
                # the backward pass.
                reward = self.twohot.mean(wm.reward(feat))[1:]
                cont = torch.sigmoid(wm.cont(feat).float().squeeze(-1))[1:]
                # The returns bootstrap from the critic itself, as in both DreamerV3
                # releases; the slow critic only regularises the critic.
                if backprop:
                    value = self.twohot.mean(self.critic(feat))
        finally:
            wm.requires_grad_(True)
            self.critic.requires_grad_(True)
        return traj, reward, cont, value

    def _critic_pass(
        self, feat: torch.Tensor, value: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the values (from the rollout, or from here) and the critic loss's logits."""
        if value is not None:
            # The returns' gradient reaches the actor through the rollout's critic pass,
            # so the critic's own loss needs a second one on the detached states.
            return value, self.critic(feat[:-1].detach())
        # Nothing backpropagates through REINFORCE returns: one critic pass with
        # gradients gives both the values (detached) and the critic loss's logits.
        all_logits = self.critic(feat.detach())
        return self.twohot.mean(all_logits.detach()), all_logits[:-1]

    def _actor_loss(
        self,
        traj: dict[str, torch.Tensor],
        returns: torch.Tensor,
        value: torch.Tensor,
        offset: torch.Tensor,
        scale: torch.Tensor,
        weight: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the actor loss and the policy's entropy over the imagined states."""
        t = self.config.train
        # The imagination pass already has the actor's outputs with gradients.
        std = traj['std']
        if t.actor_grad == 'dynamics':
            objective = (returns - offset) / scale
        else:
            advantage = ((returns - value[:-1]) / scale).detach()
            objective = self.actor.log_prob(traj['mean'], std, traj['sample'].detach())
            objective = objective * advantage
        entropy = self.actor.entropy(std)
        return -(weight * (objective + t.entropy * entropy)).mean(), entropy

    def _critic_loss(
        self,
        feat: torch.Tensor,
        critic_logits: torch.Tensor,
        returns: torch.Tensor,
        weight: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the critic loss (returns plus the slow critic's pull) and slow values."""
        with torch.no_grad():
            slow_value = self.twohot.mean(self.slow_critic(feat[:-1].detach()))
        critic_loss = self.twohot.loss(critic_logits, returns.detach())
        critic_loss = critic_loss + self.config.train.slow_reg * self.twohot.loss(
            critic_logits, slow_value
        )
        return (weight * critic_loss).mean(), slow_value
