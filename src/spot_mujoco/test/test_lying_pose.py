# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The 'lying' reset: upright on its belly, and able to stand up from there."""

import numpy as np
from spot_description.spot import STANDING_POSE
from spot_mujoco.simulation import SpotSimulation


def test_lying_pose_rests_low_and_upright_and_can_stand_up():
    with SpotSimulation(seed=0, pose='lying') as sim:
        sim.step(500)
        assert sim.body_z_axis()[2] > 0.95
        assert sim.body_state().position[2] < 0.25
        start = sim.joints().position.copy()
        for i in range(40):  # 2 s ramp to the standing pose
            sim.set_position_targets(start + (STANDING_POSE - start) * (i + 1) / 40)
            sim.step(25)
        sim.step(500)
        assert sim.body_z_axis()[2] > 0.95
        assert sim.body_state().position[2] > 0.4
        np.testing.assert_allclose(sim.joints().position, STANDING_POSE, atol=0.1)
