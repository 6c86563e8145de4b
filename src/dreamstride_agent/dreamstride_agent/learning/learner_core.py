# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The learner's work without ROS: load the store, train, checkpoint, export, log.

LearnerCore.run() is the training thread of the learner node and also works on its
own (offline training from a replay store). The node reads snapshot() for its status
and latest_export for the policy push.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
import threading
import time
from typing import Any

from dreamstride_agent.config_fields import described, description_of, range_of
from dreamstride_agent.every import Every
from dreamstride_agent.recording.replay_store import (
    SegmentError,
    StepLayout,
    iter_store,
    make_typestore,
    segment_key,
)
import numpy as np
from spot_description.parameters import ParameterSpec

CHECKPOINT = 'checkpoint.safetensors'
# The last policy version exported, written at every export. Pushes are more frequent than
# checkpoints, so after a restart the checkpoint's version can be older than the policy an
# agent runs; agents refuse versions that are not newer, so numbering goes on from here.
POLICY_VERSION = 'policy_version.txt'


@dataclass
class LearnerSettings:
    """What the learner node's parameters configure (see :func:`learner_parameters`)."""

    replay_dir: Path = described(
        'Replay store to train from (closed rosbag2 segments), with the robot stores '
        'directly under it (replay_dir/<robot>/, several robots).',
        Path('replay'),
    )
    logdir: Path = described(
        'TensorBoard event files and checkpoints go here.', Path('logs/learner')
    )
    model: str = described(
        "Dreamer configuration preset ('tiny', 'cpu', 'daydreamer', 'small').", 'daydreamer'
    )
    overrides: list[str] = described(
        "Overrides of the preset, e.g. ['train.batch=16']; run.* keys are refused: they "
        "configure gym_train's loop, and the parameters here set the learner's.",
        factory=list,
    )
    device: str = described(
        "Torch device: 'cpu', 'cuda' or 'auto' (a missing cuda is an error).", 'cpu'
    )
    prefill_steps: int = described('Environment steps in the store before training starts.', 5000)
    replay_capacity: int = described(
        'Most environment steps the replay holds in memory; beyond it the oldest go first '
        "(the store on disk keeps every step). DreamerV3's and DayDreamer's 10^6.",
        1_000_000,
    )
    prefill_policy: bool = described(
        'Push the untrained policy as soon as the store has its first steps, so the prefill '
        'is collected by the initial actor instead of uniform random actions.',
        False,
    )
    train_ratio: float = described(
        'Replayed steps per collected step (0: train as fast as possible). On a simulation '
        'backend the ratio is locked: the simulation pauses at env_step_budget.',
        0.0,
    )
    sync_every: float = described('Seconds between policy pushes to the agents.', 20.0)
    checkpoint_every: float = described('Seconds between checkpoints.', 120.0)
    scan_every: float = described('Seconds between looks for new replay segments.', 2.0)
    log_every: int = described('Updates between TensorBoard scalar writes.', 25)
    image_every: float = described(
        'Seconds between open-loop prediction images (0: never).', 300.0
    )
    seed: int = described('Seed of replay sampling and network initialisation.', 0)
    torch_threads: int = described('Torch intra-op threads (0: torch default).', 0)
    max_updates: int = described('Stop after this many updates (0: never); offline runs.', 0)
    # More than a segment plus a scan interval of steps, so the lock never waits for a
    # segment to close.
    ratio_slack_steps: int = described(
        'Environment steps the collection may run ahead of train_ratio (ratio lock).', 400
    )
    step_layout: StepLayout | None = described(
        'The sizes every replay segment must have; None: the first accepted segment fixes them.',
        None,
    )


# ROS parameter -> LearnerSettings field, for the settings the learner node sets.
SETTINGS_PARAMETERS = {
    'replay_dir': 'replay_dir',
    'logdir': 'logdir',
    'model': 'model',
    'model_overrides': 'overrides',
    'device': 'device',
    'prefill_steps': 'prefill_steps',
    'prefill_policy': 'prefill_policy',
    'replay_capacity': 'replay_capacity',
    'train_ratio': 'train_ratio',
    'ratio_slack_steps': 'ratio_slack_steps',
    'sync_every': 'sync_every',
    'checkpoint_every': 'checkpoint_every',
    'scan_every': 'scan_every',
    'log_every': 'log_every',
    'image_every': 'image_every',
    'seed': 'seed',
    'torch_threads': 'torch_threads',
}
_PATH_FIELDS = ('replay_dir', 'logdir')


def learner_parameters() -> list[ParameterSpec]:
    """Return the learner's settings parameters, defaults and descriptions from the fields."""
    defaults = LearnerSettings()
    specs = []
    for name, attr in SETTINGS_PARAMETERS.items():
        value = getattr(defaults, attr)
        if isinstance(value, Path):
            value = str(value)
        elif isinstance(value, list) and not value:
            value = ['']  # an empty list would not fix the parameter's type
        specs.append(
            ParameterSpec(
                name,
                value,
                description_of(LearnerSettings, attr),
                range=range_of(LearnerSettings, attr),
            )
        )
    return specs


def learner_settings_from_parameters(values: Mapping[str, Any]) -> LearnerSettings:
    """Build LearnerSettings from the learner's parameter values (others are ignored)."""
    kwargs: dict[str, Any] = {}
    for name, attr in SETTINGS_PARAMETERS.items():
        if name not in values:
            continue
        value = values[name]
        if attr in _PATH_FIELDS:
            value = Path(value).expanduser()
        elif attr == 'overrides':
            value = [o for o in value if o]
        kwargs[attr] = value
    return LearnerSettings(**kwargs)


# The Dreamer configuration's ``run.*`` section is gym_train's training loop. The learner
# takes each of these from its own parameters (or, for evaluation, has none of them): as a
# model override they would do nothing, so they are refused, naming the parameter.
_RUN_OVERRIDES_OWNED = {
    'run.train_ratio': 'train_ratio',
    'run.prefill': 'prefill_steps',
    'run.seed': 'seed',
    'run.device': 'device',
    'run.threads': 'torch_threads',
    'run.log_every': 'log_every',
    'run.checkpoint_every': 'checkpoint_every',  # in seconds there, not updates
    'run.replay_capacity': 'replay_capacity',
    'run.eval_every': None,
    'run.eval_episodes': None,
}


def check_model_overrides(overrides: list[str]) -> None:
    """Refuse a model override of a ``run.*`` setting that the learner does not read.

    Raises ValueError naming the override and the learner parameter to set instead.
    """
    for item in overrides:
        key = str(item).partition('=')[0].strip()
        if not key.startswith('run.'):
            continue
        parameter = _RUN_OVERRIDES_OWNED.get(key)
        instead = (
            f"set the learner parameter '{parameter}' instead"
            if parameter
            else "it configures gym_train's loop only (the learner does not evaluate)"
        )
        raise ValueError(
            f'model_overrides {item!r}: the learner does not read {key} from the Dreamer '
            f'configuration; {instead}'
        )


def _default_log(level: str, message: str) -> None:
    print(f'[{level}] {message}', flush=True)


class LearnerCore:
    """Train a DreamerLearner from a growing replay store."""

    def __init__(
        self, settings: LearnerSettings, log: Callable[[str, str], None] = _default_log
    ) -> None:
        from dreamstride_agent.dreamer.config import load_config
        from dreamstride_agent.dreamer.learner import DreamerLearner
        from dreamstride_agent.dreamer.replay import Replay
        import torch
        from torch.utils.tensorboard import SummaryWriter

        check_model_overrides(settings.overrides)
        self.s = settings
        self.log = log
        if settings.torch_threads:
            torch.set_num_threads(settings.torch_threads)
        self.config = load_config(settings.model, settings.overrides)
        self._DreamerLearner = DreamerLearner
        self._Replay = Replay
        # Built when the first stored steps tell the observation and action sizes.
        self.agent = None
        self.replay = None
        self.rng = np.random.default_rng(settings.seed or None)
        self.typestore = make_typestore()
        # By segment_key: <segment>, or <robot>/<segment> in a robot's store.
        self.loaded: set[str] = set()
        self.refused: dict[str, str] = {}  # segment key -> why it was refused
        self.robot_steps: dict[str, int] = {}  # steps added, by robot (Step.header.frame_id)
        self.layout = settings.step_layout  # fixed by the first accepted segment if None
        self.s.logdir.mkdir(parents=True, exist_ok=True)
        self.writer = SummaryWriter(str(self.s.logdir))
        self.policy_version = 0
        self.latest_export: tuple[bytes, str, int] | None = None
        self.latest_export_time = 0.0  # time.monotonic() of the latest export
        self.state = 'waiting_for_prefill'
        self.message = ''
        self.losses: dict[str, float] = {}
        self._update_times: deque[float] = deque(maxlen=200)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._recent_rewards: deque[float] = deque(maxlen=5000)

    # --- replay -------------------------------------------------------------------
    def scan_store(self) -> int:
        """Load closed segments not loaded yet; return the number of new steps.

        Never raises for what a segment holds: a segment that cannot be read, or whose
        steps do not fit the replay (another layout, empty action, NaN/Inf), is refused
        by name and reason, counted in ``refused``, logged once and never read again.
        """
        added = 0
        try:
            for segment, result in iter_store(
                self.s.replay_dir,
                self.typestore,
                skip=self.loaded | set(self.refused),
                layout=self.layout,
            ):
                key = segment_key(segment, self.s.replay_dir)
                if isinstance(result, SegmentError):
                    self._refuse(key, str(result))
                    continue
                try:
                    added += self._load(result)
                except Exception as exc:  # noqa: BLE001 - one bad segment must not stop training
                    self._refuse(
                        key,
                        f'{key}: cannot be loaded into the replay ({type(exc).__name__}: {exc})',
                    )
                    continue
                self.loaded.add(key)
                self.writer.add_scalar('replay/segments', len(self.loaded), self.train_step)
        except OSError as exc:  # the store itself (not a segment): try again next scan
            self.log('warning', f'cannot list the replay store {self.s.replay_dir}: {exc}')
        return added

    def _refuse(self, name: str, reason: str) -> None:
        self.refused[name] = reason
        self.log('error', f'replay segment refused, training on the rest: {reason}')

    def _load(self, records: list) -> int:
        """Add one accepted segment's steps; the first one fixes the layout and the replay."""
        if records and self.layout is None:
            self.layout = StepLayout.of(records[0])
        if records and self.replay is None:
            self.replay = self._Replay(
                self.s.replay_capacity,
                self.layout.observation_size,
                self.layout.action_size,
                image_shape=self.layout.image_shape,
                max_length=self.config.train.length,
            )
        added = 0
        for r in records:
            step = {
                'obs': r.observation,
                'action': r.action,
                'reward': r.reward,
                'is_first': r.is_first,
                'is_last': r.is_last,
                'is_terminal': r.is_terminal,
            }
            if r.image is not None:
                step['image'] = r.image
            # (run_id, seq) is unique across robots and restarts: every agent process
            # draws a random run_id, and its seq counts its steps.
            if self.replay.add(step, key=(r.run_id, r.seq)):
                added += 1
                self._recent_rewards.append(r.reward)
                self.robot_steps[r.robot] = self.robot_steps.get(r.robot, 0) + 1
        return added

    @property
    def train_step(self) -> int:
        """Updates made so far (continues across resumes)."""
        return int(self.agent.step) if self.agent is not None else 0

    def _ensure_agent(self) -> bool:
        if self.agent is not None:
            return True
        if self.replay is None:
            return False
        self.agent = self._DreamerLearner(
            self.config,
            self.replay.obs_dim,
            self.replay.act_dim,
            image_shape=self.replay.image_shape,
            device=self.s.device,
        )
        self.agent.observation_keys = self.layout.observation_keys if self.layout else ''
        checkpoint = self.s.logdir / CHECKPOINT
        if checkpoint.exists():
            extra = self.agent.load_checkpoint(checkpoint)
            self.policy_version = int(extra.get('policy_version', 0))
            self.log(
                'info',
                f'resumed from {checkpoint} at update {self.train_step}, '
                f'policy v{self.policy_version}',
            )
        exported = self._exported_version()
        if exported > self.policy_version:
            self.log(
                'info',
                f'policy v{exported} was exported before the restart; the next '
                f'export is v{exported + 1}',
            )
            self.policy_version = exported
        return True

    def _exported_version(self) -> int:
        try:
            return int((self.s.logdir / POLICY_VERSION).read_text().strip())
        except (OSError, ValueError):
            return 0

    # --- training -----------------------------------------------------------------
    def replay_steps(self) -> int:
        """Distinct environment steps loaded."""
        return 0 if self.replay is None else len(self.replay)

    def ratio(self) -> float:
        """Replayed steps per environment step so far."""
        if not self.replay_steps():
            return 0.0
        t = self.config.train
        return self.train_step * t.batch * t.length / self.replay_steps()

    def env_step_budget(self) -> int:
        """Environment steps that may have been collected by now (0: no limit).

        With ``train_ratio`` R, after the prefill every update allows batch x length / R
        more steps, as DreamerV3's ratio counts from the end of the prefill (the prefill is
        not trained back); plus ``ratio_slack_steps``. A simulation that pauses at this
        budget can never outrun the learner, whatever the machine's speed.
        """
        if self.s.train_ratio <= 0:
            return 0
        t = self.config.train
        allowed = self.train_step * t.batch * t.length / self.s.train_ratio
        return int(self.s.prefill_steps + allowed) + self.s.ratio_slack_steps

    def ahead_of_ratio(self) -> bool:
        """Whether the updates made already reach train_ratio for the steps after the prefill."""
        if self.s.train_ratio <= 0:
            return False
        t = self.config.train
        collected = max(0, self.replay_steps() - self.s.prefill_steps)
        return self.train_step * t.batch * t.length >= collected * self.s.train_ratio

    def run(self) -> None:
        """Train until stop() (the learner node's training thread)."""
        try:
            self._run()
        except Exception as exc:  # reported in the status, then re-raised
            self.state, self.message = 'error', f'{type(exc).__name__}: {exc}'
            self.log('fatal', f'training stopped: {self.message}')
            raise
        finally:
            self.save_checkpoint()
            self.writer.flush()

    def _run(self) -> None:
        scan = Every(self.s.scan_every)
        sync = Every(self.s.sync_every)
        checkpoint = Every(self.s.checkpoint_every, first=False)
        image = Every(self.s.image_every)
        while not self._stop.is_set():
            if scan():
                self.scan_store()
                self.writer.add_scalar('replay/steps', self.replay_steps(), self.train_step)
                if len(self.robot_steps) > 1:  # several robots: how much each one gave
                    for robot, steps in self.robot_steps.items():
                        self.writer.add_scalar(f'replay/steps_of/{robot}', steps, self.train_step)
            if not self._ready_to_train():
                continue
            self.state, self.message = 'training', ''
            self._update()
            if sync() or self.latest_export is None:
                self.export_policy()
            if checkpoint():
                self.save_checkpoint()
            if image():
                self._log_image()
            if self.s.max_updates and self.train_step >= self.s.max_updates:
                break

    def _ready_to_train(self) -> bool:
        """Whether to update now; otherwise say why in the state and wait a moment."""
        if self.replay_steps() < max(self.s.prefill_steps, 1) or not self._ensure_agent():
            self.state = 'waiting_for_prefill'
            if (
                self.s.prefill_policy
                and self.latest_export is None
                and self.replay_steps()
                and self._ensure_agent()
            ):
                # The initial actor (small std around the standing targets on the robot
                # presets) collects the prefill: see prefill_policy's description.
                self.export_policy()
            self.message = f'{self.replay_steps()}/{self.s.prefill_steps} steps'
            self._stop.wait(0.2)
            return False
        if self.ahead_of_ratio():
            self.state, self.message = 'idle', 'train ratio reached; waiting for data'
            self._stop.wait(0.05)
            return False
        return True

    def _update(self) -> None:
        t = self.config.train
        batch = self.replay.sample(t.batch, t.length, self.rng)
        metrics = self.agent.train_step(batch)
        self._update_times.append(time.monotonic())
        with self._lock:
            self.losses = {
                'world_model': metrics['world_model_loss'],
                'kl': metrics['kl_loss'],
                'actor': metrics['actor_loss'],
                'critic': metrics['critic_loss'],
            }
        step = self.train_step
        if step % max(self.s.log_every, 1) == 0:
            for key, value in metrics.items():
                self.writer.add_scalar(f'train/{key}', float(value), step)
            self.writer.add_scalar('learner/updates_per_second', self.updates_per_second(), step)
            self.writer.add_scalar('learner/train_ratio', self.ratio(), step)
            self.writer.add_scalar('replay/steps', self.replay_steps(), step)
            if self._recent_rewards:
                self.writer.add_scalar(
                    'replay/mean_reward', float(np.mean(self._recent_rewards)), step
                )
            self.writer.add_scalar('policy/version', self.policy_version, step)

    def _log_image(self) -> None:
        t = self.config.train
        try:
            batch = self.replay.sample(min(t.batch, 4), t.length, self.rng)
            image = self.agent.open_loop_prediction(batch)
            self.writer.add_image(
                'world_model/open_loop', image, self.train_step, dataformats='HWC'
            )
        except Exception as exc:  # noqa: BLE001 - a plot must never stop training
            self.log('warning', f'open-loop image failed: {exc}')

    def export_policy(self) -> None:
        """Export the current policy as the next version for the node to push."""
        from dreamstride_agent.dreamer.checkpoint import write_atomic

        self.policy_version += 1
        data, sha256 = self.agent.export_policy(self.policy_version)
        write_atomic(self.s.logdir / POLICY_VERSION, f'{self.policy_version}\n'.encode())
        self.latest_export = (data, sha256, self.policy_version)
        self.latest_export_time = time.monotonic()
        self.writer.add_scalar('policy/version', self.policy_version, self.train_step)

    def note_push_accepted(self, version: int) -> None:
        """Record that an agent accepted ``version`` (for TensorBoard)."""
        self.writer.add_scalar('policy/accepted_version', version, self.train_step)

    def save_checkpoint(self) -> None:
        """Write the checkpoint (atomically: temp file + rename) with the policy version."""
        if self.agent is None:
            return
        self.agent.save_checkpoint(
            self.s.logdir / CHECKPOINT, extra={'policy_version': self.policy_version}
        )

    # --- status -------------------------------------------------------------------
    def updates_per_second(self) -> float:
        """Return updates per second over the recent updates."""
        times = self._update_times
        if len(times) < 2 or time.monotonic() - times[-1] > 5.0:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def snapshot(self) -> dict:
        """Return the numbers the status message carries."""
        with self._lock:
            losses = dict(self.losses)
        return {
            'state': self.state,
            'message': self.message,
            'train_step': self.train_step,
            'updates_per_second': self.updates_per_second(),
            'replay_steps': self.replay_steps(),
            'replay_segments': len(self.loaded),
            'replay_segments_refused': len(self.refused),
            'train_ratio': self.ratio(),
            'losses': losses,
            'policy_version': self.policy_version,
            'env_step_budget': self.env_step_budget(),
        }

    def stop(self) -> None:
        """Ask the training loop to finish (it checkpoints on the way out)."""
        self._stop.set()
