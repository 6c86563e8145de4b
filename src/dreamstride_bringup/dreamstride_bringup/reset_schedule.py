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

# Below this z of the body's up axis in the world frame the robot counts as on its back.
ON_BACK_UP_Z = -0.5


def up_z(qx: float, qy: float) -> float:
    """Return the world z of the body's up axis for a unit quaternion's x and y."""
    return 1.0 - 2.0 * (qx * qx + qy * qy)


class ResetSchedule:
    """Decide rescues: a reset after ``rescue_after`` simulated seconds on the back.

    ``rescue_after`` of 0 never rescues (DayDreamer's no-reset setting).
    """

    def __init__(self, rescue_after: float = 0.0) -> None:
        self.rescue_after = rescue_after
        self.rescues = 0
        self._on_back_since: float | None = None

    @property
    def enabled(self) -> bool:
        """Whether this schedule ever asks for a reset."""
        return self.rescue_after > 0

    def due(self, now: float, up_z: float) -> bool:
        """Record an IMU reading at simulated time ``now``; return whether to reset now."""
        if not self.enabled:
            return False
        if up_z > ON_BACK_UP_Z:
            self._on_back_since = None
            return False
        if self._on_back_since is None:
            self._on_back_since = now
        return now - self._on_back_since >= self.rescue_after

    def reset_done(self, success: bool) -> None:
        """Record the reset service's answer to the request :meth:`due` asked for."""
        self._on_back_since = None
        if success:
            self.rescues += 1
