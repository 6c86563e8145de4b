# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The best snapshot is chosen by the walk criterion's physics, not by the reward."""

import math

from dreamstride_lab.experiment_analysis import best_snapshot


def _row(policy: str, walked: int, worst_speed: float, reward: float = 9.0) -> dict:
    return {
        'policy': policy,
        'walked_episodes': walked,
        'min_net_speed_along_command': worst_speed,
        'mean_reward_per_step': reward,
    }


def test_most_starts_walked_then_the_fastest_worst_start():
    evals = [
        _row('update_1', 2, 0.40, reward=12.0),  # the highest reward, one start short
        _row('update_2', 3, 0.18),
        _row('update_3', 3, 0.33),
        _row('update_4', 3, 0.33),  # as good as update_3, later: the earlier is kept
        _row('update_5', 0, math.nan),
        _row('random', 3, 9.0),  # the baseline row is never the best snapshot
    ]
    assert best_snapshot(evals)['policy'] == 'update_3'


def test_without_a_walking_snapshot_the_fastest_worst_start_and_none_without_snapshots():
    assert (
        best_snapshot([_row('update_1', 0, math.nan), _row('update_2', 0, 0.02)])['policy']
        == 'update_2'
    )
    # Smoke evaluations are not the criterion's: walked_episodes is then 0 for all.
    assert best_snapshot([_row('update_1', 0, -0.1)])['policy'] == 'update_1'
    assert best_snapshot([_row('random', 0, 0.1)]) is None
    assert best_snapshot([]) is None
