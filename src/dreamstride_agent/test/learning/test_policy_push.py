# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The learner's push schedule, driven with fake clients and an injected clock."""

from __future__ import annotations

from types import SimpleNamespace

from dreamstride_agent.learning.policy_push import (
    MAX_BACKOFF,
    NOT_FOUND_AFTER,
    AgentPush,
    PolicyPusher,
)
import pytest


class FakeFuture:
    def __init__(self) -> None:
        self.response = None
        self.error: Exception | None = None

    def done(self) -> bool:
        return self.response is not None or self.error is not None

    def result(self):
        if self.error is not None:
            raise self.error
        return self.response


class FakeClient:
    def __init__(self) -> None:
        self.ready = True
        self.calls: list[tuple[object, FakeFuture]] = []
        self.removed: list[FakeFuture] = []

    def service_is_ready(self) -> bool:
        return self.ready

    def call_async(self, request):
        future = FakeFuture()
        self.calls.append((request, future))
        return future

    def remove_pending_request(self, future) -> None:
        self.removed.append(future)

    def answer(self, accepted: bool = True, message: str = '') -> None:
        self.calls[-1][1].response = SimpleNamespace(accepted=accepted, message=message)


class Harness:
    def __init__(self, agents: int = 1) -> None:
        self.now = 100.0
        self.logs: list[tuple[str, str]] = []
        self.accepted: list[int] = []
        self.clients = [FakeClient() for _ in range(agents)]
        self.pusher = PolicyPusher(
            [
                AgentPush(f'a{i}/load_policy', f'/a{i}/load_policy', c)
                for i, c in enumerate(self.clients)
            ],
            lambda data, sha256, version: (data, sha256, version),
            lambda: self.now,
            lambda level, message: self.logs.append((level, message)),
            self.accepted.append,
            timeout=10.0,
            timeout_per_mb=1.0,
        )

    def check(self, version: int, at: float | None = None) -> None:
        if at is not None:
            self.now = at
        self.pusher.check((b'x' * 100, 'sha', version), self.now - 0.5)

    def levels(self, level: str) -> list[str]:
        return [m for lvl, m in self.logs if lvl == level]


def test_nothing_is_sent_before_the_first_export():
    h = Harness()
    h.pusher.check(None, None)
    assert not h.clients[0].calls and h.pusher.last_push is None


def test_a_new_version_goes_out_once_and_its_acceptance_is_reported():
    h = Harness()
    h.check(1)
    assert h.clients[0].calls[0][0] == (b'x' * 100, 'sha', 1)
    h.check(1)  # in flight: not sent again
    h.clients[0].answer(accepted=True)
    h.check(1, at=100.2)
    assert len(h.clients[0].calls) == 1  # the agent has v1: nothing more to send
    assert h.accepted == [1] and h.pusher.any_accepted
    assert h.pusher.latency == pytest.approx(0.7)  # from the export, 0.5 s before the call
    h.check(2, at=101.0)
    assert h.clients[0].calls[-1][0][2] == 2


def test_a_refusal_is_an_error_and_the_version_is_not_sent_again():
    h = Harness()
    h.check(1)
    h.clients[0].answer(accepted=False, message='dimensions: no')
    h.check(1, at=101.0)
    assert h.levels('error') == ['a0/load_policy refused policy v1: dimensions: no']
    assert not h.pusher.any_accepted and h.accepted == []
    assert len(h.clients[0].calls) == 1


def test_an_unanswered_call_is_abandoned_and_retried_with_a_doubling_backoff():
    h = Harness()
    h.check(1)
    deadlines = []
    for _ in range(8):
        push = h.pusher.pushes['a0/load_policy']
        h.check(1, at=push.pushed_at + push.deadline + 0.01)  # past the deadline: abandoned
        deadlines.append(push.next_try - h.now)
        h.check(1, at=push.next_try)  # retried at the backoff
    assert deadlines == [1, 2, 4, 8, 16, 30, 30, 30]
    assert max(deadlines) == MAX_BACKOFF
    assert len(h.clients[0].removed) == 8 and len(h.clients[0].calls) == 9
    errors = h.levels('error')
    assert errors[0].startswith('agent a0/load_policy: ') and '/a0/load_policy' in errors[0]
    assert errors[0].endswith('retrying it in 1 s') and errors[5].endswith('in 30 s')
    h.clients[0].answer()
    h.check(1, at=h.now + 0.1)
    assert h.pusher.pushes['a0/load_policy'].backoff == 1.0  # an answer resets it


def test_a_failed_call_is_retried_after_the_backoff():
    h = Harness()
    h.check(1)
    h.clients[0].calls[-1][1].error = RuntimeError('broken pipe')
    h.check(1, at=100.1)
    assert h.levels('warning') == ['push to a0/load_policy failed: broken pipe']
    h.check(1, at=100.5)
    assert len(h.clients[0].calls) == 1  # waiting out the backoff
    h.check(1, at=101.2)
    assert len(h.clients[0].calls) == 2


def test_an_absent_agent_is_named_once_then_warned_about_and_the_others_go_on():
    h = Harness(agents=2)
    h.clients[0].ready = False
    h.check(1)
    assert len(h.clients[1].calls) == 1  # the other agent gets its push
    h.check(1, at=100.0 + NOT_FOUND_AFTER - 0.1)
    assert h.levels('error') == []  # a late start is normal
    h.check(1, at=100.0 + NOT_FOUND_AFTER)
    errors = h.levels('error')
    assert len(errors) == 1 and errors[0].startswith('agent a0/load_policy is not reachable')
    assert '/a0/load_policy' in errors[0]
    h.check(1, at=100.0 + NOT_FOUND_AFTER + 29.0)
    assert h.levels('warning') == []
    h.check(1, at=100.0 + NOT_FOUND_AFTER + 30.0)
    assert h.levels('warning') == ['a0/load_policy still not reachable after 40 s']
    h.clients[0].ready = True
    h.check(1, at=200.0)
    assert h.levels('info')[-1] == 'a0/load_policy is reachable again after 100 s'
    assert len(h.clients[0].calls) == 1  # and it gets the latest policy at once


def test_an_agent_that_was_gone_is_a_new_process_and_gets_the_policy_again():
    h = Harness()
    h.check(3)
    h.clients[0].answer()
    h.check(3, at=100.1)
    assert h.pusher.pushes['a0/load_policy'].version == 3
    h.clients[0].ready = False  # restarted: its service disappears for a while
    h.check(3, at=101.0)
    h.check(3, at=102.5)
    h.clients[0].ready = True
    h.check(3, at=103.0)
    assert [call[0][2] for call in h.clients[0].calls] == [3, 3]
    # A blip shorter than a second keeps what the agent has.
    h.clients[0].answer()
    h.check(3, at=103.1)
    h.clients[0].ready = False
    h.check(3, at=103.2)
    h.clients[0].ready = True
    h.check(3, at=103.5)
    assert len(h.clients[0].calls) == 2
