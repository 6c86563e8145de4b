# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Benchmark: what a policy push costs across a network link (needs root).

    python -m dreamstride_lab.link_benchmark [--models cpu daydreamer] [--pushes 5]
        [--discovery subnet|static-peers] [--transports DEFAULT LARGE_DATA]
        [--json out.json]

Builds two hosts on this machine (:mod:`dreamstride_lab.two_hosts`: two network
namespaces and one veth pair), starts the robot side of the training graph in one
(``dreamstride train --part robot``: MuJoCo + agent) and, in the other, a stand-in for
the learner that pushes policies of each model preset over ``load_policy`` exactly as
the learner does. For every push it measures

- the reply: from the call until the agent's answer (transfer, validation, reply);
- acting: from the call until the first Step acted with that version arrives;
- the bytes the learner's side put on the veth for it (the kernel's counter).

The same pushes from inside the robot's namespace (loopback, and Fast DDS's shared
memory where it applies) are the baseline: the difference is what the link costs.
Each set of Fast DDS transports (``--transports``: ``DEFAULT`` is UDP plus shared
memory, ``LARGE_DATA`` what a split ``dreamstride train`` uses) is one run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any

from spot_description.contract import DEFAULT_NAMESPACE

if TYPE_CHECKING:  # for the annotation only: measure() imports ROS where it runs
    from dreamstride_msgs.msg import Step

DEFAULT_MODELS = ('cpu', 'daydreamer')
DISCOVERY = ('subnet', 'static-peers')
# Fast DDS's builtin transport sets (FASTDDS_BUILTIN_TRANSPORTS): DEFAULT is UDPv4 plus
# shared memory; LARGE_DATA carries user data over TCP (discovery stays on UDP).
TRANSPORTS = ('DEFAULT', 'UDPv4', 'LARGE_DATA')
# Seconds a single push may take before it counts as lost.
PUSH_LIMIT = 120.0


def side_environment(discovery: str, peer: str, domain: int, transports: str) -> dict[str, str]:
    """Environment of one side: its discovery settings and a domain of its own."""
    from dreamstride_bringup.graph import ros_environment

    if discovery == 'subnet':
        env = ros_environment('SUBNET', transports=transports)
    else:  # unicast to the other side only; multicast stays off the link
        env = ros_environment('LOCALHOST', static_peers=[peer], transports=transports)
    env['ROS_DOMAIN_ID'] = str(domain)
    return env


# --- the learner's stand-in: runs inside a namespace ----------------------------------
class _StandIn:
    """The learner's stand-in: a node that sees the agent's steps and calls load_policy."""

    def __init__(self, namespace: str, device: str | None) -> None:
        """Start rclpy in ``namespace``; ``device``: the veth whose bytes sent count."""
        from dreamstride_agent.learning_topics import (
            LOAD_POLICY,
            LOAD_POLICY_QOS,
            STEP_QOS,
            STEPS,
        )
        from dreamstride_msgs.msg import Step
        from dreamstride_msgs.srv import LoadPolicy
        import rclpy

        self.rclpy = rclpy
        self.device = device
        rclpy.init(args=['--ros-args', '-r', f'__ns:=/{namespace}'])
        self.node = rclpy.create_node('link_benchmark')
        # The monotonic time the first Step of each policy version arrived.
        self.seen: dict[int, float] = {}
        self.obs_size: list[int] = []
        # Subscribing to the steps also opens the agent's recorder gate: it acts for us.
        self.node.create_subscription(Step, STEPS, self._on_step, STEP_QOS)
        self.client = self.node.create_client(LoadPolicy, LOAD_POLICY, qos_profile=LOAD_POLICY_QOS)

    def _on_step(self, msg: Step) -> None:
        self.seen.setdefault(msg.policy_version, time.monotonic())
        if not self.obs_size:
            self.obs_size.append(len(msg.observation))

    def sent(self) -> int:
        """Bytes the veth has sent so far (0 without a device: loopback)."""
        if self.device is None:
            return 0
        return int(Path(f'/sys/class/net/{self.device}/statistics/tx_bytes').read_text())

    def spin_until(self, done: Callable[[], object], seconds: float) -> bool:
        """Spin until ``done()`` or ``seconds`` have passed; return ``done()``."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and not done():
            self.rclpy.spin_once(self.node, timeout_sec=0.02)
        return bool(done())

    def push(self, version: int, data: bytes, sha256: str) -> dict[str, Any]:
        """Push one policy; return its row (reply and acting times, bytes, or the error)."""
        from dreamstride_msgs.srv import LoadPolicy

        before = self.sent()
        start = time.monotonic()
        request = LoadPolicy.Request(
            format='safetensors', version=version, sha256=sha256, weights=data
        )
        future = self.client.call_async(request)
        answered = self.spin_until(future.done, PUSH_LIMIT)
        reply = time.monotonic() - start
        if not answered or not future.result().accepted:
            message = future.result().message if answered else 'no reply'
            self.client.remove_pending_request(future)
            return {'bytes': len(data), 'error': message, 'reply_s': reply}
        acted = self.spin_until(lambda: version in self.seen, 30.0)
        return {
            'bytes': len(data),
            'reply_s': reply,
            'act_s': (self.seen[version] - start) if acted else None,
            'sent_bytes': self.sent() - before,
        }

    def close(self) -> None:
        """Destroy the node and shut rclpy down."""
        self.node.destroy_node()
        self.rclpy.try_shutdown()


def _model_summary(rows: list[dict], policy_bytes: int, device: str | None) -> dict[str, Any]:
    """Summarise one model's push ``rows``: sizes, failures, reply and acting times."""
    import numpy as np

    ok = [r for r in rows if 'error' not in r]
    reply = np.array([r['reply_s'] for r in ok]) if ok else np.zeros(0)
    act = np.array([r['act_s'] for r in ok if r['act_s'] is not None])
    return {
        'policy_mb': policy_bytes / 1e6,
        'pushes': len(rows),
        'failed': len(rows) - len(ok),
        'reply_ms_p50': float(np.percentile(reply, 50) * 1e3) if reply.size else None,
        'reply_ms_max': float(reply.max() * 1e3) if reply.size else None,
        'act_ms_p50': float(np.percentile(act, 50) * 1e3) if act.size else None,
        'act_ms_max': float(act.max() * 1e3) if act.size else None,
        'wire_mb_per_push': (
            float(np.mean([r['sent_bytes'] for r in ok]) / 1e6) if ok and device else None
        ),
        'errors': sorted({r['error'] for r in rows if 'error' in r}),
    }


def measure(
    models: list[str],
    pushes: int,
    namespace: str,
    device: str | None,
    wait: float,
    first_version: int = 1,
) -> dict[str, Any]:
    """Push ``pushes`` policies of each model to the agent; return the timings.

    Versions count up from ``first_version``: the agent refuses one not newer than its
    active policy, and a second measurement talks to the same agent.
    """
    from dreamstride_agent.dreamer.config import load_config
    from dreamstride_agent.dreamer.learner import DreamerLearner
    from spot_description.spot import NUM_JOINTS

    link = _StandIn(namespace, device)
    results: dict[str, Any] = {'models': {}}
    t0 = time.monotonic()
    if not link.spin_until(lambda: link.client.service_is_ready() and link.obs_size, wait):
        raise SystemExit(f'no agent (load_policy and steps) in /{namespace} within {wait:g} s')
    results['discovery_s'] = time.monotonic() - t0
    version = first_version - 1
    for model in models:
        learner = DreamerLearner(load_config(model), link.obs_size[0], NUM_JOINTS, device='cpu')
        rows = []
        for _ in range(pushes):
            version += 1
            data, sha256 = learner.export_policy(version)
            rows.append(link.push(version, data, sha256))
        results['models'][model] = _model_summary(rows, len(data), device)
    link.close()
    return results


# --- the orchestrator: runs on the host, as root ----------------------------------------
def run(args: argparse.Namespace, transports: str) -> dict[str, Any]:
    """Build the link, start the robot side, measure from both namespaces."""
    from dreamstride_bringup.process_supervisor import stop_process_group
    from dreamstride_lab.two_hosts import TwoHosts

    domain = 150 + os.getpid() % 80
    results: dict[str, Any] = {
        'machine': f'{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start',
        'discovery': args.discovery,
        'transports': transports,
    }
    print(f'{transports} transports, discovery {args.discovery}:', flush=True)
    with TwoHosts() as hosts, tempfile.TemporaryDirectory() as tmp:
        robot_env = side_environment(args.discovery, hosts.learner.address, domain, transports)
        learner_env = side_environment(args.discovery, hosts.robot.address, domain, transports)
        robot_cmd = [
            sys.executable,
            *('-m', 'dreamstride_bringup.cli', 'train', '--part', 'robot', '--run-dir', tmp),
            *('--discovery-range', robot_env['ROS_AUTOMATIC_DISCOVERY_RANGE']),
            *(['--static-peers', hosts.learner.address] if args.discovery != 'subnet' else []),
        ]
        log = open(Path(tmp) / 'robot_side.log', 'w')
        robot = subprocess.Popen(
            hosts.robot.command(robot_cmd),
            env=robot_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            for i, (where, side, env) in enumerate(
                (('same_host', hosts.robot, robot_env), ('link', hosts.learner, learner_env))
            ):
                cmd = [
                    sys.executable,
                    *('-m', 'dreamstride_lab.link_benchmark', '--measure'),
                    *('--models', *args.models, '--pushes', str(args.pushes)),
                    *('--device', side.device if where == 'link' else ''),
                    *('--first-version', str(1 + i * len(args.models) * args.pushes)),
                ]
                done = subprocess.run(
                    side.command(cmd), env=env, capture_output=True, text=True, timeout=1800
                )
                if done.returncode != 0:
                    raise SystemExit(
                        f'link_benchmark: the {where} measurement failed:\n{done.stderr[-3000:]}'
                    )
                results[where] = json.loads(done.stdout.strip().splitlines()[-1])
                _print(where, results[where])
        finally:
            stop_process_group(robot)
            log.close()
    return results


def _print(where: str, r: dict[str, Any]) -> None:
    for model, m in r['models'].items():
        wire = f', {m["wire_mb_per_push"]:.1f} MB on the wire' if m['wire_mb_per_push'] else ''

        def ms(v: float | None) -> str:
            return '   -' if v is None else f'{v:5.0f}'

        print(
            f'{where:>9} {model:>10} ({m["policy_mb"]:5.1f} MB): reply p50 {ms(m["reply_ms_p50"])}'
            f' ms, max {ms(m["reply_ms_max"])} ms; acting p50 {ms(m["act_ms_p50"])} ms, max '
            f'{ms(m["act_ms_max"])} ms; {m["pushes"] - m["failed"]}/{m["pushes"]} accepted{wire}'
            + (f'; errors {m["errors"]}' if m['errors'] else ''),
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    """Entry point; ``--measure`` is the inner, per-namespace part."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--models', nargs='+', default=list(DEFAULT_MODELS))
    parser.add_argument('--pushes', type=int, default=5)
    parser.add_argument('--discovery', choices=DISCOVERY, default='subnet')
    parser.add_argument(
        '--transports', nargs='+', choices=TRANSPORTS, default=['DEFAULT', 'LARGE_DATA']
    )
    parser.add_argument('--json', type=Path)
    parser.add_argument('--measure', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--device', default='', help=argparse.SUPPRESS)
    parser.add_argument('--namespace', default=DEFAULT_NAMESPACE, help=argparse.SUPPRESS)
    parser.add_argument('--first-version', type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        r = measure(
            args.models, args.pushes, args.namespace, args.device or None, 90.0, args.first_version
        )
        print(json.dumps(r))
        return 0
    from dreamstride_lab.two_hosts import unavailable

    why = unavailable()
    if why:
        print(f'link_benchmark: {why}', file=sys.stderr)
        return 2
    results = [run(args, transports) for transports in args.transports]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
