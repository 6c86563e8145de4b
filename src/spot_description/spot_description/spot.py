"""Spot's joints, limits and poses: the one definition every package imports.

Values follow spot_description (bdaiinstitute) and the real robot's ROS 2 driver
(spot_ros2): joint names and order, angle conventions (hip_x about +x, hip_y and
knee about +y, radians), limits. See ../shared/design/SPOT_FACTS.md.
"""

from __future__ import annotations

import numpy as np

LEGS: tuple[str, ...] = ('front_left', 'front_right', 'rear_left', 'rear_right')
LEG_JOINTS: tuple[str, ...] = ('hip_x', 'hip_y', 'knee')

# Joint order of spot_ros2: front_left_hip_x, front_left_hip_y, front_left_knee, ...
JOINT_NAMES: tuple[str, ...] = tuple(f'{leg}_{joint}' for leg in LEGS for joint in LEG_JOINTS)
NUM_JOINTS: int = len(JOINT_NAMES)

# Knee upper limits differ slightly per leg in spot_description (rad); rear_right from
# spot_description's spot.urdf (SPOT_FACTS.md lists the other three).
_KNEE_UPPER = {
    'front_left': -0.254801,
    'front_right': -0.247563,
    'rear_left': -0.267153,
    'rear_right': -0.257725,
}

# Position limits (rad), effort limits (N m), velocity limits (rad/s), in JOINT_NAMES order.
JOINT_LOWER = np.array(
    [{'hip_x': -0.785398, 'hip_y': -0.898845, 'knee': -2.7929}[j]
     for _ in LEGS for j in LEG_JOINTS])
JOINT_UPPER = np.array(
    [{'hip_x': 0.785398, 'hip_y': 2.295108, 'knee': _KNEE_UPPER[leg]}[j]
     for leg in LEGS for j in LEG_JOINTS])
JOINT_EFFORT = np.array([{'hip_x': 45.0, 'hip_y': 45.0, 'knee': 115.0}[j]
                         for _ in LEGS for j in LEG_JOINTS])
JOINT_VELOCITY = np.array([{'hip_x': 17.647, 'hip_y': 17.647, 'knee': 12.0}[j]
                           for _ in LEGS for j in LEG_JOINTS])

# Standing pose (rad): mujoco_menagerie's `home` keyframe, base height STANDING_HEIGHT.
STANDING_LEG = {'hip_x': 0.0, 'hip_y': 1.04, 'knee': -1.8}
STANDING_POSE = np.array([STANDING_LEG[j] for _ in LEGS for j in LEG_JOINTS])
STANDING_HEIGHT = 0.46  # m, body origin above the ground when standing

# Index of each joint kind in JOINT_NAMES order (for per-group rewards).
JOINT_GROUPS: dict[str, np.ndarray] = {
    j: np.array([i for i, name in enumerate(JOINT_NAMES) if name.endswith(j)])
    for j in LEG_JOINTS
}
