# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""A periodic trigger for run loops, in the spirit of dreamerv3's ``when.Every``."""

from __future__ import annotations

from collections.abc import Callable
import time


class Every:
    """True once every ``seconds`` (0 or less: never), by an injectable clock.

    ``Every(10.0)()`` is true at the first call when ``first`` is set, then once each
    time 10 s have passed since the last true.
    """

    def __init__(
        self, seconds: float, first: bool = True, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: float | None = None if first else clock()

    def __call__(self) -> bool:
        """Whether the period has passed (and start the next one if so)."""
        if self.seconds <= 0:
            return False
        now = self._clock()
        if self._last is not None and now - self._last < self.seconds:
            return False
        self._last = now
        return True
