# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""From its back the simulated Spot rights itself with joint position targets alone."""

import numpy as np
import pytest
from spot_description import spot
from spot_description.self_right import (
    SELF_RIGHT_SETTLE_TICKS,
    SELF_RIGHT_TICKS,
    self_right_poses,
)
from spot_mujoco.simulation import SpotSimulation

AGENT_MAX_STEP = 0.25  # rad per 50 ms tick: dreamstride_agent's CommandConfig.max_step default


def self_right(sim: SpotSimulation, ticks: int) -> tuple[np.ndarray, np.ndarray]:
    """Run the scripted manoeuvre; return up_z per tick and the largest motor torque seen."""
    poses = self_right_poses()
    up, torque = [], np.zeros(spot.NUM_JOINTS)
    for i, pose in enumerate(poses):
        hold = SELF_RIGHT_SETTLE_TICKS if i == len(poses) - 1 else ticks
        for _ in range(hold):
            up.append(sim.move_to(pose, 1, AGENT_MAX_STEP)[0])
            torque = np.maximum(torque, np.abs(sim.data.actuator_force))
    return np.array(up), torque


@pytest.mark.parametrize('ticks', [14, SELF_RIGHT_TICKS, 17])
def test_rolls_from_its_back_onto_its_belly_and_stands_up(ticks):
    with SpotSimulation(seed=0, pose='on_back') as sim:
        sim.step(100)
        assert sim.body_z_axis()[2] < -0.99
        up, torque = self_right(sim, ticks)
        assert up[-1] > 0.9, np.round(up[::5], 2)
        assert np.all(up[-20:] > 0.9)  # at rest on the belly, not passing through
        assert np.all(torque <= spot.JOINT_EFFORT + 1e-9)
        assert sim.clamped_targets == 0
        # From the belly it stands up as from the 'lying' pose (test_lying_pose.py).
        start = sim.joints().position.copy()
        for i in range(40):  # 2 s ramp to the standing pose
            sim.set_position_targets(start + (spot.STANDING_POSE - start) * (i + 1) / 40)
            sim.step(25)
        sim.step(500)
        assert sim.body_z_axis()[2] > 0.95
        assert sim.body_state().position[2] > 0.4


def test_self_right_poses_are_full_joint_arrays_within_the_limits():
    for pose in self_right_poses():
        assert pose.shape == (spot.NUM_JOINTS,)
        assert np.all(pose >= spot.JOINT_LOWER) and np.all(pose <= spot.JOINT_UPPER)


def test_move_to_limits_each_tick_and_rejects_bad_input():
    with SpotSimulation(seed=0) as sim:
        start = sim.position_targets
        target = start.copy()
        target[1] += 1.0
        sim.move_to(target, 1, 0.25)
        np.testing.assert_allclose(sim.position_targets - start, np.eye(12)[1] * 0.25)
        assert sim.time == pytest.approx(0.05)
        with pytest.raises(ValueError, match='targets'):
            sim.move_to(np.zeros(3), 1, 0.25)
        with pytest.raises(ValueError, match='max_step'):
            sim.move_to(start, 1, 0.0)
