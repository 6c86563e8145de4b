# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""From policy actions to safe joint position commands.

The path every action takes before it reaches a robot, on every backend:

1. map: an action in [-1, 1] per joint becomes a target around the standing pose,
   ``standing + action * action_scale`` (rad);
2. low-pass: a 2nd-order Butterworth filter per joint (DayDreamer used 1.5 Hz at its
   control rate) smooths the targets;
3. rate limit: the command moves at most ``max_step`` rad per tick from the previous
   command;
4. clamp: the command stays inside the joint limits (minus a small margin).

Because the previous command is always inside the limits, step 4 cannot undo step 3:
whatever the policy outputs, published targets respect both bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

from dreamstride_agent.config_fields import described
import numpy as np
from scipy.signal import butter, sosfilt_zi
from spot_description.spot import JOINT_GROUPS, JOINT_LOWER, JOINT_UPPER, NUM_JOINTS, STANDING_POSE


@dataclass
class CommandConfig:
    """Parameters of the action-to-command path."""

    control_rate: float = described('Agent steps per second (Hz); DayDreamer used 20.', 20.0)
    filter_cutoff: float = described(
        'Butterworth low-pass cut-off on the targets (Hz), 0 = off.', 1.5
    )
    max_step: float = described('Largest change of a joint command per tick (rad).', 0.25)
    limit_margin: float = described('Distance kept from each joint limit (rad).', 0.02)
    action_scale: dict[str, float] = described(
        'Target offset from the standing pose for action 1 (rad).',
        factory=lambda: {'hip_x': 0.6, 'hip_y': 1.2, 'knee': 1.2},
    )

    def __post_init__(self) -> None:
        nyquist = self.control_rate / 2.0
        if self.control_rate <= 0:
            raise ValueError(f'control_rate must be positive, got {self.control_rate}')
        if self.filter_cutoff != 0 and not 0.01 <= self.filter_cutoff < nyquist:
            raise ValueError(
                f'filter_cutoff must be 0 (off) or in [0.01, {nyquist:g}) Hz at '
                f'{self.control_rate:g} Hz control, got {self.filter_cutoff}'
            )
        if self.max_step <= 0:
            raise ValueError(f'max_step must be positive, got {self.max_step}')

    def scale_vector(self) -> np.ndarray:
        """Return action_scale expanded to one value per joint."""
        scale = np.zeros(NUM_JOINTS)
        for group, idx in JOINT_GROUPS.items():
            scale[idx] = self.action_scale[group]
        return scale


class CommandFilter:
    """Stateful action -> joint command path (map, low-pass, rate limit, clamp)."""

    def __init__(
        self, config: CommandConfig | None = None, initial_command: np.ndarray | None = None
    ) -> None:
        self.config = config or CommandConfig()
        self._scale = self.config.scale_vector()
        self.lower = JOINT_LOWER + self.config.limit_margin
        self.upper = JOINT_UPPER - self.config.limit_margin
        self._sos = None
        if self.config.filter_cutoff > 0:
            self._sos = butter(
                2,
                self.config.filter_cutoff,
                btype='low',
                fs=self.config.control_rate,
                output='sos',
            )
        self.reset(STANDING_POSE if initial_command is None else initial_command)

    def reset(self, command: np.ndarray) -> None:
        """Start from ``command`` (e.g. the measured joint angles) with a settled filter."""
        command = np.clip(np.asarray(command, dtype=np.float64), self.lower, self.upper)
        self.command = command
        if self._sos is not None:
            # Filter state as if the input had been ``command`` forever.
            self._zi = sosfilt_zi(self._sos)[:, :, None] * command[None, None, :]

    def target(self, action: np.ndarray) -> np.ndarray:
        """Map an action in [-1, 1] (non-finite entries count as 0) to a raw target."""
        action = np.nan_to_num(
            np.asarray(action, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0
        )
        return STANDING_POSE + np.clip(action, -1.0, 1.0) * self._scale

    def _low_pass(self, x: np.ndarray) -> np.ndarray:
        """Advance the filter one sample: what ``sosfilt(sos, x[None], zi=zi)`` computes.

        On one sample scipy's sosfilt spends nearly all its time on argument checks and
        axis moves; the same transposed direct-form II recursion, written out per
        section, is a few numpy operations.
        """
        zi = self._zi
        for section, (b0, b1, b2, _a0, a1, a2) in enumerate(self._sos):
            y = b0 * x + zi[section, 0]
            zi[section, 0] = b1 * x - a1 * y + zi[section, 1]
            zi[section, 1] = b2 * x - a2 * y
            x = y
        return x

    def __call__(self, action: np.ndarray) -> np.ndarray:
        """Return the next joint command (rad, JOINT_NAMES order) for ``action``."""
        raw = self.target(action)
        if self._sos is not None:
            raw = self._low_pass(raw)
        step = np.clip(raw - self.command, -self.config.max_step, self.config.max_step)
        self.command = np.clip(self.command + step, self.lower, self.upper)
        return self.command.copy()
