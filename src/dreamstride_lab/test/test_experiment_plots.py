# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""curve.png is drawn from the training curve and the evaluations, a smoke run's too."""

import argparse

from dreamstride_lab.experiment_plots import plot_curves


def test_the_figure_is_written(tmp_path):
    curve = [
        {
            'env_step_end': 1000 * i,
            'wall_minutes': i,
            'mean_reward': 5.0 + i,
            'mean_forward_velocity': 0.01 * i,
        }
        for i in range(1, 4)
    ]
    evaluation = {'mean_reward_per_step': 8.0, 'mean_speed_along_heading': 0.1}
    evals = [
        {
            'policy': 'update_0000100.safetensors',
            'env_steps': 2000,
            'wall_s': 120.0,
            **evaluation,
            'net_speed_along_command': 0.05,
        },
        {
            'policy': 'random',
            'env_steps': '',
            'wall_s': '',
            **evaluation,
            'net_speed_along_command': 0.0,
        },
    ]
    out = tmp_path / 'curve.png'
    plot_curves(out, curve, evals, argparse.Namespace(speed=2.0, smoke=True))
    assert out.read_bytes()[:4] == b'\x89PNG' and out.stat().st_size > 10_000
