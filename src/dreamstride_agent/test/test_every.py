# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
from dreamstride_agent.every import Every


def test_every_fires_once_per_period_on_an_injected_clock():
    now = [0.0]
    every = Every(10.0, clock=lambda: now[0])
    fired = []
    for t in (0.0, 5.0, 9.9, 10.0, 12.0, 20.1, 20.2):
        now[0] = t
        fired.append(every())
    assert fired == [True, False, False, True, False, True, False]


def test_not_first_and_never():
    now = [0.0]
    later = Every(10.0, first=False, clock=lambda: now[0])
    assert not later()
    now[0] = 10.0
    assert later()
    assert not Every(0.0)()
