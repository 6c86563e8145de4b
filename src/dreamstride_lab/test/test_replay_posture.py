# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
from dreamstride_lab.replay_posture import roll_statistics
import numpy as np


def test_roll_wraps_on_the_back_are_counted_inside_episodes_only():
    # Standing, falling onto the back, rocking across +-pi, then a new episode whose
    # first step starts far away (an episode cut is not a wrap).
    roll = np.array([0.0, 0.1, 1.5, 3.1, -3.1, 3.12, -3.13, 0.0, 0.05])
    first = np.zeros(roll.size, bool)
    first[7] = True
    on_back, jumps = roll_statistics(roll, first)
    assert jumps == 3
    assert on_back == 4 / 9
    assert roll_statistics(np.array([]), np.array([], bool)) == (0.0, 0)
