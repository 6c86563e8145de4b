# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Watch a split training run from inside one namespace; print its statuses as JSON.

    python tests/two_hosts_observer.py --namespace spot --timeout 120 --min-version 2

Run by tests/test_two_hosts.py inside the learner's network namespace, so the agent's
status it reports has crossed the link. It waits until the agent acts with a pushed
policy of at least ``--min-version``, the recorder holds steps and the learner's status
has arrived, then prints the last status of agent, recorder and learner (fields as
dicts) and exits 0; on timeout it prints what it saw and exits 1.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys
import time

from dreamstride_agent.learning_topics import (
    AGENT_STATUS,
    LEARNER_STATUS,
    RECORDER_STATUS,
    STATUS_QOS,
)
from dreamstride_msgs.msg import AgentStatus, LearnerStatus, RecorderStatus
import rclpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from msg_dict import to_plain


def main() -> int:
    """Watch until the run has pushed and acted on a policy, or time out."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--namespace', default='spot')
    parser.add_argument('--timeout', type=float, default=120.0)
    parser.add_argument('--min-version', type=int, default=2)
    parser.add_argument('--settle', type=float, default=3.0, help='s to watch after success')
    args = parser.parse_args()
    rclpy.init(args=['--ros-args', '-r', f'__ns:=/{args.namespace}'])
    node = rclpy.create_node('two_hosts_observer')
    latest: dict[str, object] = {}
    for key, msg_type, topic in (
        ('agent', AgentStatus, AGENT_STATUS),
        ('recorder', RecorderStatus, RECORDER_STATUS),
        ('learner', LearnerStatus, LEARNER_STATUS),
    ):
        node.create_subscription(
            msg_type, topic, lambda m, k=key: latest.__setitem__(k, m), STATUS_QOS
        )

    def done() -> bool:
        agent, recorder = latest.get('agent'), latest.get('recorder')
        # The test reads the learner's status too: a pushed policy does not imply it
        # arrived here yet on a loaded machine.
        return (
            agent is not None
            and recorder is not None
            and latest.get('learner') is not None
            and agent.mode == AgentStatus.MODE_POLICY
            and agent.policy_version >= args.min_version
            and recorder.steps_received > 0
        )

    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and not done():
        rclpy.spin_once(node, timeout_sec=0.1)
    ok = done()
    settle = time.monotonic() + (args.settle if ok else 0.0)
    while time.monotonic() < settle:
        rclpy.spin_once(node, timeout_sec=0.1)
    print(json.dumps({'ok': ok, **{k: to_plain(m) for k, m in latest.items()}}))
    node.destroy_node()
    rclpy.try_shutdown()
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
