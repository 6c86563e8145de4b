# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""When the walking experiment puts the simulated Spot back on its belly.

ROS-free so tests drive it with made-up IMU readings and simulated times. The
experiment's status watcher feeds it every IMU message and calls the simulation's reset
service (pose lying) when :meth:`ResetSchedule.due` says so.

Times are simulated seconds (the IMU stamps): while the ratio lock pauses the
simulation, the robot waits as long in simulated time as it would on a fast machine.
"""

from __future__ import annotations

from spot_description.self_right import ON_BACK_UP_Z

RESCUE = 'rescue'
LIE_DOWN = 'lie_down'


class ResetSchedule:
    """Decide the resets: rescues from the back, and lying down on a schedule.

    - A rescue follows ``rescue_after`` simulated seconds on the back.
    - A lie-down follows ``lie_down_every`` simulated seconds without any reset, whatever
      the pose. It gives the data stand-ups to learn from: a policy that stands makes
      almost none by itself, while the experiment evaluates from lying.

    Either at 0 is off; both at 0 is DayDreamer's no-reset setting.
    """

    def __init__(self, rescue_after: float = 0.0, lie_down_every: float = 0.0) -> None:
        self.rescue_after = rescue_after
        self.lie_down_every = lie_down_every
        self.rescues = 0
        self.lie_downs = 0
        self._on_back_since: float | None = None
        self._last_reset: float | None = None
        self._requested: tuple[str, float] | None = None

    @property
    def enabled(self) -> bool:
        """Whether this schedule ever asks for a reset."""
        return self.rescue_after > 0 or self.lie_down_every > 0

    def due(self, now: float, up_z: float) -> str | None:
        """Record an IMU reading at simulated time ``now``; return the reset due, if any.

        The answer is :data:`RESCUE`, :data:`LIE_DOWN` or ``None``.
        """
        if self._last_reset is None:
            self._last_reset = now
        if up_z > ON_BACK_UP_Z:
            self._on_back_since = None
        elif self._on_back_since is None:
            self._on_back_since = now
        if self.rescue_after > 0 and self._on_back_since is not None:
            if now - self._on_back_since >= self.rescue_after:
                return RESCUE
        if self.lie_down_every > 0 and now - self._last_reset >= self.lie_down_every:
            return LIE_DOWN
        return None

    def requested(self, reset: str, now: float) -> None:
        """Record that the reset ``due`` returned at ``now`` was asked of the service."""
        self._requested = (reset, now)

    def reset_done(self, success: bool) -> None:
        """Record the reset service's answer to the last :meth:`requested` reset."""
        self._on_back_since = None
        requested, self._requested = self._requested, None
        if not success or requested is None:
            return
        reset, at = requested
        self._last_reset = at
        if reset == RESCUE:
            self.rescues += 1
        else:
            self.lie_downs += 1
