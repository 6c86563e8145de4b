# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""A learner whose training thread fails exits with code 1, so the run stops."""

import subprocess

import pytest
from ros_helpers import start_node
from store_steps import good

pytestmark = pytest.mark.slow


def test_training_thread_failure_exits_non_zero(tmp_path, ros_env):
    replay = tmp_path / 'replay'
    good(replay, 'seg_00001', 'run', n=20)
    # The first update needs the model on the device: 'cuda' on a machine without one
    # fails inside the training thread, after the prefill (the node itself starts fine).
    proc = start_node(
        'dreamstride_agent.learning.learner_node',
        {
            'replay_dir': str(replay),
            'logdir': str(tmp_path / 'learner'),
            'model': 'tiny',
            'prefill_steps': 10,
            'device': 'cuda',
            'scan_every': 0.5,
        },
        ros_env,
        tmp_path / 'learner.log',
    )
    try:
        code = proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    log = (tmp_path / 'learner.log').read_text()
    assert code == 1, log[-2000:]
    assert 'training thread failed' in log, log[-2000:]
