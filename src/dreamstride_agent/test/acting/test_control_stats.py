# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""PeriodStats: tick periods over a window, and deadline misses since the start."""

from __future__ import annotations

from dreamstride_agent.acting.control_stats import PeriodStats
import pytest


def ticks(stats: PeriodStats, times: list[float]) -> PeriodStats:
    for t in times:
        stats.tick(t)
    return stats


def test_no_period_before_the_second_tick():
    stats = PeriodStats(0.05)
    assert stats.summary() == {'mean': 0.0, 'p50': 0.0, 'p99': 0.0, 'max': 0.0}
    stats.tick(10.0)
    assert stats.summary()['max'] == 0.0 and stats.deadline_misses == 0


def test_the_summary_describes_the_periods():
    stats = ticks(PeriodStats(0.05), [0.0, 0.05, 0.10, 0.15, 0.35])
    summary = stats.summary()
    assert summary['mean'] == pytest.approx(0.35 / 4)
    assert summary['p50'] == pytest.approx(0.05)
    assert summary['max'] == pytest.approx(0.20)
    assert 0.05 < summary['p99'] <= 0.20


def test_a_miss_is_a_period_longer_than_tolerance_times_nominal():
    # Nominal 0.5 s, tolerance 1.5: 0.75 s is on time, anything longer a miss.
    stats = ticks(PeriodStats(0.5, tolerance=1.5), [0.0, 0.75, 1.5, 2.5, 2.75, 4.0])
    assert stats.deadline_misses == 2  # the 1.0 s and 1.25 s periods


def test_a_restart_forgets_the_previous_tick():
    stats = ticks(PeriodStats(0.05), [0.0, 0.05])
    stats.restart()  # a pause that is no miss (e.g. the simulation paused)
    ticks(stats, [100.0, 100.05])
    assert stats.deadline_misses == 0
    assert stats.summary()['max'] == pytest.approx(0.05)


def test_the_window_keeps_the_latest_periods_and_misses_count_since_start():
    stats = ticks(PeriodStats(0.05, window=3), [0.0, 1.0, 1.05, 1.10, 1.15])
    assert stats.summary()['max'] == pytest.approx(0.05)  # the 1 s period left the window
    assert stats.deadline_misses == 1
