# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Fault injection, sensors: stale, malformed and non-finite sensor data.

An agent on the MuJoCo backend (the robot fixture) loses every sensor when the simulator
is stopped (SIGSTOP); the test's own sensor streams (FakeRobot) then send it malformed,
non-finite and missing data, one fault at a time, each followed by good data. The agent
must hold with the reason and act again when good data returns. The outcome of each is
a row of the fault table; faults_harness.py describes the whole suite.
"""

from __future__ import annotations

from pathlib import Path
import signal
import sys
import time

from nav_msgs.msg import Odometry
import numpy as np
import pytest
from sensor_msgs.msg import Imu, JointState
from spot_description import contract
from spot_description.spot import JOINT_NAMES, STANDING_POSE

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / 'src/dreamstride_agent/test')]
pytest.register_assert_rewrite('faults_harness')
from faults_harness import (  # noqa: E402
    MAX_SENSOR_AGE,
    WATCHES,
    Robot,
    commands_respect_limits,
    stamp_seconds,
)
from faults_table import FaultTable, Row  # noqa: E402

pytest_plugins = ['faults_fixtures']
pytestmark = [pytest.mark.slow, pytest.mark.faults]


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
        hold(robot, row, 'stale', last_sim + MAX_SENSOR_AGE, misses_before)
        # Commands after the agent's last step are the hold's: all the same posture.
        last_step = max(t for kind, _, t in w.events if kind == 'step')
        posture = [e for kind, e, t in w.events if kind == 'command' and t > last_step]
        assert posture and all(np.array_equal(c, posture[0]) for c in posture)
        fake = FakeRobot(robot)
        fake.set(joints='good', imu='good', odom='good')
        robot.spin_until(lambda: 'joints' in fake.changed_at, 1)
        resume(robot, row, fake.changed_at['joints'])
        row.observed += (
            f' (SIGSTOP {1000 * (stopped - last_sim):.0f} ms after the last joint_states)'
        )

        for fault, sensor, mode, reason in SENSOR_FAULTS:
            sensor_fault(robot, table, fake, fault, sensor, mode, reason)
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


def sensor_fault(
    robot: Robot,
    table: FaultTable,
    fake: FakeRobot,
    fault: str,
    sensor: str,
    mode: str,
    reason: str,
) -> None:
    """One fault of SENSOR_FAULTS from the test's own sensors, then good data again."""
    w = robot.watch
    row = table.row(
        fault,
        'hold within two control periods with the reason; acting again when good data returns',
    )
    fake.changed_at.pop(sensor, None)
    misses_before = w.agent.deadline_misses
    fake.set(**{sensor: mode})
    assert robot.spin_until(lambda s=sensor: s in fake.changed_at, 1)
    fault_at = fake.changed_at[sensor]
    if mode == 'silent':  # stale once the last message is older than the bound
        fault_at = fake.sent_at[sensor] + MAX_SENSOR_AGE
    robot.spin_until(lambda: False, 0.2)
    hold(robot, row, reason, fault_at, misses_before)
    fake.changed_at.pop(sensor)
    fake.set(**{sensor: 'good'})
    assert robot.spin_until(lambda s=sensor: s in fake.changed_at, 1)
    resume(robot, row, fake.changed_at[sensor])


def hold(robot: Robot, row: Row, reason: str, fault_at: float, misses_before: int) -> None:
    """Check the hold that started at ``fault_at`` (wall time); fill in ``row``.

    Asserted: the agent holds, with the reason. Its latency (ticks acted after the
    fault) goes into the table only: across processes on a busy machine it measures
    the scheduler. That the decision holds at the first tick after a fault is
    asserted with an injected clock in src/dreamstride_agent/test/acting/test_agent_core.py.
    """
    w = robot.watch
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


def resume(robot: Robot, row: Row, good_at: float) -> None:
    w = robot.watch
    assert robot.spin_until(lambda: stamp_seconds(w.steps[-1]) > good_at, 3)
    first = next(s for s in w.steps if stamp_seconds(s) > good_at)
    row.observed += (
        f'; acting again {1000 * (stamp_seconds(first) - good_at):.0f} ms '
        f'after good data (is_first={first.is_first})'
    )
    assert first.is_first
    row.passed()


# --- every command of the module --------------------------------------------------------
def test_published_commands_respect_limits(table):
    """Whatever the sensors did above, every published command stayed safe."""
    commands_respect_limits(table, WATCHES, Path(__file__).name, more_than=100)
