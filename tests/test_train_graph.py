# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The main job, as a user starts it: the default training graph keeps its rate and learns.

Runs ``dreamstride benchmark`` (the graph, parameter files and supervisor of
``dreamstride train --backend mujoco``) for 45 s with a small prefill, then checks what
reached the replay store and what the learner did. The bounds are loose (80 % of the
expected steps) so that a loaded CI machine passes while a starved agent (the
multi-threaded executor stored 6 % of its steps) fails; the benchmark itself reports
the exact numbers.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

SECONDS = 45.0


def test_default_training_graph_stores_its_steps_and_trains(tmp_path, ros_env):
    out = tmp_path / 'benchmark.json'
    cmd = [
        sys.executable,
        '-m',
        'dreamstride_bringup.cli',
        'benchmark',
        '--minutes',
        str(SECONDS / 60.0),
        '--prefill',
        '300',
        '--run-dir',
        str(tmp_path / 'run'),
        '--json',
        str(out),
    ]
    done = subprocess.run(cmd, env=ros_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    r = json.loads(out.read_text())
    print(done.stdout[-2000:])
    assert r['steps_expected'] >= 0.6 * SECONDS * r['rate'], r  # the agent ran most of it
    assert r['stored_fraction'] >= 0.8, r
    assert r['learner_updates'] > 0, r
    assert r['pushes'] >= 1, r
    assert r['segments_refused'] == 0, r
