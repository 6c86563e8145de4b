# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""sim_node with real rclpy and real MuJoCo: the contract, commands, resets, bad input."""

from collections.abc import Callable
import math
import os
from pathlib import Path
import signal
import subprocess
import sys
import threading
import time

from builtin_interfaces.msg import Time
from dreamstride_msgs.srv import ResetRobot
from nav_msgs.msg import Odometry
import numpy as np
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import CameraInfo, Image, Imu, JointState
from spot_description import contract, spot
from spot_mujoco.sim_node import SimNode
from spot_mujoco.simulation import POSES
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

HERE = Path(__file__).resolve().parent
RTF = 2.0  # the node under test runs paced at twice real time


def seconds(stamp: Time) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def body_z_up(odom: Odometry) -> float:
    """World z component of the body's z axis (1 upright, -1 on its back)."""
    q = odom.pose.pose.orientation
    return 1.0 - 2.0 * (q.x * q.x + q.y * q.y)


def trajectory(names: list[str], *points: list[float]) -> JointTrajectory:
    return JointTrajectory(
        joint_names=names, points=[JointTrajectoryPoint(positions=p) for p in points]
    )


# --- the node in its own process -----------------------------------------------------------
class SimProcess:
    """sim_node running as a separate process; its log lines are collected as they come."""

    def __init__(self, env: dict[str, str], *params: str) -> None:
        args = [a for p in params for a in ('-p', p)]
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'spot_mujoco.sim_node', '--ros-args', *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def wait_for_line(self, *parts: str, after: int = 0, timeout: float = 20.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in self.lines[after:]:
                if all(part in line for part in parts):
                    return line
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f'no log line with {parts}; output:\n' + '\n'.join(self.lines))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)


class Peer:
    """The test's own node: listens to the contract, publishes commands, calls reset."""

    def __init__(self) -> None:
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node('sim_node_test', context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.latest: dict[str, object] = {}
        self.counts: dict[str, int] = {}
        for key, kind, topic in [
            ('joints', JointState, contract.JOINT_STATES),
            ('imu', Imu, contract.IMU),
            ('odom', Odometry, contract.ODOMETRY),
            ('image', Image, contract.CAMERA_IMAGE),
            ('info', CameraInfo, contract.CAMERA_INFO),
        ]:
            self.node.create_subscription(kind, topic, self._keep(key), contract.SENSOR_QOS)
        self.node.create_subscription(
            Clock, contract.CLOCK, self._keep('clock'), contract.CLOCK_QOS
        )
        self.commands = self.node.create_publisher(
            JointTrajectory, contract.JOINT_TRAJECTORY, contract.COMMAND_QOS
        )
        self.reset_client = self.node.create_client(ResetRobot, contract.RESET_SERVICE)

    def _keep(self, key: str) -> Callable[[object], None]:
        def callback(msg: object) -> None:
            self.latest[key] = msg
            self.counts[key] = self.counts.get(key, 0) + 1

        return callback

    def spin_until(
        self, predicate: Callable[[], bool], timeout: float = 20.0, what: str = 'condition'
    ) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return
            self.executor.spin_once(timeout_sec=0.05)
        raise AssertionError(f'timed out waiting for {what}')

    def sim_time(self) -> float:
        return seconds(self.latest['clock'].clock) if 'clock' in self.latest else -1.0

    def wait_sim(self, duration: float) -> None:
        """Spin until `duration` simulated seconds have passed."""
        self.spin_until(lambda: 'clock' in self.latest)
        end = self.sim_time() + duration
        self.spin_until(
            lambda: self.sim_time() >= end,
            timeout=10 + 5 * duration / RTF,
            what=f'{duration} s of simulated time',
        )

    def fresh(self, key: str) -> object:
        """The first message on `key` stamped after the current simulated time."""
        self.spin_until(lambda: 'clock' in self.latest)
        now = self.sim_time()
        self.spin_until(
            lambda: key in self.latest and seconds(self.latest[key].header.stamp) > now,
            what=f'fresh {key}',
        )
        return self.latest[key]

    def reset(self, pose: int, seed: int = 0) -> ResetRobot.Response:
        assert self.reset_client.wait_for_service(timeout_sec=20), 'no reset service'
        future = self.reset_client.call_async(ResetRobot.Request(pose=pose, seed=seed))
        self.executor.spin_until_future_complete(future, timeout_sec=20)
        assert future.done(), 'reset did not answer'
        return future.result()

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)


@pytest.fixture(scope='module')
def sim(sim_ros_env):
    # The camera at 5 Hz of simulated time: a 64x64 software-rendered frame costs ~10 ms.
    process = SimProcess(
        sim_ros_env,
        f'real_time_factor:={RTF}',
        'camera.enabled:=true',
        'camera.rate:=5.0',
        'seed:=3',
    )
    yield process
    process.stop()


@pytest.fixture(scope='module')
def peer(sim):
    peer = Peer()
    peer.spin_until(lambda: 'joints' in peer.latest, timeout=30, what='joint_states from sim_node')
    yield peer
    peer.close()


def test_publishes_the_contract(sim, peer):
    peer.wait_sim(1.5)  # settled on its feet
    joints = peer.fresh('joints')
    assert tuple(joints.name) == spot.JOINT_NAMES
    for values in (joints.position, joints.velocity, joints.effort):
        assert len(values) == spot.NUM_JOINTS and np.all(np.isfinite(values))
    np.testing.assert_allclose(joints.position, spot.STANDING_POSE, atol=0.15)

    imu = peer.fresh('imu')
    assert imu.header.frame_id == contract.BODY_FRAME
    acc = imu.linear_acceleration
    assert (acc.x, acc.y, acc.z) == pytest.approx((0.0, 0.0, 9.81), abs=0.3)
    q = imu.orientation
    assert q.w**2 + q.x**2 + q.y**2 + q.z**2 == pytest.approx(1.0)

    odom = peer.fresh('odom')
    assert odom.header.frame_id == contract.ODOM_FRAME
    assert odom.child_frame_id == contract.BODY_FRAME
    assert 0.38 < odom.pose.pose.position.z < 0.5
    assert body_z_up(odom) > 0.99

    # Stamps are simulated time, published at 50 Hz of it.
    count, start = peer.counts['joints'], peer.sim_time()
    peer.wait_sim(1.0)
    rate = (peer.counts['joints'] - count) / (peer.sim_time() - start)
    assert 30 < rate < 60  # best effort: a busy machine may drop a few


def test_paced_at_the_real_time_factor(peer):
    peer.wait_sim(0.1)
    wall, simulated = time.monotonic(), peer.sim_time()
    peer.spin_until(lambda: time.monotonic() - wall > 2.0)
    factor = (peer.sim_time() - simulated) / (time.monotonic() - wall)
    assert factor < 1.1 * RTF  # paced, not free-running
    assert factor > 0.25 * RTF  # and not stalled (the machine may be busy with other work)


def test_camera(sim, peer):
    disabled = [line for line in sim.lines if 'camera disabled' in line]
    if disabled:
        pytest.skip(f'no off-screen rendering here: {disabled[0]}')
    image = peer.fresh('image')
    assert (image.width, image.height, image.encoding) == (64, 64, 'rgb8')
    assert image.step == 64 * 3 and len(image.data) == 64 * 64 * 3
    assert image.header.frame_id == spot.HEAD_CAMERA_OPTICAL_FRAME
    assert np.frombuffer(bytes(image.data), np.uint8).std() > 5
    peer.spin_until(lambda: 'info' in peer.latest)
    info = peer.latest['info']
    assert (info.width, info.height) == (64, 64)
    assert info.k[0] > 0 and info.k[2] == 32.0


def test_reset_on_back_turns_the_body_upside_down(peer):
    response = peer.reset(ResetRobot.Request.POSE_ON_BACK)
    assert response.success, response.message
    peer.wait_sim(1.0)
    assert body_z_up(peer.fresh('odom')) < -0.95
    imu = peer.fresh('imu')
    assert imu.linear_acceleration.z == pytest.approx(-9.81, abs=0.3)

    assert peer.reset(ResetRobot.Request.POSE_STANDING).success
    peer.wait_sim(0.5)
    assert body_z_up(peer.fresh('odom')) > 0.99


def test_a_reset_withholds_sensors_so_agents_cut_their_episode(peer):
    peer.wait_sim(0.2)
    before = peer.counts.get('joints', 0)
    assert peer.reset(ResetRobot.Request.POSE_LYING).success
    reset_at = peer.sim_time()
    first = peer.fresh('joints')
    gap = seconds(first.header.stamp) - reset_at
    # No joint_states stamped within reset_quiet_time (0.2 s) of the reset: longer than
    # any agent's max_sensor_age, so every agent holds and starts a new episode. (The
    # peer's clock may lag the reset by a clock period or two.)
    assert gap >= 0.15, gap
    assert peer.counts['joints'] > before


def test_reset_random_and_unknown_poses(peer):
    assert peer.reset(ResetRobot.Request.POSE_RANDOM, seed=5).success
    response = peer.reset(7)
    assert not response.success and 'unknown pose 7' in response.message
    assert peer.reset(ResetRobot.Request.POSE_STANDING).success


def test_trajectory_from_another_process_moves_the_robot(sim_ros_env, peer):
    assert peer.reset(ResetRobot.Request.POSE_STANDING).success
    peer.wait_sim(0.5)
    before = np.array(peer.fresh('joints').position)
    hip_x, knee = (spot.JOINT_NAMES.index(n) for n in ('front_left_hip_x', 'rear_right_knee'))
    assert before[hip_x] < 0.05 and before[knee] < -1.6
    commander = subprocess.Popen(
        [
            sys.executable,
            str(HERE / 'trajectory_peer.py'),
            '30',
            'rear_right_knee=-1.3',
            'front_left_hip_x=0.3',
        ],
        env=sim_ros_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert commander.stdout.readline().strip() == 'ready'
        peer.spin_until(
            lambda: (
                peer.latest['joints'].position[hip_x] > 0.25
                and peer.latest['joints'].position[knee] > -1.45
            ),
            timeout=30,
            what='the commanded joints to move',
        )
    finally:
        commander.terminate()
        commander.wait(timeout=10)


BAD_TRAJECTORIES = [
    (trajectory(['front_left_knee', 'tail'], [-1.0, 0.0]), "unknown joint name(s) ['tail']"),
    (
        trajectory(['front_left_knee', 'front_left_hip_x'], [-1.0]),
        'point 0 has 1 positions for 2 joint names',
    ),
    (trajectory(['front_left_knee']), 'no points'),
    (
        trajectory(['front_left_knee', 'front_left_hip_y'], [-1.0, math.nan]),
        "non-finite positions for ['front_left_hip_y']",
    ),
]


def test_bad_trajectories_are_rejected_and_the_node_keeps_publishing(sim, peer):
    assert peer.reset(ResetRobot.Request.POSE_STANDING).success
    peer.wait_sim(0.2)
    targets_before = np.array(peer.fresh('joints').position)
    for msg, problem in BAD_TRAJECTORIES:
        mark = len(sim.lines)
        peer.commands.publish(msg)
        line = sim.wait_for_line('rejected joint trajectory', problem, after=mark)
        assert 'not applied' in line
    peer.wait_sim(0.5)
    np.testing.assert_allclose(peer.fresh('joints').position, targets_before, atol=0.05)

    # Out of range: clamped to the knee's upper limit, counted, applied.
    mark = len(sim.lines)
    peer.commands.publish(trajectory(['front_left_knee'], [1.0]))
    line = sim.wait_for_line('clamped joint target(s)', 'front_left_knee', after=mark)
    assert '1 clamped so far' in line
    knee = spot.JOINT_NAMES.index('front_left_knee')
    peer.spin_until(
        lambda: peer.latest['joints'].position[knee] > -0.5,
        timeout=10,
        what='the knee to straighten',
    )
    peer.wait_sim(0.5)
    assert peer.fresh('joints').position[knee] < spot.JOINT_UPPER[knee] + 0.03
    # Still alive and publishing.
    count = peer.counts['joints']
    peer.wait_sim(0.5)
    assert peer.counts['joints'] > count + 10
    assert sim.process.poll() is None


@pytest.mark.parametrize(
    'parameter, says',
    [
        ('initial_pose:=sitting', f'initial_pose must be one of {list(POSES)}'),
        # Out of the parameters' ranges: rclpy refuses them, naming the parameter.
        ('real_time_factor:=-1.0', 'real_time_factor out of range'),
        ('real_time_factor:=.nan', 'real_time_factor out of range'),
        ('real_time_factor:=.inf', 'real_time_factor out of range'),
        ('camera.width:=0', 'camera.width out of range'),
        ('imu_noise.gyro:=-0.1', 'imu_noise.gyro out of range'),
    ],
)
def test_invalid_parameters_stop_the_node_with_a_clear_error(sim_ros_env, parameter, says):
    result = subprocess.run(
        [sys.executable, '-m', 'spot_mujoco.sim_node', '--ros-args', '-p', parameter],
        env=sim_ros_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert 'cannot start' in result.stderr and says in result.stderr, result.stderr
    assert 'Traceback' not in result.stderr


def test_unusable_gl_disables_the_camera_not_the_node(sim_ros_env):
    env = dict(sim_ros_env, MUJOCO_GL='no-such-backend')
    process = SimProcess(env, 'camera.enabled:=true')
    try:
        line = process.wait_for_line('camera disabled', 'MUJOCO_GL=no-such-backend', timeout=60)
        assert 'MUJOCO_GL=egl' in line and 'osmesa' in line  # says what to do instead
        process.wait_for_line('Spot in MuJoCo', timeout=30)
    finally:
        process.stop()
    assert process.process.returncode == 0, '\n'.join(process.lines)


def test_shuts_down_cleanly_on_sigint(sim):
    sim.stop()
    assert sim.process.returncode == 0, '\n'.join(sim.lines)
    assert not any('Traceback' in line for line in sim.lines), '\n'.join(sim.lines)


# --- the node unpaced, in this process ------------------------------------------------------
def test_unpaced_node_serves_commands_between_chunks():
    """At real_time_factor 0 the stepping timer yields: commands and resets still get in."""
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=int(os.environ['ROS_DOMAIN_ID']))
    try:
        node = SimNode(
            context=context, parameter_overrides=[Parameter('real_time_factor', value=0.0)]
        )
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(node)
        start_wall, start_sim = time.monotonic(), node.sim.time
        while time.monotonic() - start_wall < 1.0:
            executor.spin_once(timeout_sec=0.1)
        # Faster than real time (about 80x on an idle two-core machine).
        assert (node.sim.time - start_sim) / (time.monotonic() - start_wall) > 1.0

        # Straight into the callbacks, as the executor would call them between chunks.
        node._on_trajectory(trajectory(['front_left_hip_x'], [0.3]))
        assert node.sim.position_targets[0] == 0.3
        node._on_trajectory(trajectory(['front_left_hip_x'], [math.inf]))
        assert node.rejected_trajectories == 1 and node.sim.position_targets[0] == 0.3
        response = node._on_reset(
            ResetRobot.Request(pose=ResetRobot.Request.POSE_ON_BACK), ResetRobot.Response()
        )
        assert response.success and node.sim.body_z_axis()[2] < -0.99

        # The executor gets a turn at least every STEP_BUDGET: a timer of this process runs.
        ticks = []
        node.create_timer(0.01, lambda: ticks.append(time.monotonic()))
        start_wall = time.monotonic()
        while time.monotonic() - start_wall < 0.5:
            executor.spin_once(timeout_sec=0.1)
        assert len(ticks) > 5  # none if the stepping never gave the executor a turn

        # The real-time factor can be changed while running; the node paces itself at once.
        for bad in (-1.0, math.nan, math.inf):
            refused = node.set_parameters([Parameter('real_time_factor', value=bad)])[0]
            assert not refused.successful and 'real_time_factor' in refused.reason
        assert node._rtf == 0.0  # a refused value changes nothing
        assert node.set_parameters([Parameter('real_time_factor', value=1.0)])[0].successful
        executor.spin_once(timeout_sec=0.1)
        start_wall, start_sim = time.monotonic(), node.sim.time
        while time.monotonic() - start_wall < 0.5:
            executor.spin_once(timeout_sec=0.1)
        assert node.sim.time - start_sim < 1.1 * (time.monotonic() - start_wall)
        executor.shutdown()
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)


def test_frame_prefix_names_the_robot_frames():
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        node = SimNode(
            context=context,
            namespace='r1',
            parameter_overrides=[
                Parameter('frame_prefix', value='r1/'),
                Parameter('real_time_factor', value=2.0),
            ],
        )
        listener = rclpy.create_node('frame_listener', namespace='r1', context=context)
        received = {}
        for kind, topic in [(Imu, contract.IMU), (Odometry, contract.ODOMETRY)]:
            listener.create_subscription(
                kind, topic, lambda msg, t=topic: received.update({t: msg}), contract.SENSOR_QOS
            )
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(node)
        executor.add_node(listener)
        end = time.monotonic() + 20
        while len(received) < 2 and time.monotonic() < end:
            executor.spin_once(timeout_sec=0.1)
        assert received[contract.IMU].header.frame_id == 'r1/body'
        assert received[contract.ODOMETRY].header.frame_id == 'r1/odom'
        assert received[contract.ODOMETRY].child_frame_id == 'r1/body'
        executor.shutdown()
        listener.destroy_node()
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)
