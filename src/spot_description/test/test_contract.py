# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The robot contract's rules for commands: what a backend applies, refuses and logs."""

from __future__ import annotations

from itertools import pairwise

from spot_description.contract import RejectionLog


# --- logging refusals: a flood of bad commands cannot flood the log ---------------------
def test_a_repeated_cause_is_logged_at_most_once_a_second():
    log = RejectionLog()
    times = [0.01 * i for i in range(300)]  # the same cause at 100 Hz for 3 s
    logged = [t for t in times if log.should_log('no points', 100.0 + t)]
    assert len(logged) == 3
    assert all(b - a >= 1.0 for a, b in pairwise(logged))


def test_a_new_cause_is_logged_at_once_up_to_the_lines_per_second():
    log = RejectionLog(per_second=10)
    assert log.should_log('a', 5.0) and log.should_log('b', 5.0) and log.should_log('a', 5.0)
    # 'a', 'b', 'a': each a change of cause. Then 20 more new causes in the same second:
    logged = sum(log.should_log(f'cause {i}', 5.5) for i in range(20))
    assert logged == 7  # ten lines in the window, whatever the causes
    assert log.should_log('cause 0', 6.0)  # the next window (one second after its start)


def test_causes_that_alternate_are_each_logged():
    # An alternation is a new cause every time: logged until the window is full.
    log = RejectionLog(per_second=4)
    assert [log.should_log(c, 1.0) for c in 'ababab'] == [True] * 4 + [False] * 2
