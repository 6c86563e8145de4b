# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Getting off the back by joint commands, not by a teleport.

DayDreamer's point is learning without resets. A robot on its back (or side) that its policy cannot
right (the action range around the standing pose does not reach the self-right) would
lie there for the rest of a run, every step scoring the same. So after ``after`` seconds
on its back the agent runs spot_description's scripted self-right: the same joint
position commands, rate-limited to ``max_step`` rad per tick and clamped to the joint
limits, that any backend executes (spot_mujoco's test_self_right shows the physics of the
simulated Spot allows it at the real mass). Its ticks are not steps the policy chose: the
agent cuts the episode, publishes no Step for them and counts them (AgentStatus).

A real Spot has its own self-right controller; ``real_spot.yaml`` turns this off.
"""

from __future__ import annotations

import numpy as np
from spot_description.self_right import SELF_RIGHT_BELOW_UP_Z, self_right_schedule


class SelfRight:
    """Decides, tick by tick, whether the scripted self-right runs and what it commands."""

    def __init__(
        self, after: float, max_step: float, lower: np.ndarray, upper: np.ndarray
    ) -> None:
        self.after = after  # s on the back before it starts; 0: never
        self.max_step = max_step
        self.lower, self.upper = lower, upper
        self._schedule = self_right_schedule()
        self._on_back_since: float | None = None
        self._tick: int | None = None  # index into the schedule while running
        self.started = 0  # manoeuvres started since the agent started
        self.ticks = 0  # ticks spent in them

    @property
    def running(self) -> bool:
        """Whether a manoeuvre is under way."""
        return self._tick is not None

    @property
    def progress(self) -> str:
        """Where the running manoeuvre is, for people."""
        return f'tick {self._tick} of {len(self._schedule)}' if self.running else 'idle'

    def command(self, now: float, up_z: float, previous: np.ndarray) -> np.ndarray | None:
        """Return this tick's joint command if the self-right runs now, else None.

        ``now`` is the tick's time (s), ``up_z`` the world z of the body's up axis and
        ``previous`` the last joint command sent (rad), from which this one moves at most
        ``max_step``.
        """
        if not self.running:
            if self.after <= 0 or up_z > SELF_RIGHT_BELOW_UP_Z:
                self._on_back_since = None
                return None
            if self._on_back_since is None:
                self._on_back_since = now
            if now - self._on_back_since < self.after:
                return None
            self._tick = 0
            self.started += 1
        target = self._schedule[self._tick]
        step = np.clip(target - previous, -self.max_step, self.max_step)
        command = np.clip(previous + step, self.lower, self.upper)
        self._tick += 1
        self.ticks += 1
        if self._tick == len(self._schedule):
            self._tick = None
            self._on_back_since = None  # still on the back: wait again before retrying
        return command
