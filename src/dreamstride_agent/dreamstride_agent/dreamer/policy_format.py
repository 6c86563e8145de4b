# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""What a policy file is: safetensors bytes whose string metadata describes the net.

Weights travel as safetensors bytes whose metadata (strings) carries the format, the
policy version and the architecture (:class:`PolicyMetadata`), so an agent can build the
policy from the bytes alone; the tensors are :class:`PolicyNet`'s state (the encoder,
the RSSM's filtering step and the actor). Reading such bytes from outside is
:mod:`.policy_validation`'s job, acting with them :mod:`.policy`'s.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
import json

import torch
from torch import nn

from .behavior import Actor
from .config import DreamerConfig, ModelConfig
from .nets import Encoder
from .rssm import RSSM

POLICY_FORMAT = 'dreamstride-policy'
POLICY_FORMAT_VERSION = '1'
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


class PolicyRejected(ValueError):  # noqa: N818 (the name the agent node catches)
    """Policy bytes refused; ``reason`` is a short code, the message says what is wrong."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# Every PolicyRejected.reason: policy_validation's checks in the order they run, then those of
# PolicySlot.offer ('dimensions', and 'internal' for any exception a check let escape).
# 'load' and 'build' mean an earlier check let something through; the fuzz tests treat
# them, like 'internal', as bugs.
REFUSAL_REASONS = frozenset(
    {
        'format',
        'oversized',
        'pickle',
        'truncated',
        'header_json',
        'header',
        'sha256',
        'metadata',
        'version',
        'architecture',
        'tensor_name',
        'missing_tensor',
        'extra_tensor',
        'dtype',
        'shape',
        'load',
        'nonfinite',
        'build',
        'dimensions',
        'internal',
    }
)


@dataclass(frozen=True)
class PolicyMetadata:
    """What the policy bytes say about themselves."""

    version: int
    obs_dim: int
    act_dim: int
    image_shape: tuple[int, int, int] | None
    model: ModelConfig
    config_name: str = ''
    # The observation's layout as Step.observation_keys names it ("joint_position:12,
    # gravity:3,..."), so a loader can build the observation the policy was trained on;
    # empty in files written before it was recorded (optional in the format).
    observation_keys: str = ''

    def to_strings(self) -> dict[str, str]:
        """Safetensors metadata (string to string)."""
        optional = {'observation_keys': self.observation_keys} if self.observation_keys else {}
        return {
            **optional,
            'format': POLICY_FORMAT,
            'format_version': POLICY_FORMAT_VERSION,
            'version': str(int(self.version)),
            'obs_dim': str(self.obs_dim),
            'act_dim': str(self.act_dim),
            'image_shape': ','.join(map(str, self.image_shape)) if self.image_shape else '',
            'model': json.dumps(dataclasses.asdict(self.model), sort_keys=True),
            'config_name': self.config_name,
        }


class PolicyNet(nn.Module):
    """Only what acting needs: the encoder, the RSSM's filtering step and the actor."""

    def __init__(self, encoder: Encoder, rssm: RSSM, actor: Actor) -> None:
        super().__init__()
        self.encoder, self.rssm, self.actor = encoder, rssm, actor

    @classmethod
    def build(cls, meta: PolicyMetadata) -> PolicyNet:
        """Construct (randomly initialised) modules for the given architecture."""
        m = meta.model
        config = DreamerConfig(model=m)
        encoder = Encoder(meta.obs_dim, meta.image_shape, m.units, m.layers, m.cnn_depth, m.norm)
        rssm = RSSM(m, encoder.out_dim, meta.act_dim, with_prior=False)
        actor = Actor(config, rssm.feat_dim, meta.act_dim)
        return cls(encoder, rssm, actor)

    def exported_state(self) -> dict[str, torch.Tensor]:
        """Tensors of the policy bytes (the prior head of a training RSSM is left out)."""
        return {
            name: tensor.detach().to('cpu', torch.float32).contiguous().clone()
            for name, tensor in self.state_dict().items()
            if not name.startswith('rssm.prior.')
        }


def expected_tensors(meta: PolicyMetadata) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the tensors a policy of this architecture has (no allocation)."""
    with torch.device('meta'):
        net = PolicyNet.build(meta)
    return {name: tuple(t.shape) for name, t in net.state_dict().items()}
