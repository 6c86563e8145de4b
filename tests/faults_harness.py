# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Fault injection: the learning system under the faults its design says it survives.

The real nodes run as separate processes on the MuJoCo backend, as in
test_learning_system.py; each test injects faults one at a time and checks the outcome
the design promises (docs/architecture.md, Safety; README, Safety and failure behaviour):

- SIGKILL of the learner, the recorder and the agent, and restarts
  (test_faults_processes.py);
- corrupt and foreign replay segments in the store (test_faults_processes.py);
- hostile load_policy requests, and a policy whose actions are NaN at run time
  (test_faults_policies.py);
- malformed, non-finite and missing sensor data (test_faults_sensors.py);
- a replay store on a read-only or full filesystem (test_faults_processes.py).

Every joint command the agents publish during a module is checked against the joint
limits and the maximum step per tick, by the last test of that module. The outcome of
each fault is a row of one table for the whole session, printed in pytest's terminal
summary and written to <basetemp>/fault_table.md (faults_table.py).

This module is what the fault modules share: the settings of the nodes they start, the
processes of one namespace (Processes), what the test sees of them (Watch), the robot the
policy and sensor modules fault (Robot), the measures and store readers the tests report
with, and the command check. Their fixtures are in faults_fixtures.py, a pytest plugin
each fault module loads; the policy bytes they send are made in faults_policies.py.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time

from dreamstride_agent.learning_topics import (
    AGENT_STATUS,
    LEARNER_STATUS,
    RECORDER_STATUS,
    STATUS_QOS,
    STEP_QOS,
    STEPS,
)
from dreamstride_agent.recording.replay_store import (
    STEP_TYPE,
    SegmentError,
    SegmentWriter,
    list_segments,
    make_typestore,
    read_segment,
)
from dreamstride_msgs.msg import AgentStatus, LearnerStatus, RecorderStatus, Step
import numpy as np
import pytest
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from spot_description import contract
from spot_description.spot import JOINT_LOWER, JOINT_NAMES, JOINT_UPPER
from trajectory_msgs.msg import JointTrajectory

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src/dreamstride_agent/test'))
from faults_table import FaultTable
from process_env import ros_process_env
from ros_helpers import spin_until, start_node, stop

# The agent's self-right is off here: its ticks send joint commands and no steps, which
# these checks of holds, postures and step counts would read as faults (it has its own
# tests: src/dreamstride_agent/test/acting/test_self_right.py, test_agent_self_right.py).
AGENT = {'self_right_after': 0.0}

# The agent's defaults (agent_node.PARAMS): 20 Hz, 0.25 rad per tick, 0.075 s sensor age.
PERIOD = 0.05
MAX_STEP = 0.25
MAX_SENSOR_AGE = 0.075
MAX_POLICY_BYTES = 1_000_000  # a tiny policy is about 216 kB
# Pushes more often than checkpoints, as with the defaults (20 s and 120 s): a learner
# killed between the two restarts from a checkpoint older than the agent's policy.
LEARNER = {
    'model': 'tiny',
    'prefill_steps': 100,
    'train_ratio': 32.0,
    'sync_every': 1.5,
    'checkpoint_every': 5.0,
    'scan_every': 1.0,
    'log_every': 50,
    'image_every': 0.0,
    'torch_threads': 1,
    'seed': 1,
    'use_sim_time': True,
}
# A Step that restarts the command filter and its command arrive on two topics: they
# are matched by time of receipt (s).
RESTART_MATCH = 0.5
# Reliable and deep: every command the agent sends must reach the check, in order.
COMMAND_WATCH_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=5000, reliability=ReliabilityPolicy.RELIABLE
)

# Every namespace watched in the running fault module, for the command check at its end:
# the ros fixture (one per module) starts it empty and empties it when the module ends.
WATCHES: list[Watch] = []


class Processes:
    """The node processes of one namespace, with a log file per start."""

    def __init__(self, namespace: str, logdir: Path) -> None:
        self.namespace = namespace
        self.logdir = logdir
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, list[Path]] = {}

    def start(self, name: str, module: str, params: dict) -> subprocess.Popen:
        logs = self.logs.setdefault(name, [])
        logs.append(self.logdir / f'{name}.{len(logs) + 1}.log')
        self.procs[name] = start_node(
            module,
            params,
            ros_process_env(),
            logs[-1],
            ros_args=['-r', f'__ns:={self.namespace}', '-r', f'__node:={name}'],
        )
        return self.procs[name]

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        return stop(self.procs.pop(name), sig=sig)

    def signal(self, name: str, sig: int) -> None:
        os.killpg(self.procs[name].pid, sig)

    def live(self) -> list[subprocess.Popen]:
        return list(self.procs.values())

    def log(self, name: str, start: int = -1) -> str:
        """Text of the ``start``-th run's log of ``name`` (default: the latest)."""
        return self.logs[name][start].read_text()

    def stop_all(self) -> None:
        for name in list(self.procs)[::-1]:
            self.kill(name, signal.SIGINT)

    def tails(self) -> str:
        return '\n'.join(
            f'--- {p.name}\n' + '\n'.join(p.read_text().splitlines()[-20:])
            for paths in self.logs.values()
            for p in paths
        )


class Watch:
    """What the test sees of one namespace: statuses, every Step and every joint command."""

    def __init__(self, node, namespace: str) -> None:
        self.agent: AgentStatus | None = None
        self.recorder: RecorderStatus | None = None
        self.learner: LearnerStatus | None = None
        self.received: dict[str, float] = {}  # status kind -> monotonic time of receipt
        self.steps: list[Step] = []
        self.step_times: list[float] = []  # monotonic time of receipt
        # ('command', array) / ('step', Step), with the monotonic time of receipt
        self.events: list[tuple[str, object, float]] = []
        self.namespace = namespace
        WATCHES.append(self)
        for kind, msg_type, topic in (
            ('agent', AgentStatus, AGENT_STATUS),
            ('recorder', RecorderStatus, RECORDER_STATUS),
            ('learner', LearnerStatus, LEARNER_STATUS),
        ):
            node.create_subscription(
                msg_type, f'{namespace}/{topic}', partial(self._status, kind), STATUS_QOS
            )
        node.create_subscription(Step, f'{namespace}/{STEPS}', self._step, STEP_QOS)
        node.create_subscription(
            JointTrajectory,
            f'{namespace}/{contract.JOINT_TRAJECTORY}',
            self._command,
            COMMAND_WATCH_QOS,
        )

    def wait_for_agent(self, node, processes: Processes) -> None:
        """Wait until the agent's Step and command publishers are known here.

        Start the backend after this: the agent acts from its first sensor data, and the
        command check needs to see its first tick.
        """
        topics = (f'{self.namespace}/{STEPS}', f'{self.namespace}/{contract.JOINT_TRAJECTORY}')
        assert spin_until(
            node, lambda: all(node.count_publishers(t) for t in topics), 60, processes.live()
        ), processes.tails()
        spin_for(node, 0.5, processes.live())  # discovery matches the readers too

    def _status(self, kind: str, msg) -> None:
        setattr(self, kind, msg)
        self.received[kind] = time.monotonic()

    def _step(self, msg: Step) -> None:
        self.steps.append(msg)
        self.step_times.append(time.monotonic())
        self.events.append(('step', msg, time.monotonic()))

    def _command(self, msg: JointTrajectory) -> None:
        order = [list(msg.joint_names).index(n) for n in JOINT_NAMES]
        self.events.append(
            ('command', np.asarray(msg.points[-1].positions)[order], time.monotonic())
        )

    def fresh(self, kind: str, since: float):
        """The latest status of ``kind`` if it arrived after ``since`` (monotonic), else None."""
        return getattr(self, kind) if self.received.get(kind, -1.0) > since else None

    def steps_after(self, since: float) -> list[Step]:
        """Steps received after ``since`` (monotonic)."""
        return [s for s, t in zip(self.steps, self.step_times, strict=True) if t > since]


def spin_for(node, seconds: float, procs) -> None:
    spin_until(node, lambda: False, seconds, procs)


def missing_seqs(steps: list[Step]) -> int:
    """Steps missing between consecutive sequence numbers of one run."""
    seqs = [s.seq for s in steps]
    return sum(b - a - 1 for a, b in zip(seqs, seqs[1:], strict=False) if b > a + 1)


def late_ticks(steps: list[Step]) -> int:
    """Intervals between consecutive Step stamps longer than 1.5 control periods."""
    stamps = np.array([s.header.stamp.sec + s.header.stamp.nanosec * 1e-9 for s in steps])
    return int(np.sum(np.diff(stamps) > 1.5 * PERIOD))


def max_interval(steps: list[Step]) -> float:
    """Longest interval between consecutive Step stamps (s)."""
    return float(np.max(np.diff([stamp_seconds(s) for s in steps]))) if len(steps) > 1 else 0.0


def stamp_seconds(step: Step) -> float:
    return step.header.stamp.sec + step.header.stamp.nanosec * 1e-9


def read_store(replay: Path) -> tuple[dict[str, list], dict[str, str]]:
    """Records of each readable segment, and the error of each unreadable one."""
    typestore = make_typestore()
    records, errors = {}, {}
    for segment in list_segments(replay):
        try:
            records[segment.name] = read_segment(segment, typestore)
        except SegmentError as exc:
            errors[segment.name] = str(exc)
    return records, errors


def checkpoint_info(logdir: Path) -> tuple[int, int]:
    """(update step, policy version) stored in the learner's checkpoint; (0, 0) if none."""
    path = logdir / 'checkpoint.safetensors'
    if not path.exists():
        return 0, 0
    from safetensors import safe_open

    with safe_open(str(path), 'pt') as f:
        meta = f.metadata()
    return int(meta['step']), int(json.loads(meta['extra']).get('policy_version', 0))


def plant_bad_segments(replay: Path) -> dict[str, str]:
    """A segment of another Step definition and a truncated one; returns name -> problem."""
    from rclpy.serialization import serialize_message
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore

    other = get_typestore(Stores.ROS2_KILTED)
    other.register(get_types_from_msg('uint64 seq\nstring run_id\nfloat32 extra', STEP_TYPE))
    foreign = '00000000T000000_planted_foreign'
    writer = SegmentWriter(replay, foreign, other)
    writer.write(b'\x00\x01\x00\x00' + bytes(20), 0, 0)
    writer.close()
    corrupt = '00000000T000001_planted_truncated'
    writer = SegmentWriter(replay, corrupt, make_typestore())
    for seq in range(20):
        writer.write(
            serialize_message(
                Step(seq=seq, run_id='planted', observation=[0.0] * 16, action=[0.0] * 12)
            ),
            seq,
            seq,
        )
    mcap = next(writer.close().glob('*.mcap'))
    mcap.write_bytes(mcap.read_bytes()[:200])
    return {foreign: 'another message definition', corrupt: 'cannot be read'}


class Robot:
    """MuJoCo backend and an agent on the wall clock, as on a real robot."""

    namespace = '/faults_robot'

    def __init__(self, node, processes: Processes) -> None:
        self.node = node
        self.p = processes
        self.watch = Watch(node, self.namespace)

    def spin_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        return spin_until(self.node, condition, timeout, self.p.live())

    def status_after(
        self, since: float, condition: Callable[[AgentStatus], bool], timeout: float = 3.0
    ) -> AgentStatus | None:
        """The first agent status received after ``since`` that satisfies ``condition``."""
        self.spin_until(
            lambda: (s := self.watch.fresh('agent', since)) is not None and condition(s), timeout
        )
        status = self.watch.fresh('agent', since)
        return status if status is not None and condition(status) else None


def command_problems(
    events: list[tuple[str, object, float]],
) -> tuple[int, int, int, float, list[str]]:
    """Check commands against the joint limits and the step bound.

    A command moves at most max_step from the previous one, except on the first tick of
    an episode after a start or a hold, where the command filter restarts from the
    measured joint angles: there it moves at most max_step from those, as that tick's
    Step reports them (its observation). Commands and Steps come on two topics, so a
    restart Step is matched to a command by time of receipt (within RESTART_MATCH s).

    Returns the number of commands, how many were checked against a restart, how many
    had no reference (the first ones seen, when the test joined after the agent's start
    tick), the largest step (rad) and the problems found.
    """
    last_of_run: dict[str, Step] = {}
    restarts = []  # (time of receipt, measured joint angles, clipped)
    for kind, e, received in events:
        if kind == 'step':
            prev = last_of_run.get(e.run_id)
            if e.is_first and (prev is None or not prev.is_last or prev.seq != e.seq - 1):
                measured = np.asarray(e.observation[:12], dtype=np.float64)
                restarts.append(
                    (received, e.seq, np.clip(measured, JOINT_LOWER + 0.02, JOINT_UPPER - 0.02))
                )
            last_of_run[e.run_id] = e
    problems, previous, count, restarted, unchecked, largest = [], None, 0, 0, 0, 0.0
    previous_at = 0.0
    for kind, command, received in events:
        if kind != 'command':
            continue
        count += 1
        if not (
            np.all(np.isfinite(command))
            and np.all(command >= JOINT_LOWER)
            and np.all(command <= JOINT_UPPER)
        ):
            problems.append(f'command {count} outside the joint limits: {command}')
        step = np.inf if previous is None else float(np.max(np.abs(command - previous)))
        if step > MAX_STEP + 1e-5:
            # The first command seen goes with the agent's first Step (seq 0) only.
            near = [
                float(np.max(np.abs(command - pose)))
                for t, seq, pose in restarts
                if abs(t - received) <= RESTART_MATCH and (previous is not None or seq == 0)
            ]
            if near:
                restarted += 1
                step = min(near)
            elif previous is None:
                unchecked += 1
            if np.isfinite(step) and step > MAX_STEP + 1e-5:
                problems.append(
                    f'command {count} moved {step:.4f} rad > {MAX_STEP} '
                    f'({1000 * (received - previous_at):.0f} ms after the '
                    f'previous one; {len(near)} restart(s) within '
                    f'{RESTART_MATCH} s)'
                )
        if np.isfinite(step):
            largest = max(largest, step)
        previous, previous_at = command, received
    return count, restarted, unchecked, largest, problems


def commands_respect_limits(
    table: FaultTable, watches: list[Watch], module: str, more_than: int
) -> None:
    """Whatever the faults of ``module`` did, every command its agents published stayed safe.

    The last test of each fault module calls this with WATCHES, the namespaces watched in
    that module. A check that saw few commands proves little: the module's agents must
    have published more than ``more_than``. When the suite was one module this was 200
    for all of it; the robot modules alone publish about 190 to 230 on a loaded 2-core
    machine (10 s of a 20 Hz agent), so they ask for 100.
    """
    watched = [w for w in watches if any(e[0] == 'command' for e in w.events)]
    if not watched:
        pytest.skip('no agent published commands in this session (run the whole module)')
    row = table.row(
        f'every JointTrajectory the agents published in this module ({module})',
        f'inside JOINT_LOWER..JOINT_UPPER; at most max_step ({MAX_STEP} rad) per tick',
    )
    results = [command_problems(w.events) for w in watched]
    count = sum(r[0] for r in results)
    problems = [f'{w.namespace}: {p}' for w, r in zip(watched, results, strict=True) for p in r[4]]
    row.observe(
        f'{count} commands from {len(watched)} agents ({sum(r[1] for r in results)} '
        'at a filter restart after a hold, checked against the measured pose; '
        f'{sum(r[2] for r in results)} unchecked: first seen, no reference); largest '
        f'step {max(r[3] for r in results):.3f} rad; {len(problems)} violations '
        + '; '.join(problems[:2])
    )
    assert count > more_than and not problems, problems[:5]
    row.passed()
