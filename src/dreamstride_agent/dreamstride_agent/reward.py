# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""DayDreamer's gated walking reward, adapted to Spot.

Each term counts only once the previous one exceeds ``gate`` (0.7), so the robot is
paid first for being upright, then for each joint group reaching the standing pose
(hip_x, then hip_y, then knee), and only then for forward velocity:

    r_upright  = up_z / 2 + 0.5
    r_hip_x    = 1 - mean |q - q_stand| / normaliser   over the hip_x joints (if r_upright > gate)
    r_hip_y    = likewise over hip_y                   (if r_hip_x > gate)
    r_knee     = likewise over the knees               (if r_hip_y > gate)
    r_velocity = max(0, v_fwd) / |v| * clip(v_fwd / target, -1, 1)   (if r_knee > gate, else 0)
    reward     = r_upright + r_hip_x + r_hip_y + r_knee + w * (r_velocity + 1) / 2

``v = (v_fwd, v_lat)`` is the horizontal velocity of the body in the heading frame (the
world frame turned by the body's yaw only), as DayDreamer projects the world velocity onto
the heading (observation.odometry_reading computes it from an odometry message). The
forward fraction ``max(0, v_fwd) / |v|`` makes ``r_velocity`` lie in [0, 1]: moving
backwards or sideways earns nothing, but never less than standing still, so no term
lowers the reward below the level the previous gate reached. With w = 10 the reward
ranges over 0..14 as DayDreamer's A1 reward; a robot that has not yet stood scores
about 5 (the velocity term at zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math

from dreamstride_agent.config_fields import described
import numpy as np
from spot_description.spot import JOINT_GROUPS, STANDING_POSE

# Order in which the pose terms unlock, in DayDreamer's words (hip, shoulder, knee).
POSE_TERMS = ('hip_x', 'hip_y', 'knee')


@dataclass
class RewardConfig:
    """Parameters of the gated reward."""

    velocity_target: float = described('Forward speed for the full velocity reward (m/s).', 0.3)
    velocity_weight: float = described('Weight w of the velocity term.', 10.0)
    gate: float = described('Each reward term counts once the previous one exceeds this.', 0.7)
    pose_normaliser: dict[str, float] = described(
        'Deviation from the standing pose (rad) at which a pose term reaches 0.',
        factory=lambda: {'hip_x': 0.8, 'hip_y': 1.6, 'knee': 1.6},
    )


@dataclass
class RewardTerms:
    """The reward and its terms, for logging."""

    total: float
    upright: float
    hip_x: float
    hip_y: float
    knee: float
    velocity: float

    def as_list(self) -> list[float]:
        """Return the terms in Step.reward_terms order (upright, hip_x, hip_y, knee, velocity)."""
        return [self.upright, self.hip_x, self.hip_y, self.knee, self.velocity]


def upright_from_quaternion(qx: float, qy: float, qz: float, qw: float) -> float:
    """Return the world-z component of the body z axis (1 upright, -1 on its back)."""
    del qz, qw
    return float(1.0 - 2.0 * (qx * qx + qy * qy))


def velocity_reward(velocity: float | Sequence[float], target: float) -> float:
    """Return DayDreamer's velocity term in [0, 1] from (forward, lateral) m/s.

    A scalar is a forward velocity with no lateral part.
    """
    forward, lateral = _as_heading_velocity(velocity)
    speed = math.hypot(forward, lateral)
    if speed == 0.0:
        return 0.0
    forward_fraction = max(0.0, forward) / speed
    return float(forward_fraction * np.clip(forward / target, -1.0, 1.0))


def _as_heading_velocity(velocity: float | Sequence[float]) -> tuple[float, float]:
    try:
        values = np.atleast_1d(np.asarray(velocity, dtype=np.float64))
    except (TypeError, ValueError):
        values = np.full(3, np.nan)  # rejected below
    if values.shape not in ((1,), (2,)) or not np.all(np.isfinite(values)):
        raise ValueError(
            f'velocity must be a finite forward speed or (forward, lateral) '
            f'pair in m/s, got {velocity!r}'
        )
    return float(values[0]), float(values[1]) if len(values) == 2 else 0.0


def gated_reward(
    joint_positions: np.ndarray,
    up_z: float,
    velocity: float | Sequence[float],
    config: RewardConfig | None = None,
    standing_pose: np.ndarray = STANDING_POSE,
) -> RewardTerms:
    """Compute the gated reward from joint angles (rad), body up_z and velocity (m/s).

    ``velocity`` is the horizontal (forward, lateral) velocity in the heading frame
    (:func:`heading_velocity`); a scalar is taken as a forward velocity alone.
    """
    cfg = config or RewardConfig()
    heading = _as_heading_velocity(velocity)  # checked even while the gate is closed
    upright = float(np.clip(up_z / 2.0 + 0.5, 0.0, 1.0))
    terms = {'upright': upright}
    previous = upright
    for name in POSE_TERMS:
        if previous > cfg.gate:
            idx = JOINT_GROUPS[name]
            deviation = np.abs(joint_positions[idx] - standing_pose[idx])
            deviation /= cfg.pose_normaliser[name]
            value = float(np.clip(1.0 - np.mean(deviation), 0.0, 1.0))
        else:
            value = 0.0
        terms[name] = value
        previous = value
    r_velocity = 0.0
    if previous > cfg.gate:
        r_velocity = velocity_reward(heading, cfg.velocity_target)
    total = (
        upright
        + terms['hip_x']
        + terms['hip_y']
        + terms['knee']
        + cfg.velocity_weight * (r_velocity + 1.0) / 2.0
    )
    return RewardTerms(
        total=float(total),
        upright=upright,
        hip_x=terms['hip_x'],
        hip_y=terms['hip_y'],
        knee=terms['knee'],
        velocity=r_velocity,
    )
