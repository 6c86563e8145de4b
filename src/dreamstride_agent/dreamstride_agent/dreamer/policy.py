# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The acting side: a batch-1 policy (encoder, RSSM filter, actor) built from a policy file.

The file format is :mod:`.policy_format`; untrusted bytes are checked completely by
:mod:`.policy_validation` before :meth:`Policy.from_bytes` builds anything.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib

import numpy as np
import safetensors.torch
import torch

from .behavior import Actor
from .policy_format import DEFAULT_MAX_BYTES, PolicyMetadata, PolicyNet
from .policy_validation import refusal, validate_policy_bytes
from .world_model import features


@dataclass
class PolicyState:
    """Recurrent state carried between steps: latent state and the previous action."""

    deter: torch.Tensor  # (1, deter)
    stoch: torch.Tensor  # (1, stoch * classes)
    action: torch.Tensor  # (1, act_dim), the action chosen at the previous step


class Policy:
    """Batch-1 policy for the actor side: ``step(obs, state, is_first) -> (action, state)``.

    ``sample=True`` draws latents and actions (exploration while collecting data);
    ``sample=False`` takes their modes (evaluation). Actions are in [-1, 1].
    """

    def __init__(
        self,
        net: PolicyNet,
        metadata: PolicyMetadata,
        seed: int | None = None,
        device: torch.device | str = 'cpu',
    ) -> None:
        self.net = net
        self.metadata = metadata
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device)
        if seed is not None:
            self.generator.manual_seed(seed)
        else:
            self.generator.seed()

    def initial_state(self) -> PolicyState:
        """State before the first step of an episode."""
        rssm = self.net.rssm
        with torch.inference_mode():
            deter, stoch = rssm.initial(1, self.device)
            action = torch.zeros(1, self.metadata.act_dim, device=self.device)
        return PolicyState(deter, stoch, action)

    def accepts_state(self, state: PolicyState | None) -> bool:
        """Whether ``state`` (from another policy) has this policy's latent sizes.

        A new version of the same architecture goes on filtering from the latent state
        the previous one reached, as DreamerV3's actor keeps its carry across parameter
        updates: restarting it would make the state jump without an episode start.
        """
        if state is None:
            return False
        fresh = self.initial_state()
        return all(
            getattr(state, name).shape == getattr(fresh, name).shape
            for name in ('deter', 'stoch', 'action')
        )

    def step(
        self,
        obs: np.ndarray,
        state: PolicyState | None,
        is_first: bool,
        *,
        image: np.ndarray | None = None,
        sample: bool = True,
    ) -> tuple[np.ndarray, PolicyState]:
        """Choose the action for observation ``obs`` (obs_dim,) float.

        On ``is_first`` (or with no state) the recurrent state restarts from
        :meth:`initial_state`. Returns the action (act_dim,) float32 and the new state.
        """
        obs = np.asarray(obs, dtype=np.float32)
        if obs.shape != (self.metadata.obs_dim,):
            raise ValueError(f'observation shape {obs.shape}, expected ({self.metadata.obs_dim},)')
        if is_first or state is None:
            state = self.initial_state()
        with torch.inference_mode():
            obs_t = torch.from_numpy(obs).to(self.device).unsqueeze(0)
            image_t = None
            if self.metadata.image_shape is not None:
                if image is None:
                    raise ValueError('this policy reads an image; pass image=')
                image_t = torch.as_tensor(
                    np.asarray(image, dtype=np.uint8), device=self.device
                ).unsqueeze(0)
            embed = self.net.encoder(obs_t, image_t)
            deter, stoch = self.net.rssm.obs_step(
                state.deter, state.stoch, state.action, embed, self.generator, sample
            )
            mean, std = self.net.actor(features(deter, stoch))
            action = Actor.sample(mean, std, self.generator) if sample else mean
            action = action.clamp(-1.0, 1.0)
            result = action[0].to('cpu').numpy().copy()
        return result, PolicyState(deter, stoch, action)

    def to_bytes(self) -> tuple[bytes, str]:
        """Serialise to safetensors bytes; returns (bytes, sha256 hex)."""
        data = safetensors.torch.save(self.net.exported_state(), self.metadata.to_strings())
        return data, hashlib.sha256(data).hexdigest()

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        sha256: str,
        max_bytes: int = DEFAULT_MAX_BYTES,
        expected_version: int | None = None,
        seed: int | None = None,
        device: torch.device | str = 'cpu',
    ) -> Policy:
        """Validate untrusted bytes completely, then build a new policy from them.

        Raises :class:`PolicyRejected`; a running policy is never touched.
        """
        meta, tensors = validate_policy_bytes(data, sha256, max_bytes, expected_version)
        try:
            # Shape-only modules take the validated tensors as they are: a random
            # initialisation, overwritten at once, was 90 % of the cost of a swap.
            with torch.device('meta'):
                net = PolicyNet.build(meta)
            net.load_state_dict(tensors, strict=True, assign=True)
            left = [
                name for name, t in [*net.named_parameters(), *net.named_buffers()] if t.is_meta
            ]
            if left:
                raise ValueError(f'tensors not in the file: {left[:3]}')
            net.to(device).eval()
        except Exception as error:  # noqa: BLE001 (validation built this shape-only already)
            raise refusal(
                'build',
                f'building the validated policy failed: '
                f'{type(error).__name__}: {str(error)[:120]}',
            ) from None
        return cls(net, meta, seed=seed, device=device)
