# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Locomotion judged by physics, not by the reward: the one definition of "walked".

The reward pays speed along the body's current heading, so a robot walking in circles
earns it all. These measures come from the body's pose and the floor contacts alone,
against the velocity command the robot was given (body frame: vx, vy forward and left
in m/s, wz yaw rate in rad/s):

- **net displacement along the command**: the commanded body-frame velocity is turned into
  a world path with the heading at the episode's start plus the integrated commanded yaw
  rate; the robot's net planar displacement is projected onto that path's direction (the
  chord from start to end). For a command with no net displacement (zero, or turning in
  place) it is the distance moved away from the start instead, which should be small.
  Net speed along the command is that over the episode's time.
- **velocity-tracking error**: mean over steps of | v - (vx, vy) |, v the planar velocity
  in the heading frame (yaw only, so pitching does not shrink it), and mean | yaw rate -
  wz |. Both are taken over each control period from the pose difference (an average over
  the period, not a noisy instant sample).
- **heading drift**: the unwrapped yaw change minus the commanded integrated yaw, at the
  end, so loops count fully (a robot that turns 243 degrees drifted 243 degrees); the
  largest such error during the episode is reported too.
- **non-foot contact share**: share of steps on which anything but a foot (knees and
  shins, upper legs, body) touches the floor, counted from the step on which the robot
  first stood (see below), so that the getting up from lying is not held against it; a
  robot that never stood is counted over all steps (and fails the time to stand).
- **time to stand**: time to the end of the first step with the robot on its feet alone
  (at least one foot on the floor, nothing else) and its body at least
  ``WalkCriterion.stand_height`` above the floor. The height is needed because the model's
  lying pose rests on its folded feet, body clear of the floor: feet only is not standing.
- **foot slip**: mean horizontal speed (m/s) of the feet's contact points, over the steps
  and feet in contact.
- **upright share**: share of steps with the body z axis' world z component above
  ``WalkCriterion.upright_min_z`` (0.5, tilted less than 60 degrees): lying on the belly
  is upright, on the back or side is not.

WALK is the criterion: from lying, over 250 steps, in every randomised start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math

from dreamstride_agent.acting.velocity_command import VelocityCommandConfig
import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class VelocityCommand:
    """Commanded body velocity: vx, vy (m/s, forward and left) and wz (rad/s, yaw rate)."""

    vx: float = 0.0
    vy: float = 0.0
    wz: float = 0.0

    def __post_init__(self) -> None:
        if not all(math.isfinite(v) for v in (self.vx, self.vy, self.wz)):
            raise ValueError(f'non-finite velocity command {self}')


# DayDreamer's task, walk forward at 0.3 m/s with no turn: the training sampler's
# default command (velocity_command.VelocityCommandConfig), so the two cannot drift.
_TRAINING = VelocityCommandConfig()
FORWARD_COMMAND = VelocityCommand(_TRAINING.fixed_vx, _TRAINING.fixed_vy, _TRAINING.fixed_wz)


@dataclass(frozen=True)
class WalkCriterion:
    """What counts as walking; every threshold of the evaluator comes from here."""

    start_pose: str = 'lying'  # the evaluation's start pose the criterion applies to
    steps: int = 250  # control steps per episode (12.5 s at 20 Hz)
    min_net_speed: float = 0.15  # m/s net displacement along the command over the episode
    max_heading_drift_deg: float = 30.0
    max_non_foot_share: float = 0.05  # of the steps after the robot first stood
    min_upright_share: float = 0.95
    max_time_to_stand: float = 3.0  # s from the start
    upright_min_z: float = 0.5  # body z axis' world z: tilted less than 60 degrees
    stand_height: float = 0.3  # m body height (lying: 0.16, standing: 0.44)

    def failures(self, m: LocomotionMeasures) -> list[str]:
        """Return why the measures of one episode are not walking (empty: walked)."""
        reasons = []
        if not m.net_speed_along_command >= self.min_net_speed:
            reasons.append(
                f'net speed along the command {m.net_speed_along_command:.4f} < '
                f'{self.min_net_speed} m/s'
            )
        if not abs(m.heading_drift_deg) <= self.max_heading_drift_deg:
            reasons.append(
                f'heading drift {m.heading_drift_deg:+.0f} > {self.max_heading_drift_deg:g} deg'
            )
        if m.time_to_stand is None or m.time_to_stand > self.max_time_to_stand:
            reasons.append(
                'never stood'
                if m.time_to_stand is None
                else f'stood after {m.time_to_stand:.2f} > {self.max_time_to_stand:g} s'
            )
        if not m.non_foot_contact_share <= self.max_non_foot_share:
            reasons.append(
                f'non-foot contact on {m.non_foot_contact_share:.0%} > '
                f'{self.max_non_foot_share:.0%} of steps'
            )
        if not m.upright_share >= self.min_upright_share:
            reasons.append(f'upright {m.upright_share:.0%} < {self.min_upright_share:.0%}')
        return reasons

    def passed(self, m: LocomotionMeasures) -> bool:
        """Whether one episode's measures pass every threshold."""
        return not self.failures(m)

    def applies(self, initial_pose: str, steps: int) -> bool:
        """Whether an evaluation from ``initial_pose`` of ``steps`` steps can judge walking."""
        return initial_pose == self.start_pose and steps == self.steps


WALK = WalkCriterion()


@dataclass(frozen=True)
class LocomotionMeasures:
    """What one episode did, physically (see the module's docstring for the definitions)."""

    steps: int
    duration: float  # s
    displacement_along_command: float  # m
    net_speed_along_command: float  # m/s
    net_displacement: float  # m, planar, start to end
    tracking_error: float  # m/s, mean |v_planar - (vx, vy)| in the heading frame
    yaw_rate_error: float  # rad/s, mean |yaw rate - wz|
    heading_drift_deg: float  # at the end
    max_heading_error_deg: float  # largest |heading error| during the episode
    non_foot_contact_share: float
    foot_slip: float  # m/s; nan when no foot touched the floor
    upright_share: float
    time_to_stand: float | None  # s; None: never stood


@dataclass(frozen=True)
class TrackingCriterion:
    """What counts as following a command, for the omnidirectional mode."""

    start_pose: str = 'standing'
    steps: int = 250
    max_tracking_error: float = 0.1  # m/s, mean planar velocity error
    max_yaw_rate_error: float = 0.2  # rad/s, mean yaw-rate error

    def failures(self, m: LocomotionMeasures) -> list[str]:
        """Return why one episode did not follow its command (empty: it did)."""
        reasons = []
        if not m.tracking_error <= self.max_tracking_error:
            reasons.append(
                f'velocity error {m.tracking_error:.3f} > {self.max_tracking_error} m/s'
            )
        if not m.yaw_rate_error <= self.max_yaw_rate_error:
            reasons.append(
                f'yaw-rate error {m.yaw_rate_error:.3f} > {self.max_yaw_rate_error} rad/s'
            )
        return reasons


TRACKING = TrackingCriterion()

# The omnidirectional mode's eight test commands, within the uniform sampler's default
# ranges (velocity_command.VelocityCommandConfig: 0.4, 0.2 m/s, 0.5 rad/s).
OMNI_COMMANDS: dict[str, VelocityCommand] = {
    'forward': VelocityCommand(vx=0.3),
    'backward': VelocityCommand(vx=-0.3),
    'left': VelocityCommand(vy=0.2),
    'right': VelocityCommand(vy=-0.2),
    'turn left': VelocityCommand(wz=0.5),
    'turn right': VelocityCommand(wz=-0.5),
    'forward left': VelocityCommand(vx=0.2, vy=0.15),
    'forward right': VelocityCommand(vx=0.2, vy=-0.15),
}


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


def _rotate(yaw: float, xy: np.ndarray) -> np.ndarray:
    c, s = math.cos(yaw), math.sin(yaw)
    return np.array([c * xy[0] - s * xy[1], s * xy[0] + c * xy[1]])


class LocomotionMeter:
    """Accumulates one episode's measures, one control step at a time.

    Args:
        dt: control period (s).
        position: body position in the world (m) at the episode's start.
        yaw: body heading (rad) at the episode's start.
        command: the command, unless each step gives its own.
        criterion: supplies the upright and standing thresholds.

    """

    def __init__(
        self,
        dt: float,
        position: ArrayLike,
        yaw: float,
        command: VelocityCommand = FORWARD_COMMAND,
        criterion: WalkCriterion = WALK,
    ) -> None:
        if not dt > 0:
            raise ValueError(f'dt must be positive, got {dt}')
        self.dt = float(dt)
        self.command = command
        self.criterion = criterion
        self._start = np.asarray(position, dtype=float)[:2].copy()
        self._position = self._start.copy()
        self._start_yaw = float(yaw)
        self._yaw = float(yaw)  # last measured, wrapped
        self._turned = 0.0  # unwrapped yaw change since the start (rad)
        self._commanded_turn = 0.0  # integrated commanded yaw rate (rad)
        self._commanded_path = np.zeros(2)  # commanded world displacement (m)
        self._steps = 0
        self._tracking, self._yaw_rate = 0.0, 0.0  # sums of the errors
        self._max_heading_error = 0.0
        self._upright = 0
        self._non_foot_all, self._non_foot_after_stand = 0, 0
        self._stood_at: int | None = None  # index of the first step standing
        self._slip_sum, self._slip_count = 0.0, 0

    def add(
        self,
        position: ArrayLike,
        yaw: float,
        up_z: float,
        feet_down: bool,
        non_foot: bool,
        foot_slip: Sequence[float] | np.ndarray = (),
        command: VelocityCommand | None = None,
    ) -> None:
        """Record the state at the end of one control step.

        Args:
            position: body position in the world (m).
            yaw: body heading (rad, any branch).
            up_z: world z component of the body's z axis.
            feet_down: whether any foot touches the floor.
            non_foot: whether anything but a foot touches the floor.
            foot_slip: horizontal speed (m/s) of each foot's contact; nan for a foot off
                the floor (ignored).
            command: the command during this step (default: the meter's).

        """
        cmd = self.command if command is None else command
        dt = self.dt
        xy = np.asarray(position, dtype=float)[:2]
        turn = _wrap(float(yaw) - self._yaw)
        mid_heading = self._start_yaw + self._turned + turn / 2
        # Velocity over the step, in the heading frame halfway through it.
        velocity = _rotate(-mid_heading, (xy - self._position) / dt)
        self._tracking += float(np.hypot(*(velocity - (cmd.vx, cmd.vy))))
        self._yaw_rate += abs(turn / dt - cmd.wz)
        commanded_mid = self._start_yaw + self._commanded_turn + cmd.wz * dt / 2
        self._commanded_path += _rotate(commanded_mid, np.array([cmd.vx, cmd.vy])) * dt
        self._commanded_turn += cmd.wz * dt
        self._turned += turn
        self._yaw = float(yaw)
        self._position = xy.copy()
        self._max_heading_error = max(
            self._max_heading_error, abs(self._turned - self._commanded_turn)
        )
        self._upright += up_z > self.criterion.upright_min_z
        self._non_foot_all += bool(non_foot)
        height = float(np.asarray(position, dtype=float)[2])
        if (
            self._stood_at is None
            and feet_down
            and not non_foot
            and height >= self.criterion.stand_height
        ):
            self._stood_at = self._steps
        if self._stood_at is not None:
            self._non_foot_after_stand += bool(non_foot)
        slip = np.asarray(foot_slip, dtype=float)
        slip = slip[np.isfinite(slip)]
        self._slip_sum += float(slip.sum())
        self._slip_count += int(slip.size)
        self._steps += 1

    def result(self) -> LocomotionMeasures:
        """Return the episode's measures so far (at least one step)."""
        n = self._steps
        if n == 0:
            raise ValueError('no steps recorded')
        duration = n * self.dt
        moved = self._position - self._start
        length = float(np.hypot(*self._commanded_path))
        # Below a millimetre the command asked for no net displacement: any is drift.
        if length > 1e-3:
            along = float(moved @ self._commanded_path / length)
        else:
            along = float(np.hypot(*moved))
        if self._stood_at is None:
            non_foot = self._non_foot_all / n
        else:
            non_foot = self._non_foot_after_stand / (n - self._stood_at)
        return LocomotionMeasures(
            steps=n,
            duration=duration,
            displacement_along_command=along,
            net_speed_along_command=along / duration,
            net_displacement=float(np.hypot(*moved)),
            tracking_error=self._tracking / n,
            yaw_rate_error=self._yaw_rate / n,
            heading_drift_deg=math.degrees(self._turned - self._commanded_turn),
            max_heading_error_deg=math.degrees(self._max_heading_error),
            non_foot_contact_share=non_foot,
            foot_slip=self._slip_sum / self._slip_count if self._slip_count else math.nan,
            upright_share=self._upright / n,
            time_to_stand=None if self._stood_at is None else (self._stood_at + 1) * self.dt,
        )
