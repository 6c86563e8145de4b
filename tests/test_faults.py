# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Fault injection: the learning system under the faults its design says it survives.

The real nodes run as separate processes on the MuJoCo backend, as in
test_learning_system.py; each test injects faults one at a time and checks the outcome
the design promises (docs/architecture.md, Safety; README, Safety and failure behaviour):

- SIGKILL of the learner, the recorder and the agent, and restarts;
- corrupt and foreign replay segments in the store;
- hostile load_policy requests, and a policy whose actions are NaN at run time;
- malformed, non-finite and missing sensor data;
- a replay store on a read-only or full filesystem.

Every joint command the agents publish during the module is checked against the joint
limits and the maximum step per tick. The outcome of each fault is a row of a table
printed in pytest's terminal summary and written to <basetemp>/fault_table.md.
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
    LOAD_POLICY,
    LOAD_POLICY_QOS,
    RECORDER_STATUS,
    STATUS_QOS,
    STEP_QOS,
    STEPS,
)
from dreamstride_agent.recording.replay_store import (
    OPEN_DIR,
    QUARANTINE_DIR,
    STEP_TYPE,
    SegmentError,
    SegmentWriter,
    list_segments,
    make_typestore,
    read_segment,
)
from dreamstride_msgs.msg import AgentStatus, LearnerStatus, RecorderStatus, Step
from dreamstride_msgs.srv import LoadPolicy
from nav_msgs.msg import Odometry
import numpy as np
import pytest
import rclpy
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Imu, JointState
from spot_description import contract
from spot_description.spot import JOINT_LOWER, JOINT_NAMES, JOINT_UPPER, STANDING_POSE
from trajectory_msgs.msg import JointTrajectory

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / 'src/dreamstride_agent/test')]
from faults_policies import PolicyFactory  # noqa: E402
from faults_table import FaultTable, SummaryPlugin  # noqa: E402
from ros_helpers import spin_until, start_node, stop  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.faults]

# The agent's self-right is off here: its ticks send joint commands and no steps, which
# these checks of holds, postures and step counts would read as faults (it has its own
# tests: src/dreamstride_agent/test/test_self_right.py, test_agent_self_right.py).
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

WATCHES: list[Watch] = []  # every namespace watched in this module (command check)


# --- fixtures ---------------------------------------------------------------------------
@pytest.fixture(scope='module')
def table(request, tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / 'fault_table.md'
    faults = FaultTable()
    plugins = request.config.pluginmanager
    if plugins.has_plugin('dreamstride_fault_table'):  # the module runs again (--count)
        plugins.get_plugin('dreamstride_fault_table').table = faults
    else:
        plugins.register(SummaryPlugin(faults, path), 'dreamstride_fault_table')
    yield faults
    path.write_text(faults.markdown() + '\n')


@pytest.fixture(scope='module')
def ros():
    rclpy.init()
    yield
    rclpy.shutdown()


@pytest.fixture
def node(ros, request):
    n = rclpy.create_node(f'faults_{request.node.name}')
    yield n
    n.destroy_node()


def node_env() -> dict[str, str]:
    """Environment of every process started here (conftest.ros_env, for module scope)."""
    env = dict(os.environ)
    env['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
    env['ROS_DOMAIN_ID'] = os.environ['DREAMSTRIDE_TEST_DOMAIN_ID']
    env['PYTHONUNBUFFERED'] = '1'
    return env


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
            node_env(),
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


# --- process kills, restarts and the replay store ---------------------------------------
def test_process_kills_and_corrupt_segments(node, table, tmp_path):
    """Learner, recorder and agent SIGKILLed in turn on a training system."""
    ns = '/faults_kill'
    replay, logdir = tmp_path / 'replay', tmp_path / 'learner'
    learner_params = {**LEARNER, 'replay_dir': str(replay), 'logdir': str(logdir)}
    recorder_params = {
        'replay_dir': str(replay),
        'segment_steps': 60,
        'idle_close_seconds': 1.0,
        'use_sim_time': True,
    }
    planted = plant_bad_segments(replay)
    p = Processes(ns, tmp_path)
    w = Watch(node, ns)
    try:
        p.start(
            'agent',
            'dreamstride_agent.acting.agent_node',
            AGENT | {'use_sim_time': True, 'seed': 1},
        )
        p.start('replay_recorder', 'dreamstride_agent.recording.recorder_node', recorder_params)
        p.start('learner', 'dreamstride_agent.learning.learner_node', learner_params)
        w.wait_for_agent(node, p)
        p.start('spot_mujoco', 'spot_mujoco.sim_node', {'real_time_factor': 1.0})

        # Corrupt and foreign segments: refused by name and reason, training goes on.
        row = table.row(
            'corrupt and foreign replay segments in the store',
            'learner refuses each with a message naming it and why; trains on the rest',
        )
        assert spin_until(
            node,
            lambda: (
                w.agent is not None
                and w.agent.policy_version >= 2
                and w.agent.mode == AgentStatus.MODE_POLICY
                and w.agent.policy_version > checkpoint_info(logdir)[1] >= 1
            ),
            150,
            p.live(),
        ), p.tails()
        log = p.log('learner')
        refusals = [
            line.split('training on the rest: ')[1]
            for line in log.splitlines()
            if 'replay segment refused' in line
        ]
        row.observe(
            f'replay_segments_refused={w.learner.replay_segments_refused}, '
            f'training at update {w.learner.train_step}; ' + '; '.join(refusals),
            steps_lost='0 (20 corrupt steps refused)',
        )
        assert w.learner.replay_segments_refused == 2 and w.learner.train_step > 0
        for name, problem in planted.items():
            assert any(r.startswith(name) and problem in r for r in refusals), refusals
        row.passed()

        # Learner SIGKILL mid-training: agent keeps its policy, recorder keeps recording.
        row = table.row(
            'learner SIGKILL mid-training',
            'agent keeps acting with its last policy; recorder keeps recording',
        )
        refused0 = w.agent.policies_refused
        reaped = time.monotonic()
        p.kill('learner')
        reaped = time.monotonic() - reaped
        ckpt_step, ckpt_version = checkpoint_info(logdir)
        spin_for(node, 0.5, p.live())  # a push already in flight may still land
        killed_at = time.monotonic()
        assert spin_until(
            node,
            lambda: (
                w.fresh('recorder', killed_at) is not None
                and w.fresh('agent', killed_at) is not None
            ),
            5,
            p.live(),
        )
        received0, misses0 = w.recorder.steps_received, w.agent.deadline_misses
        counted_from = time.monotonic()
        assert spin_until(
            node,
            lambda: (
                w.fresh('recorder', counted_from + 3.0) is not None
                and w.fresh('agent', counted_from + 3.0) is not None
            ),
            8,
            p.live(),
        )
        window = w.steps_after(killed_at)
        versions = sorted({s.policy_version for s in window})
        recorded = w.recorder.steps_received - received0
        row.observe(
            f'{len(window)} steps in {time.monotonic() - killed_at:.1f} s, all with '
            f'policy v{versions}; recorder +{recorded} steps in '
            f'{w.received["recorder"] - counted_from:.1f} s (learner reaped '
            f'{reaped:.1f} s after SIGKILL)',
            steps_lost=missing_seqs(window),
            ticks_missed=w.agent.deadline_misses - misses0,
        )
        # Acting and recording go on (how many steps in 3 s depends on the machine's load;
        # the table shows it, timing is judged by the benchmarks, not here). On a loaded
        # machine this node may take the steps seconds after the agent sent them, older
        # versions among them. Its status topic keeps only the latest message, which
        # names the policy the agent acts with now.
        version = w.agent.policy_version
        assert len(window) >= 5 and max(versions) == version and version >= 2, versions
        assert window[-1].policy_version == version
        assert recorded >= 5 and missing_seqs(window) == 0
        row.passed()

        # A restarted learner resumes from its checkpoint; meanwhile the recorder dies.
        learner_row = table.row(
            'learner restarted after SIGKILL',
            'resumes from its last checkpoint: update counter and '
            'policy versions continue; the agent accepts its policies',
        )
        w.learner = None
        restarted_at = time.monotonic()
        p.start('learner', 'dreamstride_agent.learning.learner_node', learner_params)

        row = table.row(
            'recorder SIGKILL and restart',
            'open segment quarantined with a warning; gap visible in the store '
            'and in the new recorder status; recording continues',
        )
        # Kill while a segment is open (right after a close there may be none).
        assert spin_until(node, lambda: any((replay / OPEN_DIR).iterdir()), 20, p.live())
        left_open = sorted(d.name for d in (replay / OPEN_DIR).iterdir())
        p.kill('replay_recorder')
        left_open = sorted(set(left_open) | {d.name for d in (replay / OPEN_DIR).iterdir()})
        spin_for(node, 1.0, p.live())
        w.recorder = None
        p.start('replay_recorder', 'dreamstride_agent.recording.recorder_node', recorder_params)
        # 90 s: on a loaded machine Fast DDS took more than 40 s to match the restarted
        # recorder with the agent and this test (Jazzy, CI beside a training run); the row
        # checks that recording resumes, not how fast discovery is.
        assert spin_until(
            node, lambda: w.recorder is not None and w.recorder.steps_received >= 20, 90, p.live()
        ), p.tails()
        quarantined = sorted(d.name for d in (replay / QUARANTINE_DIR).glob('*'))
        warned = [
            line
            for line in p.log('replay_recorder').splitlines()
            if 'was left open by a recorder' in line
        ]
        gap_status = (w.recorder.sequence_gaps, w.recorder.steps_missing)
        row.observe(
            f'left open {left_open}, quarantined {quarantined}, {len(warned)} '
            f'warning(s); new recorder: sequence_gaps={gap_status[0]}, '
            f'steps_missing={gap_status[1]}',
            steps_lost=f'{gap_status[1]} (reported)',
        )
        assert left_open and set(left_open) <= set(quarantined) and len(warned) == len(left_open)
        assert gap_status[0] == 1 and gap_status[1] > 0
        recorder_row = row  # the store side of the gap is checked after the agent kill

        assert spin_until(
            node,
            lambda: w.fresh('learner', restarted_at) is not None and w.learner.train_step > 0,
            90,
            p.live(),
        ), p.tails()
        resumed_step = w.learner.train_step
        resumed_line = [line for line in p.log('learner').splitlines() if 'resumed from' in line]
        assert spin_until(node, lambda: w.steps[-1].policy_version > version, 60, p.live()), (
            p.tails()
        )
        learner_row.observe(
            f'checkpoint at update {ckpt_step} / policy v{ckpt_version}; first status after '
            f'restart: update {resumed_step}; agent now acts with v{w.steps[-1].policy_version} '
            f'(was v{version}); agent refused {w.agent.policies_refused - refused0} pushes'
        )
        assert resumed_step >= ckpt_step > 0 and resumed_line
        assert f'at update {ckpt_step}' in resumed_line[0]
        assert w.agent.policies_refused == refused0, w.agent.last_refusal
        learner_row.passed()

        # Agent SIGKILL: every step the recorder acknowledged ends in a closed segment.
        row = table.row(
            'agent SIGKILL',
            'every step the recorder acknowledged is in a closed, readable '
            'segment; nothing left in open/',
        )
        p.kill('agent')
        killed_at = time.monotonic()
        assert spin_until(
            node,
            lambda: (
                w.fresh('recorder', killed_at + 1.5) is not None and w.recorder.steps_pending == 0
            ),
            15,
            p.live(),
        ), p.tails()
        acknowledged = w.recorder.steps_received
        session = Path(w.recorder.last_segment).name.rsplit('_', 1)[0]
        records, errors = read_store(replay)
        stored_now = sum(len(r) for name, r in records.items() if name.startswith(session))
        still_open = sorted(d.name for d in (replay / OPEN_DIR).iterdir())
        seen = {s.seq for s in w.steps}
        stored = {r.seq for rs in records.values() for r in rs if r.run_id == w.steps[0].run_id}
        in_flight = len(seen - stored) - gap_status[1]
        row.observe(
            f'recorder acknowledged {acknowledged}, closed {w.recorder.steps_closed}; '
            f"{stored_now} in this recorder's closed segments; open/ holds "
            f'{still_open}; {in_flight} steps the test saw were never acknowledged',
            steps_lost=acknowledged - stored_now,
        )
        assert stored_now == acknowledged == w.recorder.steps_closed and not still_open
        assert set(errors) == set(planted)
        row.passed()

        # The store shows the recorder's gap: exactly the steps its status reported.
        seqs = sorted(stored)
        gaps = [(a, b) for a, b in zip(seqs, seqs[1:], strict=False) if b != a + 1]
        recorder_row.observed += f'; store: seq {gaps[0][0]} -> {gaps[0][1]}' if gaps else ''
        assert len(gaps) == 1 and gaps[0][1] - gaps[0][0] - 1 == gap_status[1], gaps
        assert set(range(gaps[0][0] + 1, gaps[0][1])) <= seen  # published, then lost
        recorder_row.passed()

        # The restarted learner re-read the whole store: each stored step exactly once.
        row = table.row(
            'learner replay after the restart',
            'LearnerStatus.replay_steps equals the steps in the store: no duplicate, none missing',
        )
        keys = {(r.run_id, r.seq) for rs in records.values() for r in rs}
        total = sum(len(rs) for rs in records.values())
        loaded = spin_until(
            node,
            lambda: w.learner.replay_steps == total and w.learner.replay_segments == len(records),
            20,
            p.live(),
        )
        row.observe(
            f'store: {total} steps in {len(records)} readable segments '
            f'({len(keys)} distinct); learner: replay_steps='
            f'{w.learner.replay_steps} from {w.learner.replay_segments} segments',
            steps_lost=total - w.learner.replay_steps,
        )
        assert loaded and len(keys) == total
        row.passed()
    finally:
        p.stop_all()


# --- the replay store on a read-only or full filesystem ---------------------------------
def _mount(*args: str) -> bool:
    return subprocess.run(['mount', *args], capture_output=True).returncode == 0


def _fill(path: Path) -> int:
    """Write ``path`` until the filesystem is full; return the bytes written."""
    written, chunk = 0, bytes(16384)
    with open(path, 'wb', buffering=0) as f:
        for size in (16384, 512, 1):
            while True:
                try:
                    written += f.write(chunk[:size])
                except OSError:
                    break
    return written


def test_replay_store_read_only_or_full(node, table, tmp_path):
    """The recorder survives an unwritable store, keeps the steps, and resumes."""
    fs = tmp_path / 'fs'
    fs.mkdir()
    mounted = _mount('-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', str(fs))
    replay = fs / 'replay'
    p = Processes('/faults_store', tmp_path)
    w = Watch(node, '/faults_store')
    publisher = node.create_publisher(Step, f'/faults_store/{STEPS}', STEP_QOS)
    sent = []

    def publish(count: int) -> None:
        for _ in range(count):
            publisher.publish(
                Step(
                    seq=len(sent),
                    run_id='store_test',
                    observation=[0.1] * 16,
                    action=[0.0] * 12,
                    is_first=not sent,
                )
            )
            sent.append(len(sent))

    def recovered() -> bool:
        return w.recorder.writable and w.recorder.steps_closed == len(sent)

    def broken(
        error_text: str,
        how: str,
        make: Callable[[], None],
        undo: Callable[[], str | None],
        count: int = 30,
    ) -> None:
        row = table.row(
            f'replay store: {error_text} ({how})',
            'clear error in RecorderStatus and the log; steps kept in memory; '
            'recording resumes when the store is writable again',
        )
        assert spin_until(node, lambda: w.recorder.steps_pending == 0, 10, p.live())
        make()
        start = time.monotonic()
        publish(count)
        assert spin_until(
            node,
            lambda: (
                w.fresh('recorder', start) is not None
                and not w.recorder.writable
                and w.recorder.steps_pending == count
            ),
            10,
            p.live(),
        ), p.tails()
        error = w.recorder.last_error
        logged = [
            line
            for line in p.log('replay_recorder').splitlines()
            if 'cannot write the replay store' in line and error_text in line
        ]
        how_fixed = undo() or 'after the fix'
        fixed = time.monotonic()
        ok = spin_until(
            node, lambda: w.fresh('recorder', fixed) is not None and recovered(), 10, p.live()
        )
        leftovers = sorted(d.name for d in (replay / QUARANTINE_DIR).glob('*'))
        row.observe(
            f'last_error "{error}", {count} steps pending; {how_fixed}: writable='
            f'{w.recorder.writable}, closed {w.recorder.steps_closed}/{len(sent)}; '
            f'{len(leftovers)} partial segment(s) left behind',
            steps_lost=len(sent) - w.recorder.steps_closed,
        )
        assert error_text in error and logged, error
        assert ok and not leftovers, p.tails()
        row.passed()

    try:
        p.start(
            'replay_recorder',
            'dreamstride_agent.recording.recorder_node',
            {'replay_dir': str(replay), 'segment_steps': 20, 'idle_close_seconds': 0.5},
        )
        assert spin_until(
            node,
            lambda: publisher.get_subscription_count() > 0 and w.recorder is not None,
            20,
            p.live(),
        ), p.tails()
        publish(30)
        assert spin_until(node, lambda: w.recorder.steps_closed == 30, 10, p.live())
        if mounted:

            def read_only():
                assert _mount('-o', 'remount,ro', str(fs)), 'remount read-only failed'

            def writable_again():
                assert _mount('-o', 'remount,rw', str(fs)), 'remount read-write failed'

            broken('Read-only file system', 'tmpfs remounted read-only', read_only, writable_again)
            filler = fs / 'filler'

            def free_gradually() -> str:
                # Space comes back 16 KiB at a time (as when logs are rotated): failed
                # attempts must not eat it, or the steps never fit.
                freed = 0
                while freed < 256 * 1024 and not recovered():
                    os.truncate(filler, max(filler.stat().st_size - 16384, 0))
                    freed += 16384
                    since = time.monotonic()
                    spin_until(
                        node,
                        lambda s=since: w.fresh('recorder', s) is not None and recovered(),
                        1.5,
                        p.live(),
                    )
                assert recovered(), f'not recording after {freed // 1024} KiB came back'
                filler.unlink()
                return f'recording again after {freed // 1024} KiB came back, 16 KiB at a time'

            broken(
                'No space left on device',
                '2 MiB tmpfs filled by another file',
                lambda: _fill(filler),
                free_gradually,
                count=150,
            )
        else:
            away = tmp_path / 'fs.away'
            broken(
                'Not a directory',
                'mount not permitted: parent replaced by a file',
                lambda: (fs.rename(away), fs.write_text('not a directory')),
                lambda: (fs.unlink(), away.rename(fs)),
            )
        assert p.kill('replay_recorder', signal.SIGINT) == 0
        records, errors = read_store(replay)
        seqs = [r.seq for rs in records.values() for r in rs]
        row = table.row(
            'recorder after the store faults',
            'process alive throughout, stops cleanly; every step in the store, '
            'once, in order; open/ empty',
        )
        row.observe(
            f'{len(seqs)} steps stored of {len(sent)} sent, in order: '
            f'{seqs == sent}; open/ empty: {not any((replay / OPEN_DIR).iterdir())}',
            steps_lost=len(sent) - len(seqs),
        )
        assert seqs == sent and not errors and not any((replay / OPEN_DIR).iterdir())
        row.passed()
    finally:
        p.stop_all()
        if mounted:
            subprocess.run(['umount', '-l', str(fs)], capture_output=True)


# --- policies and sensors on one robot --------------------------------------------------
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


@pytest.fixture(scope='module')
def robot(ros, tmp_path_factory):
    p = Processes(Robot.namespace, tmp_path_factory.mktemp('robot'))
    node = rclpy.create_node('faults_robot_observer')
    r = Robot(node, p)
    try:
        p.start(
            'agent',
            'dreamstride_agent.acting.agent_node',
            AGENT | {'seed': 2, 'max_policy_bytes': MAX_POLICY_BYTES},
        )
        r.watch.wait_for_agent(node, p)
        p.start('spot_mujoco', 'spot_mujoco.sim_node', {'real_time_factor': 1.0})
        assert r.spin_until(lambda: len(r.watch.steps) > 20, 60), p.tails()
        yield r
    finally:
        p.stop_all()
        node.destroy_node()


@pytest.fixture(scope='module')
def policies() -> PolicyFactory:
    return PolicyFactory()


def test_hostile_policies(robot, table, policies):
    """Every hostile load_policy request is refused by name; acting goes on untouched."""
    w, p = robot.watch, robot.p
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

    # Finite weights, NaN actions: accepted by validation, dropped at its first tick.
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

    row = table.row('a valid policy after all that', 'accepted and acted with')
    answer = call('safetensors', 3, good_sha, good)
    row.observe(answer.message)
    assert answer.accepted and robot.spin_until(lambda: w.steps[-1].policy_version == 3, 5)
    row.passed()
    robot.node.destroy_client(client)


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


class FakeRobot:
    """The test's own sensor streams at 50 Hz: a perfect servo that reports the last command.

    ``modes`` picks, per sensor, good data or a fault: 'wrong_name', 'short', 'count', 'nan'
    (joints), 'nan', 'not_unit' (imu), 'inf' (odometry), 'silent' (any: stops publishing).
    """

    def __init__(self, robot: Robot) -> None:
        ns, node = Robot.namespace, robot.node
        self.node = node
        self.watch = robot.watch
        self.modes = {'joints': 'off', 'imu': 'off', 'odom': 'off'}
        self.changed_at: dict[str, float] = {}  # sensor -> wall time of its first change
        self.sent_at: dict[str, float] = {}  # sensor -> wall time of its last message
        self._pending: set[str] = set()
        self.joints = node.create_publisher(
            JointState, f'{ns}/{contract.JOINT_STATES}', contract.SENSOR_QOS
        )
        self.imu = node.create_publisher(Imu, f'{ns}/{contract.IMU}', contract.SENSOR_QOS)
        self.odom = node.create_publisher(
            Odometry, f'{ns}/{contract.ODOMETRY}', contract.SENSOR_QOS
        )
        self.timer = node.create_timer(0.02, self._publish)

    def close(self) -> None:
        self.node.destroy_timer(self.timer)
        for publisher in (self.joints, self.imu, self.odom):
            self.node.destroy_publisher(publisher)

    def set(self, **modes: str) -> None:
        self.modes.update(modes)
        self._pending |= set(modes)

    def _pose(self) -> np.ndarray:
        commands = [e for kind, e, _ in reversed(self.watch.events) if kind == 'command']
        return commands[0] if commands else STANDING_POSE

    def _publish(self) -> None:
        now = time.time()
        for sensor in self._pending:
            self.changed_at[sensor] = now
        self._pending.clear()
        mode = self.modes['joints']
        if mode not in ('off', 'silent'):
            names, position = list(JOINT_NAMES), self._pose().tolist()
            velocity = [0.0] * len(names)
            if mode == 'wrong_name':
                names[0] += '_typo'
            elif mode == 'short':
                names, position, velocity = names[:11], position[:11], velocity[:11]
            elif mode == 'count':
                position = position[:11]
                velocity = []
            elif mode == 'nan':
                position[3] = float('nan')
            self.joints.publish(JointState(name=names, position=position, velocity=velocity))
            self.sent_at['joints'] = now
        mode = self.modes['imu']
        if mode not in ('off', 'silent'):
            msg = Imu()
            msg.orientation.w = 2.0 if mode == 'not_unit' else 1.0
            msg.angular_velocity.x = float('nan') if mode == 'nan' else 0.0
            self.imu.publish(msg)
            self.sent_at['imu'] = now
        mode = self.modes['odom']
        if mode not in ('off', 'silent'):
            msg = Odometry()
            msg.twist.twist.linear.x = float('inf') if mode == 'inf' else 0.0
            self.odom.publish(msg)
            self.sent_at['odom'] = now


SENSOR_FAULTS = [
    (
        'joint_states with an unknown joint name',
        'joints',
        'wrong_name',
        'joint_states names unknown joints',
    ),
    ('joint_states with 11 joints', 'joints', 'short', 'joint_states lacks joints'),
    (
        'joint_states: 12 names, 11 positions',
        'joints',
        'count',
        'joint_states has 12 names but 11 positions',
    ),
    (
        'joint_states with a NaN position',
        'joints',
        'nan',
        'joint_states contains non-finite values',
    ),
    ('imu with a NaN rate', 'imu', 'nan', 'imu contains non-finite values'),
    ('imu orientation not a unit quaternion', 'imu', 'not_unit', 'not a unit quaternion'),
    ('odometry with an Inf velocity', 'odom', 'inf', 'odometry contains non-finite values'),
    ('odometry stops arriving', 'odom', 'silent', 'odometry stale'),
]


def test_sensor_faults(robot, table):
    """Stale, malformed and non-finite sensors: hold within two ticks, resume on good data."""
    w, p = robot.watch, robot.p
    last_sim_joints = []
    joint_states = robot.node.create_subscription(
        JointState,
        f'{Robot.namespace}/{contract.JOINT_STATES}',
        lambda _: last_sim_joints.append(time.time()),
        contract.SENSOR_QOS,
    )
    assert robot.spin_until(lambda: len(last_sim_joints) > 5, 10)

    def hold(row, reason: str, fault_at: float, misses_before: int) -> None:
        """Check the hold that started at ``fault_at`` (wall time); fill in ``row``.

        Asserted: the agent holds, with the reason. Its latency (ticks acted after the
        fault) goes into the table only: across processes on a busy machine it measures
        the scheduler. That the decision holds at the first tick after a fault is
        asserted with an injected clock in src/dreamstride_agent/test/test_agent_core.py.
        """
        status = robot.status_after(
            time.monotonic() - 0.05, lambda s: s.hold and reason in s.hold_reason
        )
        acted = [s for s in w.steps if stamp_seconds(s) > fault_at]
        last = max(stamp_seconds(s) for s in w.steps)
        misses = (status or w.agent).deadline_misses - misses_before
        row.observe(
            f'hold_reason "{status.hold_reason if status else "-"}"; last step '
            f'{1000 * (last - fault_at):+.0f} ms from the fault ({len(acted)} '
            'tick(s) after it)',
            ticks_missed=misses,
        )
        assert status is not None, w.agent.hold_reason

    def resume(row, good_at: float) -> None:
        assert robot.spin_until(lambda: stamp_seconds(w.steps[-1]) > good_at, 3)
        first = next(s for s in w.steps if stamp_seconds(s) > good_at)
        row.observed += (
            f'; acting again {1000 * (stamp_seconds(first) - good_at):.0f} ms '
            f'after good data (is_first={first.is_first})'
        )
        assert first.is_first
        row.passed()

    # The simulator stops (SIGSTOP): every sensor goes quiet.
    row = table.row(
        'simulator stopped (SIGSTOP): all sensors stop arriving',
        'hold within two control periods of the data going stale; hold_reason '
        'says which; commands hold the posture',
    )
    p.signal('spot_mujoco', signal.SIGSTOP)
    try:
        stopped, misses_before = time.time(), w.agent.deadline_misses
        robot.spin_until(lambda: False, 0.3)
        last_sim = last_sim_joints[-1]
        hold(row, 'stale', last_sim + MAX_SENSOR_AGE, misses_before)
        # Commands after the agent's last step are the hold's: all the same posture.
        last_step = max(t for kind, _, t in w.events if kind == 'step')
        posture = [e for kind, e, t in w.events if kind == 'command' and t > last_step]
        assert posture and all(np.array_equal(c, posture[0]) for c in posture)
        fake = FakeRobot(robot)
        fake.set(joints='good', imu='good', odom='good')
        robot.spin_until(lambda: 'joints' in fake.changed_at, 1)
        resume(row, fake.changed_at['joints'])
        row.observed += (
            f' (SIGSTOP {1000 * (stopped - last_sim):.0f} ms after the last joint_states)'
        )

        for fault, sensor, mode, reason in SENSOR_FAULTS:
            row = table.row(
                fault,
                'hold within two control periods with the reason; '
                'acting again when good data returns',
            )
            fake.changed_at.pop(sensor, None)
            misses_before = w.agent.deadline_misses
            fake.set(**{sensor: mode})
            assert robot.spin_until(lambda s=sensor: s in fake.changed_at, 1)
            fault_at = fake.changed_at[sensor]
            if mode == 'silent':  # stale once the last message is older than the bound
                fault_at = fake.sent_at[sensor] + MAX_SENSOR_AGE
            robot.spin_until(lambda: False, 0.2)
            hold(row, reason, fault_at, misses_before)
            fake.changed_at.pop(sensor)
            fake.set(**{sensor: 'good'})
            assert robot.spin_until(lambda s=sensor: s in fake.changed_at, 1)
            resume(row, fake.changed_at[sensor])
    finally:
        p.signal('spot_mujoco', signal.SIGCONT)

    # Back to the simulator.
    row = table.row(
        'simulator continues (SIGCONT), test sensors stop',
        'agent acts on the simulator again; status leaves hold',
    )
    fake.close()
    back = time.monotonic()
    status = robot.status_after(back + 0.2, lambda s: not s.hold and s.hold_reason == '', 5)
    row.observe(
        f'status hold={status.hold if status else "-"}, mode='
        f'{status.mode if status else "-"}; {len(w.steps_after(back))} steps since'
    )
    assert status is not None and len(w.steps_after(back)) > 10
    row.passed()
    robot.node.destroy_subscription(joint_states)


# --- every command of the module --------------------------------------------------------
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


def test_published_commands_respect_limits(table):
    """Whatever the policies did above, every published command stayed safe."""
    watched = [w for w in WATCHES if any(e[0] == 'command' for e in w.events)]
    if not watched:
        pytest.skip('no agent published commands in this session (run the whole module)')
    row = table.row(
        'every JointTrajectory the agents published in this module',
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
    assert count > 200 and not problems, problems[:5]
    row.passed()
