# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""An AgentCore and its sensor readings on an injected clock, for the acting tests."""

from __future__ import annotations

from dreamstride_agent.acting.agent_core import AgentConfig, AgentCore, Sensor, SensorBoard
from dreamstride_agent.acting.observation import imu_reading, joint_reading, odometry_reading
from dreamstride_agent.acting.policy_slot import PolicySlot
import numpy as np
from spot_description.spot import JOINT_NAMES, STANDING_POSE

PERIOD = 0.05
MAX_AGE = 0.075
UPRIGHT = (0.0, 0.0, 0.0, 1.0)


def make_core(**config) -> AgentCore:
    cfg = AgentConfig(max_sensor_age=MAX_AGE, **config)
    slot = PolicySlot(cfg.observation_spec().size, 12, 1 << 20)
    return AgentCore(cfg, slot, np.random.default_rng(0))


def feed(board: SensorBoard, t: float, pose=STANDING_POSE, skip: tuple[Sensor, ...] = ()):
    """Valid readings of every sensor (but ``skip``) stamped ``t``."""
    if Sensor.JOINT_STATES not in skip:
        board.update(
            Sensor.JOINT_STATES, lambda: joint_reading(list(JOINT_NAMES), list(pose), [], t)
        )
    if Sensor.IMU not in skip:
        board.update(Sensor.IMU, lambda: imu_reading(UPRIGHT, (0.0, 0.0, 0.0), t))
    if Sensor.ODOMETRY not in skip:
        board.update(Sensor.ODOMETRY, lambda: odometry_reading((0.2, 0.0, 0.0), UPRIGHT, t))
