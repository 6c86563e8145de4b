# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The experiment's rescue decision, driven with simulated times and no ROS."""

from __future__ import annotations

from dreamstride_lab.reset_schedule import LIE_DOWN, RESCUE, ResetSchedule

UPRIGHT = 1.0
ON_BACK = -1.0


def test_no_rescue_when_disabled() -> None:
    schedule = ResetSchedule(0.0)
    assert not schedule.enabled
    assert not any(schedule.due(t, ON_BACK) for t in range(100))


def test_rescue_after_the_set_time_on_the_back_and_not_before() -> None:
    schedule = ResetSchedule(1.0)
    assert not schedule.due(10.0, ON_BACK)
    assert not schedule.due(10.95, ON_BACK)
    assert schedule.due(11.0, ON_BACK) == RESCUE
    schedule.requested(RESCUE, 11.0)
    schedule.reset_done(True)
    assert schedule.rescues == 1
    # The clock starts again after a reset.
    assert not schedule.due(11.05, ON_BACK)


def test_getting_up_restarts_the_clock_and_a_failed_reset_is_not_counted() -> None:
    schedule = ResetSchedule(1.0)
    schedule.due(0.0, ON_BACK)
    schedule.due(0.9, UPRIGHT)
    assert not schedule.due(1.5, ON_BACK)
    assert schedule.due(2.5, ON_BACK) == RESCUE
    schedule.requested(RESCUE, 2.5)
    schedule.reset_done(False)
    assert schedule.rescues == 0


def test_lie_down_on_schedule_counts_from_the_last_reset_of_either_kind() -> None:
    schedule = ResetSchedule(rescue_after=1.0, lie_down_every=25.0)
    assert schedule.due(0.0, UPRIGHT) is None  # the first reading starts the clock
    assert schedule.due(24.9, UPRIGHT) is None
    assert schedule.due(25.0, UPRIGHT) == LIE_DOWN
    schedule.requested(LIE_DOWN, 25.0)
    schedule.reset_done(True)
    assert (schedule.lie_downs, schedule.rescues) == (1, 0)
    assert schedule.due(40.0, UPRIGHT) is None
    # A rescue at 45 restarts the lie-down clock too.
    schedule.due(44.0, ON_BACK)
    assert schedule.due(45.0, ON_BACK) == RESCUE
    schedule.requested(RESCUE, 45.0)
    schedule.reset_done(True)
    assert schedule.due(69.0, UPRIGHT) is None
    assert schedule.due(70.0, UPRIGHT) == LIE_DOWN
    assert (schedule.lie_downs, schedule.rescues) == (1, 1)


def test_a_failed_lie_down_is_asked_again() -> None:
    schedule = ResetSchedule(lie_down_every=10.0)
    assert schedule.enabled
    schedule.due(0.0, UPRIGHT)
    assert schedule.due(10.0, UPRIGHT) == LIE_DOWN
    schedule.requested(LIE_DOWN, 10.0)
    schedule.reset_done(False)
    assert schedule.lie_downs == 0
    assert schedule.due(10.05, UPRIGHT) == LIE_DOWN
