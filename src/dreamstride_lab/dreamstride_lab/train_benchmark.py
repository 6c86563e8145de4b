# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of the main job: the default training graph, run for N minutes.

    dreamstride benchmark [--minutes 10] [--rate 20] [--prefill 500] [--json out.json]
                          [-p NODE:NAME=VALUE ...]
    dreamstride benchmark --robots 1 2 4 --minutes 2      # one run per number of robots

Starts exactly what ``dreamstride train --backend mujoco [--robots N]`` starts (the same
graph, parameter files and supervisor), watches the status topics from a small node of
its own, runs for N minutes from the agents' first steps, and afterwards reads the
replay store. It prints one table per run (with several robots, steps and holds are
summed over the robots):

- steps stored against steps expected: the store's steps of the run, against the
  control rate times the simulated time between the agent's first and last stored step;
- holds by kind (AgentStatus counters) and ticks held;
- deadline misses and the control period p50/p99/max, from the stored steps' stamps
  (simulated time, which runs with the wall clock at real-time factor 1): a tick that
  came late or not at all shows as a long period;
- CPU per node (user + system time of each process over the run, from /proc);
- learner updates per second while training, and policy push latency (export to the
  agent's acceptance; the agent acts with it from its next tick);
- environment steps per second, all robots together (the agents' published steps over
  the measured wall time).

With several ``--robots`` values it runs them one after the other and ends with a
summary table: robots, environment steps/s, learner updates/s.

The learner trains with the training recipe except ``prefill_steps`` (``--prefill``, so
that it trains for most of a short run) and ``train_ratio`` 0, and the agent's self-right
is off: the recipe's ratio lock pauses the simulation, and a self-right publishes no
steps, both on purpose, and this measures the control loop itself;
``-p learner:train_ratio=256 -p agent:self_right_after=1.0`` measures the graph as
``dreamstride train`` runs it.
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
from typing import TYPE_CHECKING, Any

import numpy as np
from spot_description.contract import DEFAULT_NAMESPACE

if TYPE_CHECKING:
    from dreamstride_bringup.graph import NodeSpec
    from dreamstride_bringup.process_supervisor import Supervisor

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
    """Collects the agents', recorders' and learner's status in a thread of its own."""

    def __init__(self, namespace: str, robots: list[str] | None = None) -> None:
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
        self.robots = robots or [namespace]
        self.agents: dict[str, Any] = {}  # robot namespace -> its latest AgentStatus
        self.recorders: dict[str, Any] = {}
        self.learner: Any = None
        self.pushes: dict[int, float] = {}  # policy version -> push latency (s)
        self.updates_per_second: list[float] = []
        for ns in self.robots:
            self.node.create_subscription(
                AgentStatus,
                f'/{ns}/{AGENT_STATUS}',
                lambda m, ns=ns: self.agents.__setitem__(ns, m),
                STATUS_QOS,
            )
            self.node.create_subscription(
                RecorderStatus,
                f'/{ns}/{RECORDER_STATUS}',
                lambda m, ns=ns: self.recorders.__setitem__(ns, m),
                STATUS_QOS,
            )
        self.node.create_subscription(LearnerStatus, LEARNER_STATUS, self._on_learner, STATUS_QOS)
        self._executor = SingleThreadedExecutor()
        self._executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._stop = threading.Event()
        self._thread.start()

    def all_stepping(self) -> bool:
        """Whether every robot's agent has published a step."""
        return all(ns in self.agents and self.agents[ns].steps > 0 for ns in self.robots)

    def steps(self) -> int:
        """Return the steps all agents published so far (from their latest status)."""
        return sum(int(a.steps) for a in self.agents.values())

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
    """Return steps stored and the control period, from the closed segments of the store.

    Counted per robot (Step.header.frame_id) and summed; with one robot, that robot's.
    """
    from dreamstride_agent.recording.replay_store import iter_store, make_typestore

    stamps: dict[str, dict[str, list[int]]] = {}  # robot -> run_id -> stamps
    refused = 0
    for _, records in iter_store(replay_dir, make_typestore()):
        if isinstance(records, Exception):
            refused += 1
            continue
        for r in records:
            stamps.setdefault(r.robot, {}).setdefault(r.run_id, []).append(r.stamp_ns)
    if not stamps:
        return {
            'steps_stored': 0,
            'steps_expected': 0,
            'stored_fraction': 0.0,
            'segments_refused': refused,
        }
    stored = expected = 0
    simulated = 0.0
    periods = []
    per_robot = {}
    for robot, runs in sorted(stamps.items()):
        # One agent run per robot and training run: the run with the most steps.
        run = max(runs, key=lambda k: len(runs[k]))
        t = np.sort(np.asarray(runs[run], dtype=np.int64)) * 1e-9
        stored += len(t)
        expected += int(round((t[-1] - t[0]) * rate)) + 1
        simulated = max(simulated, float(t[-1] - t[0]))
        periods.append(np.diff(t))
        per_robot[robot] = int(len(t))
    periods = np.concatenate(periods)
    nominal = 1.0 / rate
    return {
        'steps_stored': stored,
        'steps_expected': expected,
        'stored_fraction': stored / expected,
        'steps_stored_per_robot': per_robot,
        'simulated_seconds': simulated,
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
    namespace: str = DEFAULT_NAMESPACE,
    overrides: dict[str, dict[str, Any]] | None = None,
    robots: int = 1,
) -> dict[str, Any]:
    """Run the default training graph (``robots`` robots) for ``minutes``; the measurements."""
    from dreamstride_bringup.graph import node_graph, robot_namespaces, ros_environment
    from dreamstride_bringup.process_supervisor import Supervisor

    nodes = node_graph('train', 'mujoco', run_dir=run_dir, robots=robots, namespace=namespace)
    params = _benchmark_parameters(nodes, rate, prefill, overrides)
    supervisor = Supervisor(nodes, namespace, run_dir, ros_environment(), params)
    monitor = Monitor(namespace, robot_namespaces(namespace, robots))
    previous = signal.signal(signal.SIGINT, supervisor.request_stop)
    supervisor.start()
    _wait_for_first_steps(supervisor, monitor, robots)
    code, wall, steps_taken, cpu = _measure_window(supervisor, monitor, minutes)
    agents, learner, recorders = dict(monitor.agents), monitor.learner, dict(monitor.recorders)
    supervisor.stop()
    signal.signal(signal.SIGINT, previous)
    monitor.close()
    result: dict[str, Any] = {
        'robots': robots,
        'minutes': minutes,
        'rate': rate,
        'prefill_steps': prefill,
        'exit_code': code,
        'wall_seconds': wall,
        'cpu_per_node': cpu,
        'run_dir': str(run_dir),
        'machine': f'{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end',
        'load_average': os.getloadavg()[0],  # 1 min, at the end: how busy the machine was
        'env_steps_per_second': steps_taken / wall if wall > 0 else 0.0,
    }
    result.update(store_statistics(run_dir / 'replay', rate))
    result.update(_status_counts(agents, learner, recorders))
    result.update(_learner_rates(monitor))
    return result


def _benchmark_parameters(
    nodes: list[NodeSpec], rate: float, prefill: int, overrides: dict[str, dict[str, Any]] | None
) -> dict[str, dict[str, Any]]:
    """Return the nodes' parameters: the benchmark's own, then ``overrides``."""
    from dreamstride_bringup.graph import follow_control_rate

    # The training recipe's ratio lock pauses the simulation while the learner catches up,
    # and the agent's self-right publishes no steps while it runs: both leave gaps in the
    # steps on purpose. This measures the control loop itself, so both are off unless
    # asked for (-p learner:train_ratio=256, -p agent:self_right_after=1.0).
    params = {
        'agent': {'control_rate': rate, 'self_right_after': 0.0},
        'learner': {'prefill_steps': prefill, 'train_ratio': 0.0},
    }
    for node, values in (overrides or {}).items():
        params.setdefault(node, {}).update(values)
    return follow_control_rate(nodes, params)


def _wait_for_first_steps(supervisor: Supervisor, monitor: Monitor, robots: int) -> None:
    """Wait until every agent steps (or a node ends, or the start-up takes too long)."""
    # Measure from the agents' first steps: start-up (imports, discovery) is not the job.
    deadline = time.monotonic() + 120.0 + 30.0 * (robots - 1)
    while (
        not monitor.all_stepping()
        and time.monotonic() < deadline
        and all(r.proc.poll() is None for r in supervisor.running)
    ):
        time.sleep(0.1)


def _measure_window(
    supervisor: Supervisor, monitor: Monitor, minutes: float
) -> tuple[int, float, int, dict[str, float]]:
    """Run for ``minutes``; (exit code, wall seconds, steps taken, CPU cores per node)."""
    cpu_start = {r.spec.key: _cpu_seconds(r.proc.pid) for r in supervisor.running}
    steps_start = monitor.steps()
    wall_start = time.monotonic()
    code = supervisor.watch(minutes * 60.0, stop_at_end=False)
    wall = time.monotonic() - wall_start
    steps_taken = monitor.steps() - steps_start
    cpu = {}
    for r in supervisor.running:
        end = _cpu_seconds(r.proc.pid)
        if end is not None and cpu_start[r.spec.key] is not None:
            cpu[r.spec.key] = (end - cpu_start[r.spec.key]) / wall
    return code, wall, steps_taken, cpu


def _status_counts(
    agents: dict[str, Any], learner: Any, recorders: dict[str, Any]
) -> dict[str, Any]:
    """Return the agents' holds and steps, the recorders' and the learner's, summed."""
    result: dict[str, Any] = {}
    if agents:
        a = list(agents.values())
        result['holds'] = {
            'stale': sum(x.holds_stale for x in a),
            'malformed': sum(x.holds_malformed for x in a),
            'no_data': sum(x.holds_no_data for x in a),
            'no_recorder': sum(x.holds_no_recorder for x in a),
        }
        result['ticks_held'] = int(sum(x.ticks_held for x in a))
        result['agent_steps_published'] = int(sum(x.steps for x in a))
    if recorders:
        result['recorder_steps_received'] = int(sum(x.steps_received for x in recorders.values()))
        result['recorder_sequence_gaps'] = int(sum(x.sequence_gaps for x in recorders.values()))
    if learner is not None:
        result['learner_updates'] = int(learner.train_step)
        result['learner_state'] = learner.state
    return result


def _learner_rates(monitor: Monitor) -> dict[str, Any]:
    """Return the learner's updates per second and the policy pushes' latency."""
    result: dict[str, Any] = {}
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
        (
            'environment steps/s (all robots)',
            f'{r["env_steps_per_second"]:.1f} ({r["rate"]:g} Hz x {r["robots"]} nominal)',
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
    fleet = f', {r["robots"]} robots' if r['robots'] > 1 else ''
    lines = [
        f'Training graph on MuJoCo at {r["rate"]:g} Hz for {r["minutes"]:g} min '
        f'(prefill {r["prefill_steps"]}{fleet}); {r["machine"]}',
        '',
        '| measure | value |',
        '|---|---|',
    ]
    lines += [f'| {k} | {v} |' for k, v in rows]
    return '\n'.join(lines)


def format_summary(results: list[dict[str, Any]]) -> str:
    """Render one line per number of robots: environment steps/s and learner updates/s."""
    lines = [
        '| robots | env steps/s (all) | per robot | stored | learner updates/s | load avg |',
        '|---|---|---|---|---|---|',
    ]
    for r in results:
        lines.append(
            f'| {r["robots"]} | {r["env_steps_per_second"]:.1f} | '
            f'{r["env_steps_per_second"] / r["robots"]:.1f} | '
            f'{100 * r["stored_fraction"]:.1f} % | {r["learner_updates_per_second"]:.2f} | '
            f'{r["load_average"]:.1f} |'
        )
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point (``dreamstride benchmark``)."""
    from dreamstride_bringup.cli import add_param_option

    parser = argparse.ArgumentParser(
        prog='dreamstride benchmark',
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument('--minutes', type=float, default=10.0, help='per run')
    parser.add_argument('--rate', type=float, default=20.0, help='agent control rate (Hz)')
    parser.add_argument('--prefill', type=int, default=500, help='learner prefill_steps')
    parser.add_argument(
        '--robots',
        type=int,
        nargs='+',
        default=[1],
        metavar='N',
        help='simulated robots; several values run one after the other (default: 1)',
    )
    parser.add_argument('--run-dir', type=Path, help='default: a temporary directory')
    parser.add_argument(
        '--json', type=Path, help='also write the measurements here (a list for several runs)'
    )
    add_param_option(parser, 'override one node parameter, as for dreamstride train (A/B runs)')
    args = parser.parse_args(argv)
    if min(args.robots) < 1:
        parser.error('--robots: at least 1')
    overrides: dict[str, dict[str, Any]] = {}
    for node, name, value in args.param:
        overrides.setdefault(node, {})[name] = value
    os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'  # the monitor, like the nodes
    run_dir = (args.run_dir or Path(tempfile.mkdtemp(prefix='dreamstride_bench_'))).resolve()
    results = []
    for robots in args.robots:
        where = run_dir if len(args.robots) == 1 else run_dir / f'robots-{robots}'
        result = run(
            args.minutes, args.rate, args.prefill, where, overrides=overrides, robots=robots
        )
        print(format_table(result), flush=True)
        results.append(result)
    if len(results) > 1:
        print('\n' + format_summary(results))
    if args.json:
        args.json.write_text(json.dumps(results[0] if len(results) == 1 else results, indent=2))
    return 0 if all(r['exit_code'] == 0 for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
