# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The ratio lock, simulation side: pause while the agents are ahead of the learner.

The learner publishes how many environment steps may have been collected by now (its
updates times the replayed steps per update, over the train ratio, plus some slack);
the agents publish how many steps they took. While the steps reach that budget the
simulation stops stepping and stops publishing /clock, so agents on simulated time
wait with it. Replayed steps per environment step then follow the train ratio on a
loaded laptop and on an idle workstation alike.
"""

from __future__ import annotations


class RatioLock:
    """Whether the simulation may advance, from the latest budget and step counts."""

    def __init__(self, steps_before: int = 0) -> None:
        self.budget = 0  # 0: no learner, or no ratio to lock
        self.steps: dict[str, int] = {}  # steps taken, by agent (status publisher)
        # Steps of earlier agent processes on the same status topic (a restarted robot),
        # and those a resumed run stored before this simulation started (its learner's
        # budget counts them: without them a resumed robot would collect them again).
        self.earlier: dict[str, int] = {'': int(steps_before)} if steps_before else {}
        self.pauses = 0
        self.paused_seconds = 0.0
        self._paused_at: float | None = None

    def set_budget(self, budget: int) -> None:
        """Record the learner's latest environment step budget."""
        self.budget = int(budget)

    def set_steps(self, agent: str, steps: int) -> None:
        """Record an agent's latest step count.

        A count lower than the last one comes from a new agent process on that status
        topic (a restarted robot counts from 0 again): the steps of the earlier one are
        in the store all the same, so they stay counted.
        """
        steps = int(steps)
        last = self.steps.get(agent, 0)
        if steps < last:
            self.earlier[agent] = self.earlier.get(agent, 0) + last
        self.steps[agent] = steps

    @property
    def taken(self) -> int:
        """Environment steps taken by every agent together, restarted ones included."""
        return sum(self.steps.values()) + sum(self.earlier.values())

    def may_step(self, now: float) -> bool:
        """Whether to advance the simulation at ``now`` (s, wall clock; for statistics)."""
        hold = self.budget > 0 and self.taken >= self.budget
        if hold and self._paused_at is None:
            self._paused_at = now
            self.pauses += 1
        elif not hold and self._paused_at is not None:
            self.paused_seconds += now - self._paused_at
            self._paused_at = None
        return not hold

    @property
    def paused(self) -> bool:
        """Whether the simulation is paused now."""
        return self._paused_at is not None
