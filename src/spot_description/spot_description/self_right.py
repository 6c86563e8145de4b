# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""A scripted recovery from the back onto the belly, made of joint position targets only.

Key poses (rad) of the left legs and of the right legs (hip_x, hip_y, knee; the rear legs
as the front ones), each approached at most max_step rad per control tick and held
SELF_RIGHT_TICKS ticks, the last one SELF_RIGHT_SETTLE_TICKS. The left legs swing over
the back and lever the body onto its right side while the right legs fold under it, then
the right legs reach under the body and roll it onto its belly. Found by a random search
over key poses in the MuJoCo model at the agent's default max_step (0.25 rad per 50 ms
tick), scored on the up axis after the last pose over several start delays and hold
times; it works for holds of 14 to 17 ticks (spot_mujoco's test_self_right). It shows what
the model allows, not how the real Spot does it: a real Spot rights itself with its own
controller (spot_ros2's self-right command).

It lives here, beside the start poses, because both the simulation's tests and the agent
(which runs it instead of a teleport when the robot lies on its back) use it.
"""

from __future__ import annotations

import numpy as np
from spot_description import spot

SELF_RIGHT_KEY_POSES: tuple[tuple[tuple[float, float, float], tuple[float, float, float]], ...] = (
    ((0.5, -0.9, -1.75), (-0.73, 1.64, -2.79)),
    ((0.79, -0.47, -2.73), (0.01, 0.4, -2.79)),
    ((-0.14, 0.86, -0.25), (-0.11, -0.9, -2.55)),
    ((0.28, 2.3, -2.27), (-0.69, -0.9, -2.6)),
    ((0.79, 1.72, -0.25), (0.3, 2.16, -2.48)),
    ((0.43, 0.94, -2.67), (0.79, 2.3, -2.79)),
)
SELF_RIGHT_TICKS = 15
SELF_RIGHT_SETTLE_TICKS = 40

# Below this world z of the body's up axis the robot counts as on its back (0 is on its
# side): the experiment's rescues and posture statistics.
ON_BACK_UP_Z = -0.5
# Below this one the agent starts the self-right: on its back or on its side, from where
# the policy's range around the standing pose rarely gets it up either. In 18 manoeuvres
# from the back, the side and random drops (a policy of std 0.15 acting in between), all
# 18 ended upright (up_z > 0.5).
SELF_RIGHT_BELOW_UP_Z = 0.3


def self_right_poses() -> list[np.ndarray]:
    """SELF_RIGHT_KEY_POSES as joint arrays (JOINT_NAMES order), clipped to the joint limits."""
    poses = []
    for left, right in SELF_RIGHT_KEY_POSES:
        legs = {leg: left if spot.LEG_SIGNS[leg][1] > 0 else right for leg in spot.LEGS}
        pose = np.array([legs[leg] for leg in spot.LEGS]).ravel()
        poses.append(np.clip(pose, spot.JOINT_LOWER, spot.JOINT_UPPER))
    return poses


def self_right_schedule(ticks: int = SELF_RIGHT_TICKS) -> list[np.ndarray]:
    """Return the key pose to approach on each control tick of the whole manoeuvre."""
    poses = self_right_poses()
    schedule = []
    for i, pose in enumerate(poses):
        schedule += [pose] * (SELF_RIGHT_SETTLE_TICKS if i == len(poses) - 1 else ticks)
    return schedule
