# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Control-loop timing statistics over a sliding window (for AgentStatus and benchmarks)."""

from __future__ import annotations

from collections import deque

import numpy as np


class PeriodStats:
    """Tick periods (s) over the last ``window`` ticks, and deadline misses since start.

    A tick misses its deadline when it comes more than ``tolerance`` periods after the
    previous one.
    """

    def __init__(self, nominal_period: float, window: int = 200, tolerance: float = 1.5) -> None:
        self.nominal = nominal_period
        self.tolerance = tolerance
        self.periods: deque[float] = deque(maxlen=window)
        self.deadline_misses = 0
        self._last: float | None = None

    def tick(self, now: float) -> None:
        """Record a tick at time ``now`` (s)."""
        if self._last is not None:
            period = now - self._last
            self.periods.append(period)
            if period > self.tolerance * self.nominal:
                self.deadline_misses += 1
        self._last = now

    def restart(self) -> None:
        """Forget the previous tick (e.g. after a pause that is not a miss)."""
        self._last = None

    def summary(self) -> dict[str, float]:
        """Return mean, p50, p99 and max of the window (0 when empty)."""
        if not self.periods:
            return {'mean': 0.0, 'p50': 0.0, 'p99': 0.0, 'max': 0.0}
        values = np.fromiter(self.periods, dtype=np.float64)
        return {
            'mean': float(values.mean()),
            'p50': float(np.percentile(values, 50)),
            'p99': float(np.percentile(values, 99)),
            'max': float(values.max()),
        }
