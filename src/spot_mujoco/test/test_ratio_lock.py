# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The simulation side of the train-ratio lock, without ROS."""

from spot_mujoco.ratio_lock import RatioLock


def test_no_budget_never_pauses():
    lock = RatioLock()
    lock.set_steps('agent/status', 10**9)
    assert lock.may_step(0.0)


def test_pauses_while_the_agents_together_reach_the_budget():
    lock = RatioLock()
    lock.set_budget(500)
    lock.set_steps('spot_0/agent/status', 200)
    lock.set_steps('spot_1/agent/status', 299)
    assert lock.may_step(0.0)
    lock.set_steps('spot_1/agent/status', 300)  # 500 together: the budget
    assert not lock.may_step(1.0) and lock.paused
    assert not lock.may_step(2.0)
    lock.set_budget(600)  # the learner caught up
    assert lock.may_step(4.0) and not lock.paused
    assert lock.pauses == 1 and lock.paused_seconds == 3.0


def test_a_restarted_agent_does_not_reopen_the_budget():
    lock = RatioLock()
    lock.set_budget(500)
    lock.set_steps('spot_0/agent/status', 250)
    lock.set_steps('spot_1/agent/status', 250)
    assert not lock.may_step(0.0)
    lock.set_steps('spot_1/agent/status', 0)  # spot_1's agent restarted: counts from 0
    assert lock.taken == 500 and not lock.may_step(1.0)
    lock.set_steps('spot_1/agent/status', 10)
    assert lock.taken == 510 and not lock.may_step(2.0)


def test_a_resumed_run_counts_the_steps_stored_before_it_started():
    """The resumed learner's budget counts the store's steps; so must the new simulation."""
    lock = RatioLock(steps_before=5000)
    lock.set_budget(5100)  # prefill 5000 + what the updates so far allow
    lock.set_steps('agent/status', 99)
    assert lock.taken == 5099 and lock.may_step(0.0)
    lock.set_steps('agent/status', 100)
    assert not lock.may_step(1.0)  # without the 5000 it would run 5,000 steps ahead
