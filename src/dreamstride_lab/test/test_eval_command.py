# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""`dreamstride eval`, as a user runs it: the in-process evaluation films and reports."""

import json
import subprocess
import sys


def test_eval_writes_a_video(tmp_path, ros_env):
    import imageio.v2 as imageio

    out = subprocess.run(
        [
            sys.executable,
            '-m',
            'dreamstride_bringup.cli',
            'eval',
            '--run-dir',
            str(tmp_path),
            '--episodes',
            '1',
            '--episode-length',
            '30',
            '--initial-pose',
            'on_back',
        ],
        env=ros_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert 'start 0: reward/step' in out.stdout
    frames = [f for f in imageio.get_reader(str(tmp_path / 'eval.mp4'))]  # len() is inf
    assert len(frames) == 30 and frames[0].shape == (240, 320, 3)
    assert frames[0].std() > 10  # a rendered scene, not a blank frame
    summary = json.loads((tmp_path / 'eval.json').read_text())
    assert summary['episodes'] == 1 and summary['policy'] == 'random'
