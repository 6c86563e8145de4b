# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of the main job: the default training graph, run for N minutes.

    dreamstride benchmark [--minutes 10] [--rate 20] [--prefill 500] [--json out.json]
                          [-p NODE:NAME=VALUE ...]

Starts exactly what ``dreamstride train --backend mujoco`` starts (the same graph,
parameter files and supervisor), watches the status topics from a small node of its
own, runs for N minutes from the agent's first step, and afterwards reads the replay
store. It prints one table:

- steps stored against steps expected: the store's steps of the run, against the
  control rate times the simulated time between the agent's first and last stored step;
- holds by kind (AgentStatus counters) and ticks held;
- deadline misses and the control period p50/p99/max, from the stored steps' stamps
  (simulated time, which runs with the wall clock at real-time factor 1): a tick that
  came late or not at all shows as a long period;
- CPU per node (user + system time of each process over the run, from /proc);
- learner updates per second while training, and policy push latency (export to the
  agent's acceptance; the agent acts with it from its next tick).

The learner trains with its defaults except ``prefill_steps`` (``--prefill``, so that
it trains for most of a short run).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import signal
import sys
import tempfile
import threading
import time
from typing import Any

import numpy as np

# Targets of the control-loop issue, on a quiet 2-core machine with the learner training.
STORED_TARGET = 0.995
TOLERANCE = 1.5  # a period longer than this many nominal periods is a deadline miss


def _cpu_seconds(pid: int) -> float | None:
    """Return user + system CPU seconds of a process so far (None once it is gone)."""
    try:
        fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


class Monitor:
    """Collects the agent's, recorder's and learner's status in a thread of its own."""

    def __init__(self, namespace: str) -> None:
        from dreamstride_agent.learning_topics import (
            AGENT_STATUS,
            LEARNER_STATUS,
            RECORDER_STATUS,
            STATUS_QOS,
        )
        from dreamstride_msgs.msg import AgentStatus, LearnerStatus, RecorderStatus
        import rclpy
        from rclpy.executors import SingleThreadedExecutor

        rclpy.init(args=['--ros-args', '-r', f'__ns:=/{namespace}'])
        self._rclpy = rclpy
        self.node = rclpy.create_node('train_benchmark')
        self.agent: Any = None
        self.recorder: Any = None
        self.learner: Any = None
        self.pushes: dict[int, float] = {}  # policy version -> push latency (s)
        self.updates_per_second: list[float] = []
        self.node.create_subscription(
            AgentStatus, AGENT_STATUS, lambda m: setattr(self, 'agent', m), STATUS_QOS
        )
        self.node.create_subscription(
            RecorderStatus, RECORDER_STATUS, lambda m: setattr(self, 'recorder', m), STATUS_QOS
        )
        self.node.create_subscription(LearnerStatus, LEARNER_STATUS, self._on_learner, STATUS_QOS)
        self._executor = SingleThreadedExecutor()
        self._executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._stop = threading.Event()
        self._thread.start()

    def _spin(self) -> None:
        while not self._stop.is_set():
            self._executor.spin_once(timeout_sec=0.2)

    def _on_learner(self, msg) -> None:
        self.learner = msg
        if msg.policy_accepted and msg.last_push_latency >= 0:
            self.pushes.setdefault(int(msg.policy_version), float(msg.last_push_latency))
        if msg.state == 'training' and msg.updates_per_second > 0:
            self.updates_per_second.append(float(msg.updates_per_second))

    def close(self) -> None:
        """Stop the monitor's thread and node."""
        self._stop.set()
        self._thread.join(timeout=5.0)
        self._executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
        self._rclpy.try_shutdown()


def store_statistics(replay_dir: Path, rate: float) -> dict[str, Any]:
    """Return steps stored and the control period, from the closed segments of the store."""
    from dreamstride_agent.replay_store import iter_store, make_typestore

    stamps: dict[str, list[int]] = {}
    refused = 0
    for _, records in iter_store(replay_dir, make_typestore()):
        if isinstance(records, Exception):
            refused += 1
            continue
        for r in records:
            stamps.setdefault(r.run_id, []).append(r.stamp_ns)
    if not stamps:
        return {
            'steps_stored': 0,
            'steps_expected': 0,
            'stored_fraction': 0.0,
            'segments_refused': refused,
        }
    # One agent run per training run: the run with the most steps is the agent's.
    run = max(stamps, key=lambda k: len(stamps[k]))
    t = np.sort(np.asarray(stamps[run], dtype=np.int64)) * 1e-9
    expected = int(round((t[-1] - t[0]) * rate)) + 1
    periods = np.diff(t)
    nominal = 1.0 / rate
    return {
        'steps_stored': int(len(t)),
        'steps_expected': expected,
        'stored_fraction': len(t) / expected,
        'simulated_seconds': float(t[-1] - t[0]),
        'period_p50': float(np.percentile(periods, 50)) if len(periods) else 0.0,
        'period_p99': float(np.percentile(periods, 99)) if len(periods) else 0.0,
        'period_max': float(periods.max()) if len(periods) else 0.0,
        'deadline_misses': int(np.sum(periods > TOLERANCE * nominal)),
        'ticks': int(len(periods)),
        'segments_refused': refused,
    }


def run(
    minutes: float,
    rate: float,
    prefill: int,
    run_dir: Path,
    namespace: str = 'spot',
    overrides: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run the default training graph for ``minutes`` and return the measurements."""
    from dreamstride_bringup.graph import follow_control_rate, node_graph, ros_environment
    from dreamstride_bringup.process_supervisor import Supervisor

    nodes = node_graph('train', 'mujoco', run_dir=run_dir)
    params = {'agent': {'control_rate': rate}, 'learner': {'prefill_steps': prefill}}
    for node, values in (overrides or {}).items():
        params.setdefault(node, {}).update(values)
    params = follow_control_rate(nodes, params)
    supervisor = Supervisor(nodes, namespace, run_dir, ros_environment(), params)
    monitor = Monitor(namespace)
    previous = signal.signal(signal.SIGINT, supervisor.request_stop)
    supervisor.start()
    # Measure from the agent's first step: start-up (imports, discovery) is not the job.
    deadline = time.monotonic() + 120.0
    while (
        (monitor.agent is None or monitor.agent.steps == 0)
        and time.monotonic() < deadline
        and all(r.proc.poll() is None for r in supervisor.running)
    ):
        time.sleep(0.1)
    cpu_start = {r.spec.name: _cpu_seconds(r.proc.pid) for r in supervisor.running}
    wall_start = time.monotonic()
    code = supervisor.watch(minutes * 60.0, stop_at_end=False)
    wall = time.monotonic() - wall_start
    cpu = {}
    for r in supervisor.running:
        end = _cpu_seconds(r.proc.pid)
        if end is not None and cpu_start[r.spec.name] is not None:
            cpu[r.spec.name] = (end - cpu_start[r.spec.name]) / wall
    agent, learner, recorder = monitor.agent, monitor.learner, monitor.recorder
    supervisor.stop()
    signal.signal(signal.SIGINT, previous)
    monitor.close()
    result: dict[str, Any] = {
        'minutes': minutes,
        'rate': rate,
        'prefill_steps': prefill,
        'exit_code': code,
        'wall_seconds': wall,
        'cpu_per_node': cpu,
        'run_dir': str(run_dir),
        'machine': f'{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end',
    }
    result.update(store_statistics(run_dir / 'replay', rate))
    if agent is not None:
        result['holds'] = {
            'stale': agent.holds_stale,
            'malformed': agent.holds_malformed,
            'no_data': agent.holds_no_data,
            'no_recorder': agent.holds_no_recorder,
        }
        result['ticks_held'] = int(agent.ticks_held)
        result['agent_steps_published'] = int(agent.steps)
    if recorder is not None:
        result['recorder_steps_received'] = int(recorder.steps_received)
        result['recorder_sequence_gaps'] = int(recorder.sequence_gaps)
    if learner is not None:
        result['learner_updates'] = int(learner.train_step)
        result['learner_state'] = learner.state
    ups = monitor.updates_per_second
    result['learner_updates_per_second'] = float(np.mean(ups)) if ups else 0.0
    pushes = np.asarray(list(monitor.pushes.values()))
    result['pushes'] = int(len(pushes))
    if len(pushes):
        result['push_latency'] = {
            'p50': float(np.percentile(pushes, 50)),
            'p99': float(np.percentile(pushes, 99)),
            'max': float(pushes.max()),
        }
    return result


def format_table(r: dict[str, Any]) -> str:
    """Render the measurements as a Markdown table."""
    ms = 1000.0
    rows = [
        (
            'steps stored / expected',
            f'{r["steps_stored"]} / {r["steps_expected"]} ({100 * r["stored_fraction"]:.2f} %)',
        ),
        (
            'holds by kind',
            ', '.join(f'{k} {v}' for k, v in r.get('holds', {}).items())
            + f' ({r.get("ticks_held", "?")} ticks held)',
        ),
        (
            'deadline misses',
            f'{r.get("deadline_misses", "?")} of {r.get("ticks", "?")} ticks '
            f'(period > {TOLERANCE:g} x nominal)',
        ),
        (
            'control period p50 / p99 / max',
            f'{r.get("period_p50", 0) * ms:.1f} / '
            f'{r.get("period_p99", 0) * ms:.1f} / '
            f'{r.get("period_max", 0) * ms:.1f} ms',
        ),
        (
            'CPU per node (cores)',
            ', '.join(f'{k} {v:.3f}' for k, v in sorted(r['cpu_per_node'].items())),
        ),
        (
            'learner updates/s (training)',
            f'{r["learner_updates_per_second"]:.2f} ({r.get("learner_updates", 0)} updates)',
        ),
    ]
    if 'push_latency' in r:
        p = r['push_latency']
        rows.append(
            (
                'push latency p50 / p99 / max',
                f'{p["p50"]:.3f} / {p["p99"]:.3f} / {p["max"]:.3f} s ({r["pushes"]} pushes)',
            )
        )
    else:
        rows.append(('push latency', 'no push accepted'))
    lines = [
        f'Training graph on MuJoCo at {r["rate"]:g} Hz for {r["minutes"]:g} min '
        f'(prefill {r["prefill_steps"]}); {r["machine"]}',
        '',
        '| measure | value |',
        '|---|---|',
    ]
    lines += [f'| {k} | {v} |' for k, v in rows]
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point (``dreamstride benchmark``)."""
    from dreamstride_bringup.cli import _parse_param

    parser = argparse.ArgumentParser(
        prog='dreamstride benchmark',
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument('--minutes', type=float, default=10.0)
    parser.add_argument('--rate', type=float, default=20.0, help='agent control rate (Hz)')
    parser.add_argument('--prefill', type=int, default=500, help='learner prefill_steps')
    parser.add_argument('--run-dir', type=Path, help='default: a temporary directory')
    parser.add_argument('--json', type=Path, help='also write the measurements here')
    parser.add_argument(
        '-p',
        '--param',
        action='append',
        default=[],
        type=_parse_param,
        metavar='NODE:NAME=VALUE',
        help='override one node parameter, as for dreamstride train (for A/B runs)',
    )
    args = parser.parse_args(argv)
    overrides: dict[str, dict[str, Any]] = {}
    for node, name, value in args.param:
        overrides.setdefault(node, {})[name] = value
    os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'  # the monitor, like the nodes
    run_dir = (args.run_dir or Path(tempfile.mkdtemp(prefix='dreamstride_bench_'))).resolve()
    result = run(args.minutes, args.rate, args.prefill, run_dir, overrides=overrides)
    print(format_table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if result['exit_code'] == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
