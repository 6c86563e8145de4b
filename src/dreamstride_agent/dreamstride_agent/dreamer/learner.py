# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""DreamerLearner: world model plus actor-critic, their optimisers, checkpoints and export.

Batches follow DreamerV3's (and the ROS Step message's) convention: ``action[t]`` is
chosen at ``obs[t]``, ``reward[t]`` is received on arriving at ``obs[t]``, and the
transition into step t is conditioned on ``action[t - 1]`` (zero where ``is_first[t]``).
"""

from __future__ import annotations

from collections.abc import Mapping
import contextlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.profiler import record_function

from . import checkpoint as ckpt
from .behavior import ActorCritic
from .config import DreamerConfig
from .device import resolve_device, resolve_precision
from .nets import symexp
from .openloop import render_open_loop
from .policy import Policy
from .policy_format import PolicyMetadata, PolicyNet
from .world_model import WorldModel, features

CHECKPOINT_FORMAT = 'dreamstride-checkpoint'
CHECKPOINT_FORMAT_VERSION = '1'


class DreamerLearner:
    """Trains a DreamerV3 agent from replayed sequences (``train_step``)."""

    def __init__(
        self,
        config: DreamerConfig,
        obs_dim: int,
        act_dim: int,
        image_shape: tuple[int, int, int] | None = None,
        device: str | torch.device | None = None,
    ) -> None:
        config.validate()
        self.config = config
        self.obs_dim, self.act_dim = int(obs_dim), int(act_dim)
        # The observation layout (Step.observation_keys) the learner trains on; exported
        # policies and checkpoints carry it so that loaders build the same observation.
        self.observation_keys = ''
        self.image_shape = tuple(image_shape) if image_shape else None
        self.device = resolve_device(device if device is not None else config.run.device)
        self.dtype = resolve_precision(config.train.precision, self.device)
        t = config.train
        self.wm = WorldModel(config, self.obs_dim, self.act_dim, self.image_shape).to(self.device)
        self.ac = ActorCritic(config, self.wm.rssm.feat_dim, self.act_dim).to(self.device)
        fused = {'fused': True} if self.device.type in ('cpu', 'cuda') else {}
        self.wm_opt = torch.optim.Adam(self.wm.parameters(), lr=t.wm_lr, eps=t.wm_eps, **fused)
        self.actor_opt = torch.optim.Adam(
            self.ac.actor.parameters(), lr=t.actor_lr, eps=t.ac_eps, **fused
        )
        self.critic_opt = torch.optim.Adam(
            self.ac.critic.parameters(), lr=t.critic_lr, eps=t.ac_eps, **fused
        )
        self.step = 0  # gradient updates made (continues across checkpoint resumes)

    # ----------------------------------------------------------------- training

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def _to_tensors(self, batch: Mapping[str, np.ndarray]) -> dict[str, torch.Tensor]:
        obs = np.asarray(batch['obs'], dtype=np.float32)
        if obs.ndim != 3 or obs.shape[-1] != self.obs_dim:
            raise ValueError(
                f"batch['obs'] has shape {obs.shape}, expected (B, T, {self.obs_dim})"
            )
        B, T = obs.shape[:2]
        shapes = {
            'action': (B, T, self.act_dim),
            'reward': (B, T),
            'is_first': (B, T),
            'is_terminal': (B, T),
        }
        dtypes = {
            'action': np.float32,
            'reward': np.float32,
            'is_first': np.bool_,
            'is_terminal': np.bool_,
        }
        data = {'obs': torch.from_numpy(obs)}
        for key, shape in shapes.items():
            value = np.asarray(batch[key], dtype=dtypes[key])
            if value.shape != shape:
                raise ValueError(f'batch[{key!r}] has shape {value.shape}, expected {shape}')
            data[key] = torch.from_numpy(value)
        if self.image_shape is not None:
            image = np.asarray(batch['image'], dtype=np.uint8)
            if image.shape != (B, T, *self.image_shape):
                raise ValueError(
                    f"batch['image'] has shape {image.shape}, expected {(B, T, *self.image_shape)}"
                )
            data['image'] = torch.from_numpy(image)
        return {k: v.to(self.device, non_blocking=True) for k, v in data.items()}

    def train_step(self, batch: Mapping[str, np.ndarray]) -> dict[str, float]:
        """One update of world model, actor and critic; returns float metrics.

        Keys: 'obs' (B, T, obs_dim) float32, optional 'image' (B, T, H, W, C) uint8,
        'action' (B, T, act_dim) in [-1, 1], 'reward' (B, T), 'is_first', 'is_terminal'
        (B, T) bool ('is_last' is accepted and not needed).
        """
        t = self.config.train
        data = self._to_tensors(batch)
        self.wm.train()
        # The phases are named for the profiler (python -m benchmarks.profile); outside a
        # profile a scope costs about a microsecond.
        with record_function('world_model.forward'), self._autocast():
            wm_loss, metrics, states = self.wm.loss(data)
        with record_function('world_model.backward'):
            self.wm_opt.zero_grad(set_to_none=True)
            wm_loss.backward()
        with record_function('world_model.step'):
            metrics['wm_grad_norm'] = torch.nn.utils.clip_grad_norm_(
                self.wm.parameters(), t.wm_clip, foreach=True
            )
            self.wm_opt.step()

        deter = states['deter'].detach().flatten(0, 1)
        stoch = states['stoch'].detach().flatten(0, 1)
        start_cont = (~data['is_terminal']).flatten().float()
        if 0 < t.imag_starts < deter.shape[0]:
            index = torch.randperm(deter.shape[0], device=self.device)[: t.imag_starts]
            deter, stoch, start_cont = deter[index], stoch[index], start_cont[index]
        with record_function('actor_critic.forward'), self._autocast():
            ac_loss, ac_metrics = self.ac.loss(self.wm, deter, stoch, start_cont)
        with record_function('actor_critic.backward'):
            self.actor_opt.zero_grad(set_to_none=True)
            self.critic_opt.zero_grad(set_to_none=True)
            ac_loss.backward()
        with record_function('actor_critic.step'):
            metrics['actor_grad_norm'] = torch.nn.utils.clip_grad_norm_(
                self.ac.actor.parameters(), t.actor_clip, foreach=True
            )
            metrics['critic_grad_norm'] = torch.nn.utils.clip_grad_norm_(
                self.ac.critic.parameters(), t.critic_clip, foreach=True
            )
            self.actor_opt.step()
            self.critic_opt.step()
            self.ac.update_slow_critic()
        self.step += 1
        metrics.update(ac_metrics)
        values = torch.stack([v.detach().float().reshape(()) for v in metrics.values()])
        return dict(zip(metrics.keys(), values.tolist(), strict=True))

    # ------------------------------------------------------------------- acting

    def policy_metadata(self, version: int = 0) -> PolicyMetadata:
        """Metadata describing this agent's policy."""
        return PolicyMetadata(
            int(version),
            self.obs_dim,
            self.act_dim,
            self.image_shape,
            self.config.model,
            self.config.name,
            self.observation_keys,
        )

    def policy(self, seed: int | None = None, version: int = 0) -> Policy:
        """Policy sharing this agent's live weights (for acting in the training process)."""
        net = PolicyNet(self.wm.encoder, self.wm.rssm, self.ac.actor)
        return Policy(net, self.policy_metadata(version), seed=seed, device=self.device)

    def export_policy(self, version: int) -> tuple[bytes, str]:
        """Policy weights as safetensors bytes and their sha256 (hex)."""
        if int(version) < 0:
            raise ValueError('policy version must be >= 0')
        return self.policy(version=version).to_bytes()

    # -------------------------------------------------------------- checkpoints

    def save_checkpoint(self, path: str | Path, extra: Mapping[str, Any] | None = None) -> None:
        """Write model, optimisers, counters and RNG state atomically to ``path``.

        ``extra`` (JSON-serialisable) is stored alongside and returned by load.
        """
        tensors: dict[str, torch.Tensor] = {}
        tensors.update({f'wm/{k}': v for k, v in self.wm.state_dict().items()})
        tensors.update({f'ac/{k}': v for k, v in self.ac.state_dict().items()})
        optim: dict[str, Any] = {}
        for name, opt in self._optimizers().items():
            opt_tensors, optim[name] = ckpt.optimizer_state(opt, f'optim/{name}')
            tensors.update(opt_tensors)
        tensors['rng/torch'] = torch.get_rng_state()
        metadata = {
            'format': CHECKPOINT_FORMAT,
            'format_version': CHECKPOINT_FORMAT_VERSION,
            'config': self.config.to_json(),
            'obs_dim': str(self.obs_dim),
            'act_dim': str(self.act_dim),
            'image_shape': json.dumps(list(self.image_shape) if self.image_shape else None),
            'step': str(self.step),
            'observation_keys': self.observation_keys,
            'optim': ckpt.dumps(optim),
            'extra': ckpt.dumps(dict(extra or {})),
        }
        ckpt.save_tensors(path, tensors, metadata)

    def load_checkpoint(self, path: str | Path) -> dict[str, Any]:
        """Restore everything :meth:`save_checkpoint` wrote; returns its ``extra``."""
        tensors, metadata = ckpt.load_tensors(path)
        if metadata.get('format') != CHECKPOINT_FORMAT:
            raise ValueError(
                f'{path}: not a DreamStride checkpoint (format {metadata.get("format")!r})'
            )
        stored = DreamerConfig.from_dict(json.loads(metadata['config']))
        image_shape = json.loads(metadata['image_shape'])
        found = (
            int(metadata['obs_dim']),
            int(metadata['act_dim']),
            tuple(image_shape) if image_shape else None,
            stored.model,
        )
        wanted = (self.obs_dim, self.act_dim, self.image_shape, self.config.model)
        if found != wanted:
            raise ValueError(
                f'{path}: checkpoint architecture {found} does not match this agent {wanted}'
            )
        self.wm.load_state_dict(_section(tensors, 'wm/'), strict=True)
        self.ac.load_state_dict(_section(tensors, 'ac/'), strict=True)
        optim = json.loads(metadata['optim'])
        for name, opt in self._optimizers().items():
            ckpt.load_optimizer_state(opt, tensors, optim[name], f'optim/{name}')
        torch.set_rng_state(tensors['rng/torch'])
        self.step = int(metadata['step'])
        self.observation_keys = metadata.get('observation_keys', '') or self.observation_keys
        return json.loads(metadata.get('extra', '{}'))

    @classmethod
    def from_checkpoint(
        cls, path: str | Path, device: str | torch.device | None = None
    ) -> DreamerLearner:
        """Build an agent with the configuration stored in a checkpoint and load it."""
        _, metadata = ckpt.load_tensors(path)
        config = DreamerConfig.from_dict(json.loads(metadata['config']))
        image_shape = json.loads(metadata['image_shape'])
        agent = cls(
            config,
            int(metadata['obs_dim']),
            int(metadata['act_dim']),
            tuple(image_shape) if image_shape else None,
            device,
        )
        agent.load_checkpoint(path)
        return agent

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {'wm': self.wm_opt, 'actor': self.actor_opt, 'critic': self.critic_opt}

    # ------------------------------------------------------------------ logging

    @torch.no_grad()
    def open_loop_prediction(
        self, batch: Mapping[str, np.ndarray], context: int = 5, sequences: int = 3
    ) -> np.ndarray:
        """Render true vs predicted observations as an (H, W, 3) uint8 image.

        The model filters the first ``context`` steps, then predicts the rest open loop
        from the replayed actions alone (dreams).
        """
        sub = {k: np.asarray(v)[:sequences] for k, v in batch.items()}
        data = self._to_tensors(sub)
        B, T = data['is_first'].shape
        context = max(1, min(context, T - 1))
        self.wm.eval()
        embed = self.wm.encoder(
            data['obs'][:, :context], data['image'][:, :context] if 'image' in data else None
        )
        states = self.wm.rssm.observe(
            embed, data['action'][:, :context], data['is_first'][:, :context]
        )
        deter, stoch = states['deter'][:, -1], states['stoch'][:, -1]
        deters, stochs = [states['deter']], [states['stoch']]
        for step in range(context, T):
            deter, stoch = self.wm.rssm.img_step(deter, stoch, data['action'][:, step - 1])
            deters.append(deter[:, None])
            stochs.append(stoch[:, None])
        feat = features(torch.cat(deters, 1), torch.cat(stochs, 1))
        pred = symexp(self.wm.decoder(feat).float()).cpu().numpy()
        images = None
        if self.wm.image_decoder is not None:
            pred_image = (self.wm.image_decoder(feat).float() + 0.5).clamp(0, 1) * 255
            images = (sub['image'], pred_image.to(torch.uint8).cpu().numpy())
        self.wm.train()
        return render_open_loop(sub['obs'], pred, context, images)


def _section(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
