# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of the learning system's ROS side; prints numbers and writes JSON.

    python src/dreamstride_agent/benchmarks/learning_system.py [--seconds 30] [--json out.json]

1. Agent control loop: tick period p50/p99/max and deadline misses at 20 Hz and 50 Hz,
   first with the simulation alone (baseline), then with a learner training on the same
   machine (MuJoCo at real-time factor 1, agent on the wall clock).
2. Policy push: time from calling load_policy with a policy of the learner's default size
   until the agent publishes a Step acted by that version.
3. Recorder throughput: Steps published as fast as possible into a recorder, until they
   are in closed segments.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import time

os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
os.environ.setdefault('ROS_DOMAIN_ID', str(150 + os.getpid() % 50))

from dreamstride_agent.learning_topics import (
    AGENT_STATUS,
    LEARNER_STATUS,
    LOAD_POLICY,
    RECORDER_STATUS,
    STATUS_QOS,
    STEP_QOS,
    STEPS,
)
from dreamstride_msgs.msg import AgentStatus, LearnerStatus, RecorderStatus, Step
from dreamstride_msgs.srv import LoadPolicy
import numpy as np
import rclpy
import yaml

HERE = Path(__file__).resolve()
BRINGUP_CONFIG = HERE.parents[2] / 'dreamstride_bringup' / 'config'


def start(module: str, params: dict, log: Path) -> subprocess.Popen:
    """Start a node in the benchmark namespace."""
    cmd = [sys.executable, '-m', module, '--ros-args', '-r', '__ns:=/bench']
    for k, v in params.items():
        v = str(v).lower() if isinstance(v, bool) else v
        cmd += ['-p', f'{k}:={v}']
    return subprocess.Popen(
        cmd, stdout=open(log, 'w'), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen) -> None:
    """Stop a node cleanly (SIGINT), killing it if it hangs."""
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def spin_for(node, seconds: float, until=None) -> bool:
    """Spin for ``seconds`` or until ``until()`` is true."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.01)
        if until is not None and until():
            return True
    return until() if until else True


def tick_stats(node, tmp: Path, rate: float, seconds: float, with_learner: bool) -> dict:
    """Run sim + agent (+ recorder + learner) and collect the agent's tick periods."""
    periods: list[float] = []
    last: list[float] = []
    status: list[AgentStatus] = []
    learner: list[LearnerStatus] = []
    lsub = node.create_subscription(LearnerStatus, LEARNER_STATUS, learner.append, STATUS_QOS)

    def on_step(msg: Step) -> None:
        now = time.monotonic()
        if last:
            periods.append(now - last[0])
        last[:] = [now]

    sub = node.create_subscription(Step, STEPS, on_step, STEP_QOS)
    ssub = node.create_subscription(AgentStatus, AGENT_STATUS, status.append, STATUS_QOS)
    procs = _start_sim_and_agent(tmp, rate)
    model = _learner_model()
    if with_learner:
        procs += _start_recorder_and_learner(tmp, rate, model)
    try:
        misses = _measure_ticks(node, seconds, with_learner, periods, status, learner)
    finally:
        for p in reversed(procs):
            stop(p)
        node.destroy_subscription(sub)
        node.destroy_subscription(ssub)
        node.destroy_subscription(lsub)
    return _tick_row(rate, with_learner, model, periods, misses, learner)


def _start_sim_and_agent(tmp: Path, rate: float) -> list[subprocess.Popen]:
    """Start the MuJoCo simulation (real-time factor 1) and the agent at ``rate`` Hz."""
    return [
        start(
            'spot_mujoco.sim_node',
            {'real_time_factor': 1.0, 'use_sim_time': False},
            tmp / 'sim.log',
        ),
        start(
            'dreamstride_agent.acting.agent_node',
            {'control_rate': rate, 'use_sim_time': False, 'max_sensor_age': 0.2},
            tmp / 'agent.log',
        ),
    ]


def _learner_model() -> str:
    """Return the model size the bringup's learner.yaml trains."""
    learner_cfg = yaml.safe_load((BRINGUP_CONFIG / 'learner.yaml').read_text())
    return learner_cfg['/**']['ros__parameters']['model']


def _start_recorder_and_learner(tmp: Path, rate: float, model: str) -> list[subprocess.Popen]:
    """Start a recorder and a learner on a replay of their own, to load the machine."""
    replay = tmp / f'replay_{rate:g}'
    recorder = start(
        'dreamstride_agent.recording.recorder_node',
        {'replay_dir': str(replay), 'segment_steps': 100},
        tmp / 'rec.log',
    )
    learner = start(
        'dreamstride_agent.learning.learner_node',
        {
            'replay_dir': str(replay),
            'logdir': str(tmp / f'learner_{rate:g}'),
            'model': model,
            'prefill_steps': 100,
            'sync_every': 1e6,
        },
        tmp / 'learner.log',
    )
    return [recorder, learner]


def _measure_ticks(
    node,
    seconds: float,
    with_learner: bool,
    periods: list[float],
    status: list[AgentStatus],
    learner: list[LearnerStatus],
) -> int:
    """Collect ``seconds`` of tick periods once the agent runs; return its deadline misses.

    ``periods``, ``status`` and ``learner`` are the subscriptions' lists; the periods and
    status of the start are dropped, so that only the steady state is measured. -1: no
    agent status arrived.
    """
    spin_for(node, 60.0, until=lambda: len(periods) > 20)
    if with_learner:  # measure while the learner is busy training
        spin_for(node, 180.0, until=lambda: learner and learner[-1].state == 'training')
    periods.clear()
    status.clear()
    spin_for(node, seconds)
    misses0 = status[0].deadline_misses if status else 0
    return (status[-1].deadline_misses - misses0) if status else -1


def _tick_row(
    rate: float,
    with_learner: bool,
    model: str,
    periods: list[float],
    misses: int,
    learner: list[LearnerStatus],
) -> dict:
    """Return the tick measurement's row: period percentiles (ms), misses, learner speed."""
    values = np.array(periods) * 1e3
    updates = learner[-1].updates_per_second if learner else 0.0
    return {
        'learner_updates_per_second': updates,
        'rate_hz': rate,
        'with_learner': with_learner,
        'model': model if with_learner else '',
        'ticks': int(values.size),
        'period_ms_p50': float(np.percentile(values, 50)),
        'period_ms_p99': float(np.percentile(values, 99)),
        'period_ms_max': float(values.max()),
        'deadline_misses': int(misses),
    }


def push_latency(node, tmp: Path, pushes: int) -> dict:
    """Time from load_policy call to the first Step acted by that version."""
    from dreamstride_agent.dreamer.config import load_config
    from dreamstride_agent.dreamer.learner import DreamerLearner

    model = _learner_model()
    agent = DreamerLearner(load_config(model), 16, 12, device='cpu')
    seen: dict[int, float] = {}
    sub = node.create_subscription(
        Step, STEPS, lambda m: seen.setdefault(m.policy_version, time.monotonic()), STEP_QOS
    )
    procs = [
        start(
            'spot_mujoco.sim_node',
            {'real_time_factor': 1.0, 'use_sim_time': False},
            tmp / 'sim2.log',
        ),
        start(
            'dreamstride_agent.acting.agent_node',
            {'control_rate': 20.0, 'use_sim_time': False, 'max_sensor_age': 0.2},
            tmp / 'agent2.log',
        ),
    ]
    client = node.create_client(LoadPolicy, LOAD_POLICY)
    latencies, sizes = [], []
    try:
        client.wait_for_service(timeout_sec=30)
        spin_for(node, 30, until=lambda: 0 in seen)
        for version in range(1, pushes + 1):
            data, sha = agent.export_policy(version)
            sizes.append(len(data))
            t0 = time.monotonic()
            future = client.call_async(
                LoadPolicy.Request(format='safetensors', version=version, sha256=sha, weights=data)
            )
            spin_for(node, 30, until=future.done)
            assert future.result().accepted, future.result().message
            spin_for(node, 10, until=lambda v=version: v in seen)
            latencies.append(seen[version] - t0)
    finally:
        for p in procs:
            stop(p)
        node.destroy_subscription(sub)
    values = np.array(latencies) * 1e3
    return {
        'model': model,
        'policy_bytes': int(np.mean(sizes)),
        'pushes': len(latencies),
        'push_to_act_ms_p50': float(np.percentile(values, 50)),
        'push_to_act_ms_max': float(values.max()),
    }


def recorder_throughput(node, tmp: Path, steps: int) -> dict:
    """Measure steps per second from first publish until all are in closed segments."""
    status: list[RecorderStatus] = []
    ssub = node.create_subscription(RecorderStatus, RECORDER_STATUS, status.append, STATUS_QOS)
    pub = node.create_publisher(Step, STEPS, STEP_QOS)
    proc = start(
        'dreamstride_agent.recording.recorder_node',
        {'replay_dir': str(tmp / 'replay_tp'), 'segment_steps': 1000, 'idle_close_seconds': 0.2},
        tmp / 'rec_tp.log',
    )
    try:
        spin_for(node, 30, until=lambda: pub.get_subscription_count() > 0)
        msg = Step(run_id='bench', observation=[0.1] * 16, action=[0.2] * 12)
        t0 = time.monotonic()
        for seq in range(steps):
            msg.seq = seq
            pub.publish(msg)
        publish_s = time.monotonic() - t0
        spin_for(node, 120, until=lambda: status and status[-1].steps_closed >= steps)
        total_s = time.monotonic() - t0
        closed = status[-1].steps_closed if status else 0
    finally:
        stop(proc)
        node.destroy_subscription(ssub)
    return {
        'steps': steps,
        'closed': int(closed),
        'publish_s': publish_s,
        'steps_per_second': closed / total_s,
    }


def main() -> None:
    """Run all measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=30.0, help='per tick measurement')
    parser.add_argument('--pushes', type=int, default=10)
    parser.add_argument('--steps', type=int, default=20000)
    parser.add_argument('--json', type=Path)
    args = parser.parse_args()
    rclpy.init()
    node = rclpy.create_node('benchmark', namespace='bench')
    results: dict = {'machine': f'{os.cpu_count()} CPUs', 'ticks': []}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for rate in (20.0, 50.0):
            for with_learner in (False, True):
                r = tick_stats(node, tmp, rate, args.seconds, with_learner)
                results['ticks'].append(r)
                print(
                    f'agent {rate:>4.0f} Hz {"+ learner" if with_learner else "alone    "} '
                    f'{r["model"]:>10}: {r["ticks"]:5d} ticks, period p50 '
                    f'{r["period_ms_p50"]:6.1f} ms, p99 {r["period_ms_p99"]:6.1f} ms, max '
                    f'{r["period_ms_max"]:6.1f} ms, deadline misses {r["deadline_misses"]}'
                    + (
                        f', learner {r["learner_updates_per_second"]:.1f} updates/s'
                        if with_learner
                        else ''
                    ),
                    flush=True,
                )
        r = push_latency(node, tmp, args.pushes)
        results['push'] = r
        print(
            f'policy push ({r["model"]}, {r["policy_bytes"] / 1e6:.1f} MB): push to acting '
            f'p50 {r["push_to_act_ms_p50"]:.0f} ms, max {r["push_to_act_ms_max"]:.0f} ms '
            f'over {r["pushes"]} pushes',
            flush=True,
        )
        r = recorder_throughput(node, tmp, args.steps)
        results['recorder'] = r
        print(
            f'recorder: {r["closed"]}/{r["steps"]} steps in closed segments, '
            f'{r["steps_per_second"]:.0f} steps/s',
            flush=True,
        )
    node.destroy_node()
    rclpy.shutdown()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == '__main__':
    main()
