# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The body velocity the agent is asked for: from ``cmd_vel`` or from a training sampler.

A velocity command is ``(vx, vy, wz)``: forward and leftward speed (m/s) and yaw rate
(rad/s, counter-clockwise), in the body's heading frame, as ``geometry_msgs/Twist`` on
``cmd_vel`` carries it for every ROS mobile base (teleop_twist_keyboard, joysticks, Nav2).
The command is part of the agent's observation, of every Step, and of the reward, which
pays for tracking it (:mod:`dreamstride_agent.acting.reward`).

Two sources, chosen by :class:`VelocityCommandConfig.source`:

- ``topic``: the latest ``cmd_vel`` message. A command older than ``timeout`` seconds, or
  none at all, means zero velocity: the robot stands (a teleop that stops publishing, or
  a navigation stack that dies, must not leave the robot walking). A message with a
  non-finite or out-of-range value is refused with a reason (the agent status shows it)
  and never reaches the policy; the previous command then ages out as usual.
- ``sampler``: training draws its own commands. ``fixed`` is DayDreamer's task (forward
  at a fixed speed, no turn); ``uniform`` draws ``(vx, vy, wz)`` from ranges every
  ``resample_period`` seconds, a zero command with probability ``zero_probability``.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import threading

from dreamstride_agent.config_fields import check_ranges, described
import numpy as np
from spot_description.contract import CMD_VEL

COMMAND_SOURCES = ('topic', 'sampler')
SAMPLER_MODES = ('fixed', 'uniform')
ZERO_COMMAND = np.zeros(3, dtype=np.float32)
# Step.velocity_command / the observation's velocity_command key: (vx, vy, wz).
COMMAND_SIZE = 3


class CommandError(ValueError):
    """A velocity command that must not reach the policy; the message says why."""


@dataclass
class VelocityCommandConfig:
    """Where the commanded body velocity comes from, and what is accepted."""

    source: str = described(
        "'topic': the latest cmd_vel (geometry_msgs/Twist), zero when missing or stale; "
        "'sampler': commands drawn by the agent itself (training).",
        'topic',
    )
    timeout: float = described(
        'A cmd_vel older than this (s, node clock) counts as zero velocity (stand).', 0.5
    )
    max_linear: float = described(
        'Largest accepted |linear.x| and |linear.y| (m/s); larger commands are refused.', 1.0
    )
    max_angular: float = described(
        'Largest accepted |angular.z| (rad/s); larger commands are refused.', 1.0
    )
    sampler: str = described(
        "Training sampler: 'fixed' (always fixed_vx, fixed_vy, fixed_wz: DayDreamer's "
        "forward task) or 'uniform' (ranges below, redrawn every resample_period).",
        'fixed',
    )
    fixed_vx: float = described('Fixed sampler: forward speed (m/s).', 0.3)
    fixed_vy: float = described('Fixed sampler: leftward speed (m/s).', 0.0)
    fixed_wz: float = described('Fixed sampler: yaw rate (rad/s, counter-clockwise).', 0.0)
    range_vx: float = described(
        'Uniform sampler: vx drawn from [-range_vx, range_vx] (m/s).', 0.4, low=0.0
    )
    range_vy: float = described(
        'Uniform sampler: vy drawn from [-range_vy, range_vy] (m/s).', 0.2, low=0.0
    )
    range_wz: float = described(
        'Uniform sampler: wz drawn from [-range_wz, range_wz] (rad/s).', 0.5, low=0.0
    )
    zero_probability: float = described(
        'Uniform sampler: probability that a draw is the zero command (stand).',
        0.1,
        low=0.0,
        high=1.0,
    )
    resample_period: float = described('Uniform sampler: seconds between draws (node clock).', 5.0)
    heading_hold_gain: float = described(
        'Heading hold: yaw rate (rad/s) added per radian of heading error, so a straight '
        'command means a straight path, not only no turning (legged_gym heading commands); '
        'the commanded yaw rate moves the held heading. 0: off, the yaw rate as commanded.',
        0.0,
        low=0.0,
    )
    heading_hold_limit: float = described(
        'Heading hold: largest yaw rate (rad/s) the hold adds to the command.', 0.5, low=0.0
    )

    def __post_init__(self) -> None:
        if self.source not in COMMAND_SOURCES:
            raise ValueError(f'source must be one of {list(COMMAND_SOURCES)}, got {self.source!r}')
        if self.sampler not in SAMPLER_MODES:
            raise ValueError(f'sampler must be one of {list(SAMPLER_MODES)}, got {self.sampler!r}')
        if not self.timeout > 0:
            raise ValueError(f'timeout must be positive, got {self.timeout}')
        if not (self.max_linear > 0 and self.max_angular > 0):
            raise ValueError(
                f'max_linear and max_angular must be positive, got {self.max_linear}, '
                f'{self.max_angular}'
            )
        if not self.resample_period > 0:
            raise ValueError(f'resample_period must be positive, got {self.resample_period}')
        check_ranges(self)
        ranges = (self.range_vx, self.range_vy, self.range_wz)
        # A training command the topic path would refuse could never be given at run time.
        self.check((self.fixed_vx, self.fixed_vy, self.fixed_wz), 'fixed sampler command')
        self.check(ranges, 'uniform sampler ranges')

    def check(self, command, what: str = 'velocity command') -> np.ndarray:
        """Return ``(vx, vy, wz)`` as float32 if finite and within the limits, else raise."""
        values = np.asarray(command, dtype=np.float64)
        if values.shape != (COMMAND_SIZE,):
            raise CommandError(f'{what} must be (vx, vy, wz), got shape {values.shape}')
        if not np.all(np.isfinite(values)):
            raise CommandError(f'{what} is not finite: {_shown(values)}')
        vx, vy, wz = values
        if max(abs(vx), abs(vy)) > self.max_linear:
            raise CommandError(
                f'{what}: linear ({vx:.3g}, {vy:.3g}) m/s exceeds max_linear '
                f'{self.max_linear:g} m/s'
            )
        if abs(wz) > self.max_angular:
            raise CommandError(
                f'{what}: angular.z {wz:.3g} rad/s exceeds max_angular {self.max_angular:g} rad/s'
            )
        return values.astype(np.float32)

    def fixed_command(self) -> np.ndarray:
        """Return the fixed sampler's command."""
        return np.array([self.fixed_vx, self.fixed_vy, self.fixed_wz], dtype=np.float32)


def _shown(values: np.ndarray) -> str:
    return '(' + ', '.join(f'{v:.3g}' for v in values) + ')'


def twist_command(
    linear: tuple[float, float, float], angular: tuple[float, float, float]
) -> np.ndarray:
    """Return ``(vx, vy, wz)`` from a Twist's linear and angular vectors.

    Every component must be finite, the ones a ground robot ignores (linear.z, angular.x,
    angular.y) included: a NaN anywhere marks a broken sender. Range checks are the
    config's (:meth:`VelocityCommandConfig.check`).
    """
    values = np.array([*linear, *angular], dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise CommandError(f'cmd_vel is not finite: linear {linear}, angular {angular}')
    return np.array([values[0], values[1], values[5]], dtype=np.float64)


class CommandSampler:
    """Training commands: fixed, or uniform draws held for ``resample_period`` seconds."""

    # As CommandBoard's: a sampler never refuses a command.
    refused = 0
    last_refusal = ''

    def __init__(self, config: VelocityCommandConfig, rng: np.random.Generator) -> None:
        self.config = config
        self.rng = rng
        self._command = config.fixed_command()
        self._next_draw: float | None = None

    def command(self, now: float) -> np.ndarray:
        """Return the command in force at time ``now`` (s, any monotonic clock)."""
        cfg = self.config
        if cfg.sampler == 'fixed':
            return self._command
        if (
            self._next_draw is None
            or now >= self._next_draw
            or now < self._next_draw - (2 * cfg.resample_period)
        ):  # (a clock that jumped back, e.g. a new simulation, redraws too)
            if self.rng.random() < cfg.zero_probability:
                self._command = ZERO_COMMAND.copy()
            else:
                limits = np.array([cfg.range_vx, cfg.range_vy, cfg.range_wz])
                self._command = self.rng.uniform(-limits, limits).astype(np.float32)
            self._next_draw = now + cfg.resample_period
        return self._command


def yaw_from_quaternion(qx: float, qy: float, qz: float, qw: float) -> float:
    """Return the body's yaw (rad, about the world vertical) from its orientation."""
    return math.atan2(2.0 * (qw * qz + qx * qy), 1.0 - 2.0 * (qy * qy + qz * qz))


def wrap_angle(angle: float) -> float:
    """Return ``angle`` wrapped into [-pi, pi)."""
    return (angle + math.pi) % (2.0 * math.pi) - math.pi


class HeadingHold:
    """Turns a command's yaw rate into one that also steers back to a held heading.

    A yaw-rate command of zero asks for no turning, and a policy that curves slowly
    satisfies it nearly; the heading it drifts to is never asked back. With a hold, the
    heading at the start (:meth:`reset`) is held, moved by the commanded yaw rate each
    tick, and the yaw rate in force is ``wz + clip(gain * wrap(held - yaw), +-limit)``,
    within ``max_angular``: the observation shows it, the reward tracks it, so drift costs
    reward until it is undone. A zero command (stand) holds nothing: the held heading
    follows the body, so a robot that is only asked to stand is never asked to turn.
    """

    def __init__(self, config: VelocityCommandConfig, period: float) -> None:
        self.config = config
        self.period = period
        self._held: float | None = None

    def reset(self) -> None:
        """Hold the heading of the next tick's body."""
        self._held = None

    def command(self, command: np.ndarray, yaw: float) -> np.ndarray:
        """Return ``command`` with the hold's yaw rate added; the body's ``yaw`` (rad)."""
        cfg = self.config
        if cfg.heading_hold_gain == 0.0 or not math.isfinite(yaw):
            return command
        if self._held is None or not np.any(command):
            self._held = yaw
            return command
        self._held = wrap_angle(self._held + float(command[2]) * self.period)
        correction = cfg.heading_hold_gain * wrap_angle(self._held - yaw)
        correction = max(-cfg.heading_hold_limit, min(cfg.heading_hold_limit, correction))
        held = np.array(command, dtype=np.float32)
        held[2] = max(-cfg.max_angular, min(cfg.max_angular, float(command[2]) + correction))
        return held


class CommandBoard:
    """The latest accepted ``cmd_vel`` and the last refusal, written by a callback.

    Thread-safe, so the subscription callback and the tick may run in different threads.
    """

    def __init__(self, config: VelocityCommandConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._command: np.ndarray | None = None
        self._stamp = -math.inf
        self.refused = 0
        self.last_refusal = ''

    def update(self, now: float, linear, angular) -> str | None:
        """Store a Twist received at ``now``; return why it was refused, or None."""
        try:
            command = self.config.check(twist_command(linear, angular), CMD_VEL)
        except CommandError as exc:
            with self._lock:
                self.refused += 1
                self.last_refusal = str(exc)
            return str(exc)
        with self._lock:
            self._command, self._stamp = command, now
        return None

    def command(self, now: float) -> np.ndarray:
        """Return the command in force at ``now``: zero when none or older than the timeout."""
        with self._lock:
            age = now - self._stamp
            if self._command is None or not (-self.config.timeout <= age <= self.config.timeout):
                return ZERO_COMMAND.copy()
            return self._command.copy()
