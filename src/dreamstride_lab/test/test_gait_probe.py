# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The agent's action space can walk, and the reward pays walking more than standing."""

from dreamstride_lab.gait_probe import STAND, Trot, probe
import numpy as np
from spot_description.spot import JOINT_GROUPS, LEGS


def test_trot_moves_diagonal_pairs_together_and_the_others_half_a_cycle_later():
    gait = Trot()
    hip_y = JOINT_GROUPS['hip_y']
    fl, fr, rl, rr = (
        LEGS.index(leg) for leg in ('front_left', 'front_right', 'rear_left', 'rear_right')
    )
    for t in np.linspace(0.0, 2.0, 41):
        action = gait.action(t)
        assert np.all(np.abs(action) <= 1.0)
        assert action[hip_y[fl]] == action[hip_y[rr]]
        assert action[hip_y[fr]] == action[hip_y[rl]]
        later = gait.action(t + 0.5 / gait.frequency)
        assert later[hip_y[fl]] == np.float32(action[hip_y[fr]])
        assert np.all(action[JOINT_GROUPS['knee']] >= 0.0)  # knees only flex
        assert np.all(action[JOINT_GROUPS['hip_x']] == 0.0)
    assert not STAND.action(0.3).any()


def test_an_open_loop_trot_walks_from_lying_and_earns_more_than_standing():
    """Walking is within the agent's command path (scale, low-pass, rate limit, clamp)."""
    trot = probe(Trot(), episodes=2, initial_pose='lying', seed=3)
    stand = probe(STAND, episodes=1, initial_pose='lying', seed=3)
    assert trot.walked, [e.failures for e in trot.episodes]
    assert not stand.walked
    assert trot.summary()['net_speed_along_command'] > 0.3
    # The reward must rank the walk well above doing nothing (on instantaneous readings it
    # paid 9.26 against 9.03).
    assert trot.summary()['mean_reward_per_step'] > stand.summary()['mean_reward_per_step'] + 2.0
