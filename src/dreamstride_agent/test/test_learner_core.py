# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""LearnerCore without a node: its settings, the ratio lock's maths, and resuming."""

from __future__ import annotations

from pathlib import Path

from dreamstride_agent.learner_core import LearnerCore, LearnerSettings
import pytest


def make_core(tmp_path: Path, **settings) -> LearnerCore:
    return LearnerCore(
        LearnerSettings(tmp_path / 'replay', tmp_path / 'learner', model='tiny', **settings),
        log=lambda level, message: None,
    )


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
        ('run.eval_every=10', 'gym_train only'),
        ('run.eval_episodes=1', 'gym_train only'),
    ],
)
def test_a_run_override_the_learner_would_ignore_is_an_error(tmp_path, override, parameter):
    with pytest.raises(ValueError, match='model_overrides') as refused:
        make_core(tmp_path, overrides=['train.batch=4', override])
    assert parameter in str(refused.value)
    assert override.split('=')[0].strip() in str(refused.value)


def test_the_run_overrides_the_learner_reads_still_apply(tmp_path):
    core = make_core(tmp_path, overrides=['run.replay_capacity=1234', 'train.batch=3'])
    assert core.config.run.replay_capacity == 1234 and core.config.train.batch == 3
