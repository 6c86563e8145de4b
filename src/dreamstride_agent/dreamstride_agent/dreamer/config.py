# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Typed Dreamer configuration: named sizes, YAML files and ``--set`` overrides.

A configuration is four dataclasses (model architecture, loss scales, optimisation and
imagination, run loop), collected in :class:`DreamerConfig`. Named sizes are functions of
the defaults; :func:`load_config` layers a named size, an optional YAML file and overrides
such as ``model.deter=128`` (in that order), checking every key and type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import dataclasses
from dataclasses import dataclass, field
import json
import math
from pathlib import Path
import typing
from typing import Any

import yaml


@dataclass
class ModelConfig:
    """World model and actor-critic architecture (everything the policy bytes must carry)."""

    deter: int = 256  # GRU (deterministic) state size
    hidden: int = 512  # RSSM hidden layer width (image/observation steps, prior head)
    stoch: int = 32  # number of categorical latents
    classes: int = 32  # classes per categorical latent
    units: int = 512  # MLP width of encoder, decoders, heads, actor and critic
    layers: int = 2  # MLP depth of encoder and decoders
    head_layers: int = 2  # MLP depth of reward, continue, actor and critic
    norm: str = 'layer'  # 'layer' (LayerNorm) or 'rms' (RMSNorm)
    unimix: float = 0.01  # uniform mixture on latent and (not used) action distributions
    cnn_depth: int = 32  # channels of the first conv layer (64x64 image only)
    bins: int = 255  # two-hot bins of reward and critic (symexp spaced)
    action_min_std: float = 0.1
    action_max_std: float = 1.0
    # Logit offset of the actor's std: zero logits (an untrained actor) give
    # (max_std - min_std) * sigmoid(offset) + min_std. 2.0 is DreamerV3's (std 0.89).
    action_std_offset: float = 2.0


@dataclass
class LossConfig:
    """World-model loss scales (DreamerV3)."""

    dyn: float = 0.5  # dynamics KL: trains the prior towards the (stopped) posterior
    rep: float = 0.1  # representation KL: trains the posterior towards the (stopped) prior
    free_nats: float = 1.0  # free bits, per step, on each KL term
    decoder: float = 1.0
    reward: float = 1.0
    cont: float = 1.0


@dataclass
class TrainConfig:
    """Optimisation and imagination."""

    batch: int = 32
    length: int = 32
    wm_lr: float = 1e-4
    actor_lr: float = 1e-4
    critic_lr: float = 1e-4
    wm_eps: float = 1e-8
    ac_eps: float = 1e-5
    wm_clip: float = 1000.0  # global gradient norm clip per module
    actor_clip: float = 100.0
    critic_clip: float = 100.0
    horizon: int = 15
    discount: float = 0.997  # gamma; 1 / (1 - gamma) = 333 steps
    lam: float = 0.95  # lambda of the lambda-returns
    entropy: float = 3e-4  # actor entropy regulariser
    retnorm_decay: float = 0.01  # EMA rate of the 5th/95th return percentiles
    retnorm_limit: float = 1.0  # floor of the return scale
    retnorm_low: float = 5.0
    retnorm_high: float = 95.0
    slow_critic_rate: float = 0.02  # EMA rate of the slow critic target
    slow_reg: float = 1.0  # critic regulariser towards the slow critic
    imag_starts: int = 0  # imagination start states per update (0: all batch x length)
    # 'dynamics': backpropagate returns through the world model (continuous actions, as in
    # DreamerV3's continuous-control runs and its PyTorch port); 'reinforce': score function.
    actor_grad: str = 'dynamics'
    precision: str = 'auto'  # 'auto', 'float32' or 'bfloat16' (autocast of matmuls)


@dataclass
class RunConfig:
    """gym_train's training loop.

    The learner node has its own parameters for each of these (LearnerSettings) and
    refuses ``run.*`` overrides, so one setting never has two homes in one process.
    """

    seed: int = 0
    device: str = 'auto'  # 'auto', 'cpu' or 'cuda' (a missing CUDA is an error)
    threads: int = 0  # torch intra-op threads (0: leave torch's default)
    train_ratio: float = 512.0  # replayed steps (batch x length per update) per env step
    prefill: int = 5000  # environment steps of random actions before training
    replay_capacity: int = 1_000_000
    log_every: int = 100  # updates between loss logs
    eval_every: int = 5000  # environment steps between evaluations (0: never)
    eval_episodes: int = 3
    checkpoint_every: int = 0  # updates between checkpoints (0: only at the end)


@dataclass
class DreamerConfig:
    """Complete Dreamer configuration."""

    name: str = 'daydreamer'
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        """Return a plain nested dict (JSON and YAML serialisable)."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """Return the configuration as compact, key-sorted JSON."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(',', ':'))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DreamerConfig:
        """Build from a nested dict; unknown keys and wrong types are errors."""
        config = cls()
        apply_overrides(config, data)
        config.validate()
        return config

    def validate(self) -> None:
        """Raise ValueError when a value is out of its range."""
        m, t = self.model, self.train
        positive = {
            'model.deter': m.deter,
            'model.hidden': m.hidden,
            'model.stoch': m.stoch,
            'model.classes': m.classes,
            'model.units': m.units,
            'model.layers': m.layers,
            'model.head_layers': m.head_layers,
            'model.cnn_depth': m.cnn_depth,
            'train.batch': t.batch,
            'train.length': t.length,
            'train.horizon': t.horizon,
        }
        for key, value in positive.items():
            if not 0 < value <= 1_000_000:
                raise ValueError(f'{key} must be in 1..1000000, got {value}')
        if m.bins < 3 or m.bins % 2 == 0 or m.bins > 10_001:
            raise ValueError(f'model.bins must be odd and in 3..10001, got {m.bins}')
        if m.norm not in ('layer', 'rms'):
            raise ValueError(f"model.norm must be 'layer' or 'rms', got {m.norm!r}")
        if not 0.0 <= m.unimix < 1.0:
            raise ValueError(f'model.unimix must be in [0, 1), got {m.unimix}')
        if not 0.0 < m.action_min_std <= m.action_max_std:
            raise ValueError('need 0 < model.action_min_std <= model.action_max_std')
        if not -20.0 <= m.action_std_offset <= 20.0:
            raise ValueError(
                f'model.action_std_offset must be in [-20, 20], got {m.action_std_offset}'
            )
        if t.actor_grad not in ('reinforce', 'dynamics'):
            raise ValueError(
                f"train.actor_grad must be 'reinforce' or 'dynamics', got {t.actor_grad!r}"
            )
        if t.precision not in ('auto', 'float32', 'bfloat16'):
            raise ValueError(
                f"train.precision must be 'auto', 'float32' or 'bfloat16', got {t.precision!r}"
            )
        if not 0.0 < t.discount <= 1.0 or not 0.0 <= t.lam <= 1.0:
            raise ValueError('train.discount must be in (0, 1] and train.lam in [0, 1]')
        if self.run.device not in ('auto', 'cpu', 'cuda') and not self.run.device.startswith(
            'cuda:'
        ):
            raise ValueError(
                f"run.device must be 'auto', 'cpu' or 'cuda', got {self.run.device!r}"
            )


# Std of an untrained actor in the robot presets. Zero actions are the standing pose, and
# a review of the learner found that Spot keeps standing only under action noise of std
# up to about 0.15; DreamerV3's offset (std 0.89 at zero logits) starts far above that.
ROBOT_INIT_STD = 0.15


def std_offset(init_std: float, min_std: float, max_std: float) -> float:
    """Return the ``action_std_offset`` at which zero logits give ``init_std``."""
    if not min_std < init_std < max_std:
        raise ValueError(
            f'init_std must lie strictly between {min_std} and {max_std}, got {init_std}'
        )
    fraction = (init_std - min_std) / (max_std - min_std)
    return math.log(fraction / (1.0 - fraction))


def _robot_std(config: DreamerConfig) -> None:
    m = config.model
    m.action_std_offset = std_offset(ROBOT_INIT_STD, m.action_min_std, m.action_max_std)


def _daydreamer() -> DreamerConfig:
    # DayDreamer's A1 agent: deter 256, 32x32 latents, 4x512 MLP encoder/decoder,
    # batch 32 x 32, all learning rates 1e-4.
    config = DreamerConfig(name='daydreamer')
    config.model.layers = 4
    _robot_std(config)
    return config


def _small() -> DreamerConfig:
    # DreamerV3 'S' (2023 release).
    config = DreamerConfig(name='small')
    config.model = ModelConfig(deter=512, hidden=512, units=512, layers=2, head_layers=2)
    config.train.batch, config.train.length = 16, 64
    config.train.actor_lr = config.train.critic_lr = 3e-5
    return config


def _cpu() -> DreamerConfig:
    # Sized for a 2-core CPU learner: smaller MLPs and a quarter of the imagination
    # starts, so that updates keep pace with a 20 Hz robot at a useful train ratio.
    config = DreamerConfig(name='cpu')
    config.model = ModelConfig(
        deter=256,
        hidden=256,
        stoch=32,
        classes=16,
        units=256,
        layers=2,
        head_layers=2,
        cnn_depth=16,
    )
    config.train.batch, config.train.length = 16, 64
    config.train.wm_lr, config.train.actor_lr, config.train.critic_lr = 3e-4, 1e-4, 1e-4
    config.train.imag_starts = 256
    _robot_std(config)
    return config


def _tiny() -> DreamerConfig:
    # For tests: runs in milliseconds per update, learns small problems in seconds.
    config = DreamerConfig(name='tiny')
    config.model = ModelConfig(
        deter=64, hidden=64, stoch=8, classes=8, units=64, layers=1, head_layers=1, cnn_depth=4
    )
    config.train.batch, config.train.length = 8, 16
    config.train.wm_lr, config.train.actor_lr, config.train.critic_lr = 1e-3, 3e-4, 3e-4
    config.train.precision = 'float32'
    # One thread: a model this small gains nothing from two, and loses a lot when the
    # cores are shared (OpenMP threads spin waiting for each other).
    config.run.threads = 1
    config.run.prefill = 1000
    config.run.train_ratio = 128.0
    config.run.replay_capacity = 100_000
    config.run.log_every = 50
    config.run.eval_every = 1000
    return config


SIZES: dict[str, Callable[[], DreamerConfig]] = {
    'daydreamer': _daydreamer,
    'small': _small,
    'cpu': _cpu,
    'tiny': _tiny,
}


def _parse_value(key: str, raw: Any, kind: Any) -> Any:
    if isinstance(raw, str) and kind is not str:
        text = raw.strip()
        try:
            # YAML 1.1 reads '3e-4' as a string; Python's number syntax covers it.
            raw = int(text) if kind is int else float(text) if kind is float else text
        except ValueError:
            raw = yaml.safe_load(text)
    if kind is bool:
        if not isinstance(raw, bool):
            raise ValueError(f'{key} expects true/false, got {raw!r}')
        return raw
    if kind is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            if isinstance(raw, float) and raw.is_integer():
                return int(raw)
            raise ValueError(f'{key} expects an integer, got {raw!r}')
        return raw
    if kind is float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ValueError(f'{key} expects a number, got {raw!r}')
        return float(raw)
    if kind is str:
        if not isinstance(raw, str):
            raise ValueError(f'{key} expects a string, got {raw!r}')
        return raw
    raise ValueError(f'{key}: unsupported field type {kind!r}')


def _set(config: DreamerConfig, key: str, raw: Any) -> None:
    parts = key.split('.')
    target: Any = config
    for depth, part in enumerate(parts):
        hints = typing.get_type_hints(type(target))
        if part not in hints:
            known = ', '.join(sorted(hints))
            where = '.'.join(parts[:depth]) or 'the configuration'
            raise ValueError(f'unknown config key {key!r}: {where} has {known}')
        kind = hints[part]
        if depth == len(parts) - 1:
            if dataclasses.is_dataclass(kind):
                if not isinstance(raw, Mapping):
                    raise ValueError(f'{key} is a section; give a mapping or {key}.<field>')
                for sub, value in raw.items():
                    _set(config, f'{key}.{sub}', value)
            else:
                setattr(target, part, _parse_value(key, raw, kind))
            return
        target = getattr(target, part)
        if not dataclasses.is_dataclass(target):
            raise ValueError(f'unknown config key {key!r}: {part} is not a section')


def apply_overrides(
    config: DreamerConfig, overrides: Mapping[str, Any] | Sequence[str] | None
) -> DreamerConfig:
    """Apply ``['model.deter=128', ...]`` or ``{'model': {'deter': 128}}`` in place."""
    if overrides is None:
        return config
    if isinstance(overrides, Mapping):
        for key, value in overrides.items():
            _set(config, str(key), value)
        return config
    for item in overrides:
        key, sep, value = str(item).partition('=')
        if not sep or not key.strip():
            raise ValueError(f'override {item!r} is not of the form section.key=value')
        _set(config, key.strip(), value.strip())
    return config


def load_config(
    name: str = 'daydreamer',
    overrides: Sequence[str] | Mapping[str, Any] | None = None,
    yaml_path: str | Path | None = None,
) -> DreamerConfig:
    """Return the named size, updated by a YAML file and then by overrides.

    The YAML file is a nested mapping of the sections to change (``model: {deter: 128}``).
    """
    if name not in SIZES:
        raise ValueError(f'unknown config size {name!r}; known: {", ".join(SIZES)}')
    config = SIZES[name]()
    if yaml_path is not None:
        data = yaml.safe_load(Path(yaml_path).read_text()) or {}
        if not isinstance(data, Mapping):
            raise ValueError(f'{yaml_path}: expected a mapping of config sections')
        apply_overrides(config, data)
    apply_overrides(config, overrides)
    config.validate()
    return config
