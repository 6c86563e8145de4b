# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""DayDreamer's gated walking reward, adapted to Spot and to velocity commands.

Each term counts only once the previous one exceeds ``gate`` (0.7), so the robot is
paid first for being upright, then for each joint group reaching the standing pose
(hip_x, then hip_y, then knee), and only then for its velocity:

    r_upright  = up_z / 2 + 0.5
    r_hip_x    = 1 - mean |q - q_stand| / normaliser   over the hip_x joints (if r_upright > gate)
    r_hip_y    = likewise over hip_y                   (if r_hip_x > gate)
    r_knee     = likewise over the knees               (if r_hip_y > gate)
    r_velocity = the velocity term below, in [0, 1]    (if r_knee > gate, else 0)
    reward     = r_upright + r_hip_x + r_hip_y + r_knee + w * (r_velocity + 1) / 2

The velocity term, ``velocity_reward`` in :class:`RewardConfig`:

- ``tracking`` (the default) pays for following the commanded body velocity
  ``c = (c_x, c_y, c_wz)`` (:mod:`dreamstride_agent.acting.velocity_command`) and nothing else:

      r_linear   = clip(1 - |v - c_xy| / max(|c_xy|, linear_scale), 0, 1)
      r_yaw      = exp(-((w_z - c_wz) / yaw_rate_sigma)^2)
      r_velocity = r_linear * r_yaw

  For a straight command and forward motion, ``r_linear`` is DayDreamer's ramp
  ``v_fwd / target`` up to the commanded speed, and falls again beyond it. ``r_yaw`` is
  the exponential tracking kernel of legged_gym: turning that was not asked for costs
  the velocity term, so circling at the commanded speed (which the heading reward pays
  in full, because it measures speed along the body's current heading) earns little.

  ``v`` and ``w_z`` are moving averages (:class:`VelocityAverage`, time constant
  ``velocity_average_time``, 1 s), not the instantaneous readings. A trot sways the body:
  the open-loop trot of gait_probe covers 0.42 m/s straight, yet its yaw rate and
  velocity swing at the step frequency, so on instantaneous readings the term paid it
  almost nothing (9.26 per step, against 9.03 for standing still and more for creeping
  forward without swaying: run 8 learned to creep; ``gait_probe -p
  tracking_average_time=0``).
  Averaged over about a gait cycle the sway cancels and what the body covers remains;
  circling keeps its mean yaw rate and is still refused.
- ``heading`` is DayDreamer's original term, kept to reproduce runs 1 to 7:
  ``max(0, v_fwd) / |v| * clip(v_fwd / velocity_target, -1, 1)``.

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

from dreamstride_agent.config_fields import check_ranges, described
import numpy as np
from spot_description.spot import JOINT_GROUPS, STANDING_POSE

VELOCITY_REWARDS = ('tracking', 'heading')

# Order in which the pose terms unlock, in DayDreamer's words (hip, shoulder, knee).
POSE_TERMS = ('hip_x', 'hip_y', 'knee')


@dataclass
class RewardConfig:
    """Parameters of the gated reward."""

    velocity_reward: str = described(
        "Velocity term: 'tracking' (follow the commanded vx, vy, wz) or 'heading' "
        "(DayDreamer's: forward speed along the current heading up to velocity_target).",
        'tracking',
    )
    velocity_target: float = described(
        'Heading reward only: forward speed for the full velocity term (m/s); the tracking '
        'reward takes its target from the velocity command.',
        0.3,
    )
    linear_scale: float = described(
        'Tracking reward: smallest planar-velocity error scale (m/s); an error of '
        'max(|command|, linear_scale) zeroes the linear factor.',
        0.3,
    )
    yaw_rate_sigma: float = described(
        'Tracking reward: yaw-rate error (rad/s) at which the yaw factor is exp(-1).', 0.25
    )
    velocity_average_time: float = described(
        'Tracking reward: time constant (s) of the moving average of the body velocity '
        'and yaw rate it tracks, so the sway of a gait cycle cancels; 0 = instantaneous '
        '(run 8).',
        1.0,
    )
    velocity_weight: float = described('Weight w of the velocity term.', 10.0)
    gate: float = described(
        'Each reward term counts once the previous one exceeds this.', 0.7, low=0.0, high=1.0
    )
    pose_normaliser: dict[str, float] = described(
        'Deviation from the standing pose (rad) at which a pose term reaches 0.',
        factory=lambda: {'hip_x': 0.8, 'hip_y': 1.6, 'knee': 1.6},
    )

    def __post_init__(self) -> None:
        check_ranges(self)
        if self.velocity_reward not in VELOCITY_REWARDS:
            raise ValueError(
                f'velocity_reward must be one of {list(VELOCITY_REWARDS)}, got '
                f'{self.velocity_reward!r}'
            )
        if not (self.linear_scale > 0 and self.yaw_rate_sigma > 0 and self.velocity_target > 0):
            raise ValueError(
                'velocity_target, linear_scale and yaw_rate_sigma must be positive, got '
                f'{self.velocity_target}, {self.linear_scale}, {self.yaw_rate_sigma}'
            )
        if not (math.isfinite(self.velocity_average_time) and self.velocity_average_time >= 0):
            raise ValueError(
                'velocity_average_time must be 0 (instantaneous) or a positive number of '
                f'seconds, got {self.velocity_average_time}'
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
        """Return the terms in Step.reward_terms order (:data:`TERM_NAMES`)."""
        return [getattr(self, name) for name in TERM_NAMES]


# Step.reward_terms order.
TERM_NAMES = ('upright', *POSE_TERMS, 'velocity')


def stood(terms: RewardTerms | Sequence[float], gate: float | None = None) -> bool:
    """Whether every standing-pose term passed the gate, so the velocity term is paid.

    ``terms`` is a RewardTerms or a Step's reward_terms list; ``gate`` defaults to
    RewardConfig's. The evaluator and the experiment's training curve count "stood" so.
    """
    gate = RewardConfig().gate if gate is None else gate
    knee = terms.knee if isinstance(terms, RewardTerms) else terms[TERM_NAMES.index('knee')]
    return knee > gate


class VelocityAverage:
    """Exponential moving average of the heading-frame velocity and the yaw rate.

    The tracking reward is computed on it (``RewardConfig.velocity_average_time``): one
    update per control tick of ``period`` seconds; :meth:`reset` at an episode's start,
    whose first reading then starts the average.
    """

    def __init__(self, time_constant: float, period: float) -> None:
        if not period > 0:
            raise ValueError(f'period must be positive, got {period}')
        self.alpha = 1.0 - math.exp(-period / time_constant) if time_constant > 0 else 1.0
        self._mean: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the past: the next reading starts the average."""
        self._mean = None

    def update(
        self, velocity: float | Sequence[float], yaw_rate: float
    ) -> tuple[tuple[float, float], float]:
        """Add one reading; return the averaged ((forward, lateral) m/s, yaw rate rad/s)."""
        forward, lateral = _as_heading_velocity(velocity)
        if not math.isfinite(yaw_rate):
            raise ValueError(f'yaw rate must be finite, got {yaw_rate!r}')
        reading = np.array([forward, lateral, yaw_rate])
        if self._mean is None:
            self._mean = reading
        else:
            self._mean = self._mean + self.alpha * (reading - self._mean)
        return (float(self._mean[0]), float(self._mean[1])), float(self._mean[2])


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


def tracking_reward(
    velocity: Sequence[float],
    yaw_rate: float,
    command: Sequence[float],
    linear_scale: float = 0.3,
    yaw_rate_sigma: float = 0.25,
) -> float:
    """Return the velocity-tracking term in [0, 1].

    ``velocity`` is (forward, leftward) m/s in the heading frame, ``yaw_rate`` rad/s and
    ``command`` (vx, vy, wz) as :mod:`dreamstride_agent.acting.velocity_command` defines it.
    """
    forward, lateral = _as_heading_velocity(velocity)
    cx, cy, cwz = (float(c) for c in command)
    if not all(math.isfinite(x) for x in (yaw_rate, cx, cy, cwz)):
        raise ValueError(f'yaw rate and command must be finite, got {yaw_rate!r}, {command!r}')
    scale = max(math.hypot(cx, cy), linear_scale)
    linear = max(0.0, 1.0 - math.hypot(forward - cx, lateral - cy) / scale)
    yaw = math.exp(-(((yaw_rate - cwz) / yaw_rate_sigma) ** 2))
    return float(linear * yaw)


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
    yaw_rate: float = 0.0,
    command: Sequence[float] | None = None,
) -> RewardTerms:
    """Compute the gated reward from joint angles (rad), body up_z and velocity (m/s).

    ``velocity`` is the horizontal (forward, lateral) velocity in the heading frame
    (:func:`heading_velocity`); a scalar is taken as a forward velocity alone.
    ``yaw_rate`` (rad/s) and ``command`` (vx, vy, wz) feed the tracking term; a missing
    command is the zero command (stand).
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
        if cfg.velocity_reward == 'heading':
            r_velocity = velocity_reward(heading, cfg.velocity_target)
        else:
            r_velocity = tracking_reward(
                heading,
                yaw_rate,
                (0.0, 0.0, 0.0) if command is None else command,
                cfg.linear_scale,
                cfg.yaw_rate_sigma,
            )
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
