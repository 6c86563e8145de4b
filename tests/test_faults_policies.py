# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Fault injection, policies: hostile load_policy requests and a policy whose actions are NaN.

An agent on the MuJoCo backend (the robot fixture) is sent 13 kinds of hostile
load_policy request, back to back, then a policy with finite weights whose actions are
NaN at run time, then 40 requests at once from 4 clients; in process, a NaN policy that
has no policy to fall back to. The outcome the design promises for each is a row of the
fault table; faults_harness.py describes the whole suite.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import sys
import time

from dreamstride_agent.learning_topics import LOAD_POLICY, LOAD_POLICY_QOS
from dreamstride_msgs.msg import AgentStatus
from dreamstride_msgs.srv import LoadPolicy
import numpy as np
import pytest
from spot_description.spot import STANDING_POSE

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / 'src/dreamstride_agent/test')]
pytest.register_assert_rewrite('faults_harness')
from faults_harness import (  # noqa: E402
    MAX_POLICY_BYTES,
    WATCHES,
    Robot,
    commands_respect_limits,
    late_ticks,
    max_interval,
    missing_seqs,
)
from faults_policies import Request  # noqa: E402
from faults_table import FaultTable  # noqa: E402

pytest_plugins = ['faults_fixtures']
pytestmark = [pytest.mark.slow, pytest.mark.faults]

# test_hostile_policies' call(format, version, sha256, bytes): the agent's answer
Call = Callable[[str, int, str, bytes], LoadPolicy.Response]


def test_hostile_policies(robot, table, policies):
    """Every hostile load_policy request is refused by name; acting goes on untouched."""
    w = robot.watch
    client = robot.node.create_client(LoadPolicy, f'{Robot.namespace}/{LOAD_POLICY}')
    assert robot.spin_until(client.service_is_ready, 30)

    def call(fmt: str, version: int, sha256: str, data: bytes) -> LoadPolicy.Response:
        future = client.call_async(
            LoadPolicy.Request(format=fmt, version=version, sha256=sha256, weights=data)
        )
        assert robot.spin_until(future.done, 30), 'load_policy did not answer'
        return future.result()

    factory = policies
    first, first_sha = factory.valid(1)
    assert call('safetensors', 1, first_sha, first).accepted
    hostile = factory.hostile(2, active=1, max_bytes=MAX_POLICY_BYTES)
    nan_policy, nan_sha = factory.nan_at_run_time(2)
    good, good_sha = factory.valid(3)
    assert robot.spin_until(lambda: w.steps[-1].policy_version == 1, 10)
    after = hostile_requests_refused(robot, table, call, hostile)
    nan_policy_dropped(robot, table, call, nan_policy, nan_sha, after)

    row = table.row('a valid policy after all that', 'accepted and acted with')
    answer = call('safetensors', 3, good_sha, good)
    row.observe(answer.message)
    assert answer.accepted and robot.spin_until(lambda: w.steps[-1].policy_version == 3, 5)
    row.passed()
    robot.node.destroy_client(client)


def hostile_requests_refused(
    robot: Robot, table: FaultTable, call: Call, hostile: list[Request]
) -> AgentStatus:
    """Send the hostile requests back to back; a row for each and one for them all.

    Returns the agent's status after them.
    """
    w = robot.watch
    # A quiet status period first: on a busy machine the agent misses deadlines on its
    # own, and then the requests' effect on timing cannot be judged.
    quiet = robot.status_after(time.monotonic(), lambda s: s.policy_version == 1)
    before = robot.status_after(time.monotonic(), lambda s: True)
    assert quiet is not None and before is not None
    sent_at = time.monotonic()
    answers = [
        (request, call(request.format, request.version, request.sha256, request.data))
        for request in hostile
    ]
    answered = time.monotonic() - sent_at
    after = robot.status_after(time.monotonic(), lambda s: True)
    window = w.steps_after(sent_at)
    late = late_ticks(window)
    longest = max_interval(window)
    quiet_misses = before.deadline_misses - quiet.deadline_misses
    misses = after.deadline_misses - before.deadline_misses
    for request, answer in answers:
        row = table.row(
            f'load_policy: {request.name}',
            'refused with a message naming the problem; agent keeps v1',
        )
        row.observe(
            answer.message.removeprefix('refused: policy refused ')[:110]
            + f' (active v{answer.active_version})'
        )
        assert not answer.accepted and answer.active_version == 1
        assert request.expect in answer.message, answer.message
        row.passed()
    messages = [answer.message for _, answer in answers]
    row = table.row(
        f'the {len(answers)} hostile requests, back to back',
        'distinct messages; AgentStatus.policies_refused counts them; every '
        'tick acts with v1, none missed',
    )
    row.observe(
        f'{len(set(messages))} distinct messages, answered in {answered:.1f} s; '
        f'policies_refused {before.policies_refused} -> {after.policies_refused}; '
        f'{len(window)} steps since the first, policy versions '
        f'{sorted({s.policy_version for s in window})}',
        steps_lost=missing_seqs(window),
        ticks_missed=f'{misses} deadline misses (quiet second before: '
        f'{quiet_misses}{"" if quiet_misses == 0 else ", so not judged"}); '
        f'{late} Step stamp interval(s) over 75 ms, longest {1000 * longest:.0f} ms',
    )
    assert len(set(messages)) == len(messages)
    assert after.policies_refused - before.policies_refused == len(answers)
    assert messages[-1].endswith(after.last_refusal.split(': ', 1)[1])  # 'v2: <why>'
    assert {s.policy_version for s in window} == {1} and missing_seqs(window) == 0
    # Deadline misses during the requests are reported in the table, not asserted: on a
    # shared CI machine they measure the load as much as the agent (see the benchmarks).
    row.passed()
    return after


def nan_policy_dropped(
    robot: Robot,
    table: FaultTable,
    call: Call,
    nan_policy: bytes,
    nan_sha: str,
    after: AgentStatus,
) -> None:
    # Finite weights, NaN actions: accepted by validation, dropped at its first tick.
    w, p = robot.watch, robot.p
    row = table.row(
        'policy whose actions are NaN at run time (finite weights of 3e38)',
        'passes import validation; dropped at its first tick, v1 restored; status says why',
    )
    sent_at = time.monotonic()
    answer = call('safetensors', 2, nan_sha, nan_policy)
    dropped = robot.status_after(
        sent_at, lambda s: s.policies_refused == after.policies_refused + 1
    )
    window = w.steps_after(sent_at)
    actions_finite = all(np.all(np.isfinite(s.action)) for s in window)
    row.observe(
        f'load_policy: {answer.message}; then last_refusal '
        f'"{dropped.last_refusal if dropped else "-"}"; steps after it: versions '
        f'{sorted({s.policy_version for s in window})}, actions finite: '
        f'{actions_finite}',
        steps_lost=missing_seqs(window),
        ticks_missed=dropped.deadline_misses - after.deadline_misses if dropped else '-',
    )
    assert answer.accepted and dropped is not None
    assert 'v2 produced a non-finite' in dropped.last_refusal
    assert dropped.policy_version == 1 and {s.policy_version for s in window} == {1}
    assert actions_finite and missing_seqs(window) == 0
    assert 'dropped, restored v1' in p.log('agent')
    row.passed()


def test_parallel_policy_requests_are_all_answered(robot, table, policies):
    """40 load_policy calls at once, from 4 clients: every one is answered and counted."""
    w = robot.watch
    row = table.row(
        '40 parallel load_policy calls from 4 clients',
        'every call answered; each counted once in policies_refused; acting goes on',
    )
    clients = [
        robot.node.create_client(
            LoadPolicy, f'{Robot.namespace}/{LOAD_POLICY}', qos_profile=LOAD_POLICY_QOS
        )
        for _ in range(4)
    ]
    assert robot.spin_until(lambda: all(c.service_is_ready() for c in clients), 30)
    before = robot.status_after(time.monotonic(), lambda s: True)
    assert before is not None
    # Valid bytes under version 0, never newer than the active one: each is refused
    # without being built.
    data, sha256 = policies.valid(1)
    sent_at = time.monotonic()
    futures = [
        c.call_async(
            LoadPolicy.Request(format='safetensors', version=0, sha256=sha256, weights=data)
        )
        for _ in range(10)
        for c in clients
    ]
    answered = robot.spin_until(lambda: all(f.done() for f in futures), 60)
    done = sum(f.done() for f in futures)
    # The status comes once a second: give it time to count the last refusals.
    after = robot.status_after(
        time.monotonic(), lambda s: s.policies_refused >= before.policies_refused + done, 15.0
    )
    refused = (after or w.agent).policies_refused - before.policies_refused
    row.observe(
        f'{done} of 40 answered in {time.monotonic() - sent_at:.1f} s; '
        f'policies_refused +{refused}; {len(w.steps_after(sent_at))} steps meanwhile'
    )
    assert answered and done == 40
    assert all(not f.result().accepted for f in futures)
    assert refused == 40 and len(w.steps_after(sent_at)) > 0
    for c in clients:
        robot.node.destroy_client(c)
    row.passed()


def test_nan_policy_with_no_previous_one(table, policies):
    """In process (AgentCore and PolicySlot): with no policy to restore, back to random."""
    from dreamstride_agent.acting.agent_core import AgentConfig, AgentCore
    from dreamstride_agent.acting.observation import ImuReading, JointReading, OdometryReading
    from dreamstride_agent.acting.policy_slot import PolicySlot

    row = table.row(
        'NaN-action policy as the first policy (in process: AgentCore, PolicySlot)',
        'dropped at its first tick; back to random exploration',
    )
    slot = PolicySlot(AgentConfig().observation_spec().size, 12, MAX_POLICY_BYTES)
    core = AgentCore(AgentConfig(), slot, np.random.default_rng(0))
    data, sha256 = policies.nan_at_run_time(1)
    accepted, _ = slot.offer('safetensors', 1, sha256, data)
    result = core.tick(
        JointReading(STANDING_POSE.copy(), np.zeros(12), 0.0),
        ImuReading(np.array([0.0, 0.0, 0.0, 1.0]), np.zeros(3), 0.0),
        OdometryReading(np.zeros(2), 0.0),
    )
    row.observe(
        f'{result.dropped_policy}; that tick acted with v{result.policy_version}, '
        f'action finite: {bool(np.all(np.isfinite(result.action)))}',
        steps_lost=0,
        ticks_missed=0,
    )
    assert accepted and slot.active is None and result.policy_version == 0
    assert 'v1 produced a non-finite' in result.dropped_policy
    assert 'back to random exploration' in result.dropped_policy
    assert np.all(np.isfinite(result.action)) and np.all(np.isfinite(result.command))
    assert slot.refused == 1 and slot.last_refusal.startswith('policy v1 produced')
    row.passed()


# --- every command of the module --------------------------------------------------------
def test_published_commands_respect_limits(table):
    """Whatever the policies did above, every published command stayed safe."""
    commands_respect_limits(table, WATCHES, Path(__file__).name, more_than=100)
