# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""World model: encoder, RSSM, observation decoders, reward and continue heads."""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from .config import DreamerConfig
from .nets import Encoder, Head, ImageDecoder, TwoHot, symlog
from .rssm import RSSM


def features(deter: torch.Tensor, stoch: torch.Tensor) -> torch.Tensor:
    """Model state features read by the decoders, heads, actor and critic.

    Under autocast the features are cast once here to the compute dtype, rather than
    once per head that reads them.
    """
    feat = torch.cat([deter, stoch], -1)
    device = feat.device.type
    if torch.is_autocast_enabled(device):
        feat = feat.to(torch.get_autocast_dtype(device))
    return feat


class WorldModel(nn.Module):
    """Everything trained on replayed sequences."""

    def __init__(
        self,
        config: DreamerConfig,
        obs_dim: int,
        act_dim: int,
        image_shape: tuple[int, int, int] | None = None,
    ) -> None:
        super().__init__()
        m = config.model
        self.config = config
        self.obs_dim, self.act_dim, self.image_shape = obs_dim, act_dim, image_shape
        self.encoder = Encoder(obs_dim, image_shape, m.units, m.layers, m.cnn_depth, m.norm)
        self.rssm = RSSM(m, self.encoder.out_dim, act_dim)
        feat = self.rssm.feat_dim
        self.decoder = Head(feat, obs_dim, m.units, m.layers, m.norm)
        self.image_decoder = (
            ImageDecoder(feat, image_shape, m.cnn_depth, m.norm) if image_shape else None
        )
        self.reward = Head(feat, m.bins, m.units, m.head_layers, m.norm, zero_init=True)
        self.cont = Head(feat, 1, m.units, m.head_layers, m.norm)
        self.twohot = TwoHot(m.bins)

    def loss(
        self, data: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Return the world-model loss, metrics and the posterior states of the batch."""
        scales = self.config.loss
        embed = self.encoder(data['obs'], data.get('image'))
        states = self.rssm.observe(embed, data['action'], data['is_first'])
        feat = features(states['deter'], states['stoch'])
        dyn, rep, kl = self.rssm.kl_losses(states['post'], states['prior'], scales.free_nats)

        obs_pred = self.decoder(feat).float()
        decoder = (obs_pred - symlog(data['obs'])).square().sum(-1)
        if self.image_decoder is not None:
            target = data['image'].float() / 255.0 - 0.5
            decoder = decoder + (self.image_decoder(feat).float() - target).square().sum(
                (-3, -2, -1)
            )
        reward = self.twohot.loss(self.reward(feat), data['reward'])
        cont_target = 1.0 - data['is_terminal'].float()
        cont = F.binary_cross_entropy_with_logits(
            self.cont(feat).float().squeeze(-1), cont_target, reduction='none'
        )
        loss = (
            scales.dyn * dyn
            + scales.rep * rep
            + scales.decoder * decoder
            + scales.reward * reward
            + scales.cont * cont
        ).mean()
        metrics = {
            'world_model_loss': loss.detach(),
            'kl_loss': (scales.dyn * dyn + scales.rep * rep).mean().detach(),
            'kl': kl.mean(),
            'decoder_loss': decoder.mean().detach(),
            'reward_loss': reward.mean().detach(),
            'cont_loss': cont.mean().detach(),
        }
        return loss, metrics, states
