# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The learner on another machine: the training graph split across a real network link.

Two network namespaces joined by one veth pair stand for a robot and a workstation
(dreamstride_lab.two_hosts: their own addresses, no bridge, route or NAT to this
machine's interfaces). ``dreamstride train --part robot`` (MuJoCo + agent) runs in
one, ``dreamstride train --part learner`` (recorder + learner) in the other, both with
``--discovery-range SUBNET`` and a ROS domain of their own. The test asserts that

- the steps crossed the link and are in the learner side's replay store;
- the learner's policies crossed it (the learner side's veth sent more bytes than the
  pushed policies hold) and the agent acts with them (its status, observed from the
  learner's side, shows MODE_POLICY and a pushed version);
- the sim's train-ratio lock hears the learner's budget across the link (the agent's
  steps stay within it);
- an agent the learner cannot reach gets an error naming its service and the
  discovery settings, and the other agent still gets every policy;
- nothing keeps running in either namespace once the run is stopped.

The namespaces are removed in the fixture's teardown, also when the test fails. The
test needs root and ``ip``; it skips, saying why, where it cannot make namespaces.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import subprocess
import sys
import time

from dreamstride_agent.recording.replay_store import list_segments, make_typestore, read_segment
from dreamstride_bringup.process_supervisor import stop_process_group
from dreamstride_msgs.msg import AgentStatus
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 150.0  # s until the agent acts with policy v2 (about 60 s on an idle 2-core box)
LEARNER = {
    'model': 'tiny',
    'prefill_steps': 100,
    'sync_every': 2.0,
    'scan_every': 1.0,
    'torch_threads': 1,
    # Few replayed steps per collected one are allowed, so the lock must hold the sim.
    'train_ratio': 256.0,
    'ratio_slack_steps': 100,
    # A second agent that never comes: the learner names it and trains on.
    'agents': '[load_policy,absent_agent/load_policy]',
}
ABSENT = 'no agent found at /spot/absent_agent/load_policy'
RECORDER = {'segment_steps': 50, 'idle_close_seconds': 1.0}


@pytest.fixture
def hosts():
    from dreamstride_lab.two_hosts import TwoHosts, unavailable

    why = unavailable()
    if why:
        pytest.skip(f'cannot make network namespaces here: {why}')
    made = TwoHosts()
    with made:
        yield made
        leaked = made.pids()
    assert not made.exists(), 'a namespace was left behind'
    assert not leaked, f'processes left running in the namespaces: {leaked}'


def _params(node: str, values: dict) -> list[str]:
    return [a for k, v in values.items() for a in ('-p', f'{node}:{k}={v}')]


def _side_env(domain: int) -> dict[str, str]:
    from dreamstride_bringup.graph import SPLIT_RUN_TRANSPORTS, ros_environment

    # What the command sets for a split run; the observer needs the same to hear it.
    env = ros_environment('SUBNET', transports=SPLIT_RUN_TRANSPORTS)
    env['ROS_DOMAIN_ID'] = str(domain)
    return env


def test_training_graph_across_a_network_link(hosts, tmp_path):
    # Not the session's domain: nothing of this run may meet the other tests' nodes.
    domain = 101 + int(os.environ['DREAMSTRIDE_TEST_DOMAIN_ID']) % 100
    env = _side_env(domain)
    train = [sys.executable, '-m', 'dreamstride_bringup.cli', 'train', '--discovery-range']
    robot_cmd = [
        *train,
        *('SUBNET', '--part', 'robot', '--run-dir', str(tmp_path / 'robot')),
        # The tiny untrained policy throws the robot on its back again and again, and the
        # self-right's ticks publish no steps: off, so the link carries steps throughout.
        *_params('agent', {'self_right_after': 0.0}),
    ]
    learner_cmd = [
        *train,
        *('SUBNET', '--part', 'learner', '--run-dir', str(tmp_path / 'learner')),
        *_params('learner', LEARNER),
        *_params('replay_recorder', RECORDER),
    ]
    procs = {}
    for name, side, cmd in (
        ('robot', hosts.robot, robot_cmd),
        ('learner', hosts.learner, learner_cmd),
    ):
        procs[name] = subprocess.Popen(
            side.command(cmd),
            env=env,
            stdout=open(tmp_path / f'{name}_side.log', 'w'),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = time.monotonic()
    try:
        observed = subprocess.run(
            hosts.learner.command(
                [
                    sys.executable,
                    str(ROOT / 'tests' / 'two_hosts_observer.py'),
                    *('--timeout', str(TIMEOUT), '--min-version', '2'),
                ]
            ),
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT + 60,
        )
        elapsed = time.monotonic() - started
        for name, proc in procs.items():
            assert proc.poll() is None, f'the {name} side stopped:\n{_logs(tmp_path)}'
        seen = json.loads(observed.stdout.strip().splitlines()[-1])
        assert seen['ok'], f'{seen}\n{observed.stderr[-2000:]}\n{_logs(tmp_path)}'
        learner_log = tmp_path / 'learner' / 'logs' / 'learner.log'
        deadline = time.monotonic() + 40.0  # logged once missing 10 s and retrying slowly
        while ABSENT not in learner_log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        sent_by_learner = hosts.learner.bytes_sent()
        sent_by_robot = hosts.robot.bytes_sent()
    finally:
        for proc in procs.values():
            stop_process_group(proc)
    print(f'policy v2 acted on {elapsed:.0f} s after the start; {seen}')
    absent = [line for line in learner_log.read_text().splitlines() if ABSENT in line]
    assert absent, _logs(tmp_path)
    assert 'ROS_AUTOMATIC_DISCOVERY_RANGE=SUBNET' in absent[0], absent[0]
    assert f'ROS_DOMAIN_ID={domain}' in absent[0], absent[0]
    agent, learner = seen['agent'], seen['learner']
    # Pushed over the link and acted on (this status itself crossed the link).
    # (Or, at that moment, righting itself: a hold of its own, with the policy loaded.)
    acting = agent['mode'] == AgentStatus.MODE_POLICY or (
        agent['hold_kind'] == AgentStatus.HOLD_SELF_RIGHT
    )
    assert acting and agent['policy_version'] >= 2, agent
    assert learner['policy_accepted'] and learner['policy_version'] >= agent['policy_version']
    policy_bytes = 200_000  # a tiny policy is 0.22 MB; two of them were pushed at least
    assert sent_by_learner > 2 * policy_bytes, sent_by_learner
    assert sent_by_robot > 100_000, sent_by_robot  # steps, statuses, /clock
    # The ratio lock hears the learner's budget: the agent never ran far ahead of it.
    assert learner['env_step_budget'] > 0
    assert agent['steps'] <= learner['env_step_budget'] + 40, (agent['steps'], learner)
    # The steps crossed the link into the learner side's store.
    replay = tmp_path / 'learner' / 'replay'
    records = [r for s in list_segments(replay) for r in read_segment(s, make_typestore())]
    assert len(records) >= LEARNER['prefill_steps']
    assert len({r.run_id for r in records}) == 1
    assert max(r.policy_version for r in records) >= 1
    assert not (tmp_path / 'robot' / 'replay').exists()  # nothing recorded on the robot


def _logs(tmp_path: Path) -> str:
    return '\n'.join(
        f'--- {p.relative_to(tmp_path)}\n' + '\n'.join(p.read_text().splitlines()[-12:])
        for p in sorted(tmp_path.glob('**/*.log'))
    )
