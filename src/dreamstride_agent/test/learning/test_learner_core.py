# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""LearnerCore without a node: its settings, the ratio lock's maths, and resuming."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from dreamstride_agent.learning.learner_core import POLICY_VERSION, LearnerCore, LearnerSettings
from dreamstride_agent.recording.replay_store import StepRecord
import numpy as np
import pytest

# batch x length: the steps one update replays.
SHAPE = ['train.batch=4', 'train.length=8']
REPLAYED = 4 * 8


def make_core(tmp_path: Path, logs: list | None = None, **settings) -> LearnerCore:
    settings.setdefault('overrides', SHAPE)
    return LearnerCore(
        LearnerSettings(tmp_path / 'replay', tmp_path / 'learner', model='tiny', **settings),
        log=lambda level, message: (logs if logs is not None else []).append(message),
    )


def records(n: int, run_id: str = 'run') -> list[StepRecord]:
    """``n`` steps of one episode, observation 4 and action 2."""
    return [
        StepRecord(
            run_id=run_id,
            seq=i,
            episode_id=0,
            stamp_ns=i * 50_000_000,
            observation=np.full(4, 0.01 * i, np.float32),
            action=np.zeros(2, np.float32),
            reward=1.0,
            is_first=i == 0,
            is_last=False,
            is_terminal=False,
            policy_version=0,
            hold=False,
            image=None,
        )
        for i in range(n)
    ]


def with_updates(core: LearnerCore, steps_stored: int, updates: int) -> LearnerCore:
    """The core with ``steps_stored`` steps loaded and a stand-in learner at ``updates``."""
    if steps_stored:
        assert core._load(records(steps_stored)) == steps_stored
    core.agent = SimpleNamespace(step=updates)
    return core


# --- settings ------------------------------------------------------------------------
@pytest.mark.parametrize(
    'override, parameter',
    [
        ('run.train_ratio=64', "learner parameter 'train_ratio'"),
        (' run.prefill = 100', "learner parameter 'prefill_steps'"),
        ('run.seed=3', "learner parameter 'seed'"),
        ('run.device=cuda', "learner parameter 'device'"),
        ('run.threads=1', "learner parameter 'torch_threads'"),
        ('run.log_every=5', "learner parameter 'log_every'"),
        ('run.checkpoint_every=10', "learner parameter 'checkpoint_every'"),
        ('run.eval_every=10', 'gym_train'),
        ('run.replay_capacity=1234', "learner parameter 'replay_capacity'"),
        ('run.eval_episodes=1', 'gym_train'),
        ('run.no_such_setting=1', 'gym_train'),
    ],
)
def test_a_run_override_the_learner_would_ignore_is_an_error(tmp_path, override, parameter):
    with pytest.raises(ValueError, match='model_overrides') as refused:
        make_core(tmp_path, overrides=['train.batch=4', override])
    assert parameter in str(refused.value)
    assert override.split('=')[0].strip() in str(refused.value)


def test_the_replay_holds_replay_capacity_steps_and_model_overrides_apply(tmp_path):
    core = make_core(tmp_path, replay_capacity=5000, overrides=['train.batch=3'])
    assert core.config.train.batch == 3
    core._load(records(10))
    # Whole blocks of the replay's block size, at least the capacity asked for.
    blocks = core.replay.num_blocks * core.replay.block_size
    assert 5000 <= blocks < 5000 + core.replay.block_size


# --- the ratio lock: how many environment steps the learner allows ---------------------
def test_without_a_train_ratio_nothing_is_locked(tmp_path):
    core = with_updates(make_core(tmp_path, train_ratio=0.0, prefill_steps=10), 50, 10**6)
    assert core.env_step_budget() == 0  # 0: no limit
    assert not core.ahead_of_ratio()


@pytest.mark.parametrize(
    'ratio, updates, budget',
    [
        (16.0, 0, 100 + 10),  # the prefill and the slack, before any update
        (16.0, 25, 100 + 25 * 2 + 10),  # each update replays 32 steps: allows 2 more
        (24.0, 2, 100 + 2 + 10),  # 2 x 32 / 24 = 2.67 steps: whole steps only
        (24.0, 3, 100 + 4 + 10),
        (64.0, 7, 100 + 3 + 10),  # half a step per update
    ],
)
def test_the_budget_is_prefill_plus_replayed_over_ratio_plus_slack(
    tmp_path, ratio, updates, budget
):
    core = make_core(tmp_path, train_ratio=ratio, prefill_steps=100, ratio_slack_steps=10)
    assert with_updates(core, 0, updates).env_step_budget() == budget


def test_the_learner_waits_from_the_update_that_reaches_the_ratio(tmp_path):
    # 150 steps stored, 100 of them prefill: 50 x ratio 16 = 800 replayed = 25 updates.
    core = with_updates(make_core(tmp_path, train_ratio=16.0, prefill_steps=100), 150, 24)
    assert not core.ahead_of_ratio()
    core.agent.step = 25
    assert core.ahead_of_ratio()
    assert core.ratio() == pytest.approx(25 * REPLAYED / 150)  # counted over all steps


@pytest.mark.parametrize('ratio', [1.0, 16.0, 24.0, 32.0, 100.0, 512.0])
@pytest.mark.parametrize('slack', [1, 7, 400])
def test_the_lock_never_leaves_both_sides_waiting(tmp_path, ratio, slack):
    # The simulation pauses once its agents took env_step_budget steps. Once those are
    # stored, the learner must not be waiting for data too, or both wait for good; and
    # without the slack, the steps allowed are ones the learner has already trained for.
    core = make_core(tmp_path, train_ratio=ratio, prefill_steps=20, ratio_slack_steps=slack)
    core = with_updates(core, 0, 0)
    for updates in range(0, 200, 7):
        core.agent.step = updates
        budget = core.env_step_budget()
        core.replay = _Stored(budget)
        assert not core.ahead_of_ratio(), (updates, budget)
        core.replay = _Stored(budget - slack)
        assert core.ahead_of_ratio(), (updates, budget)


class _Stored:
    """A replay holding ``n`` steps (only its length is read)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


# --- resuming: updates and the policy version go on from where they were --------------
def test_a_restart_resumes_the_updates_and_the_policy_version(tmp_path):
    core = make_core(tmp_path)
    core._load(records(40))
    assert core._ensure_agent() and core.policy_version == 0
    core.agent.step = 3  # as after three updates (training itself is tested elsewhere)
    core.export_policy()
    core.export_policy()
    assert (core.policy_version, core.train_step) == (2, 3)
    assert (core.s.logdir / POLICY_VERSION).read_text() == '2\n'
    core.save_checkpoint()

    logs: list[str] = []
    again = make_core(tmp_path, logs)
    again._load(records(40))
    assert again._ensure_agent()
    assert (again.policy_version, again.train_step) == (2, 3)
    assert any('resumed' in line and 'update 3' in line and 'v2' in line for line in logs)
    again.export_policy()
    assert again.latest_export[2] == 3  # never a version an agent already has


def test_versions_exported_after_the_checkpoint_are_not_handed_out_again(tmp_path):
    core = make_core(tmp_path)
    core._load(records(20))
    core._ensure_agent()
    core.export_policy()
    core.save_checkpoint()  # checkpoint at v1; pushes went on to v5 before the restart
    (core.s.logdir / POLICY_VERSION).write_text('5\n')
    logs: list[str] = []
    again = make_core(tmp_path, logs)
    again._load(records(20))
    again._ensure_agent()
    assert again.policy_version == 5 and any('next export is v6' in line for line in logs)


@pytest.mark.parametrize('content', ['', 'garbage\n', '3.5\n'])
def test_an_unreadable_version_file_falls_back_to_the_checkpoint(tmp_path, content):
    core = make_core(tmp_path)
    core._load(records(20))
    core._ensure_agent()
    core.export_policy()
    core.export_policy()
    core.save_checkpoint()
    (core.s.logdir / POLICY_VERSION).write_text(content)
    again = make_core(tmp_path)
    again._load(records(20))
    again._ensure_agent()
    assert again.policy_version == 2
