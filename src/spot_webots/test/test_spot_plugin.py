# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""SpotPlugin with real rclpy against a stand-in for the Webots Supervisor API.

The stand-in behaves like Webots where the plugin relies on it: motors clamp their targets
to their limits and move towards them at their maximum velocity each time step; position
sensors report NaN until enabled and sampled, then the joint angle of the last step;
``setJointPosition`` moves a joint at once; the robot node's fields and velocity are what
the Supervisor reports. Its device names are typed here from docs/spot_facts.md, independently
of spot_webots.conversion.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
import time
from types import SimpleNamespace

from dreamstride_msgs.srv import ResetRobot
from nav_msgs.msg import Odometry
import numpy as np
import pytest
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import CameraInfo, Image, JointState
from spot_description import contract, spot
from spot_webots import conversion, poses
from spot_webots.plugin_config import PluginConfig, namespace_from_arguments
from spot_webots.spot_plugin import START_FAILURE_EXIT_CODE, SpotPlugin, targets_from_trajectory
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

TIME_STEP_MS = 5.0
PROTO_LEGS = ('front left', 'front right', 'rear left', 'rear right')
PROTO_JOINTS = {
    'shoulder abduction': (-0.6, 0.5),
    'shoulder rotation': (-1.7, 1.7),
    'elbow': (-0.45, 1.6),
}
OFFSET = conversion.ZERO_OFFSET


# --- a stand-in for the Webots API --------------------------------------------------------
class FakeMotor:
    def __init__(self, name: str, lower: float, upper: float) -> None:
        self.name, self.lower, self.upper = name, lower, upper
        self.target = 0.0
        self.angle = 0.0  # the joint's true angle
        self.max_velocity = 10.0  # rad/s, Webots' default for a RotationalMotor
        self.commands: list[float] = []
        self.torque_period = 0

    def setPosition(self, position: float) -> None:  # noqa: N802 - Webots' API names
        self.commands.append(position)
        self.target = min(max(position, self.lower), self.upper)  # Webots clamps, warns

    def getTargetPosition(self) -> float:  # noqa: N802
        return self.target

    def getMinPosition(self) -> float:  # noqa: N802
        return self.lower

    def getMaxPosition(self) -> float:  # noqa: N802
        return self.upper

    def enableTorqueFeedback(self, period: int) -> None:  # noqa: N802
        self.torque_period = period

    def getTorqueFeedback(self) -> float:  # noqa: N802
        if not self.torque_period:
            return math.nan
        return float(np.clip(500.0 * (self.target - self.angle), -50.0, 50.0))

    def advance(self, dt: float) -> None:
        limit = self.max_velocity * dt
        self.angle += float(np.clip(self.target - self.angle, -limit, limit))


class FakePositionSensor:
    def __init__(self, motor: FakeMotor) -> None:
        self.motor, self.period, self.value = motor, 0, math.nan

    def enable(self, period: int) -> None:
        self.period = period

    def getValue(self) -> float:  # noqa: N802
        return self.value

    def sample(self) -> None:
        if self.period:
            self.value = self.motor.angle


class FakeCamera:
    def __init__(self, width: int = 160, height: int = 120) -> None:
        self.width, self.height, self.period, self.sampled = width, height, 0, False

    def enable(self, period: int) -> None:
        self.period = period

    def getWidth(self) -> int:  # noqa: N802
        return self.width

    def getHeight(self) -> int:  # noqa: N802
        return self.height

    def getFov(self) -> float:  # noqa: N802
        return 1.0

    def getImage(self) -> bytes | None:  # noqa: N802
        if not self.sampled:
            return None
        bgra = np.zeros((self.height, self.width, 4), dtype=np.uint8)
        bgra[..., 2] = 255  # red
        return bgra.tobytes()


class FakeField:
    def __init__(self, value: list[float]) -> None:
        self.value = list(value)

    def getSFVec3f(self) -> list[float]:  # noqa: N802
        return list(self.value)

    def setSFVec3f(self, value: list[float]) -> None:  # noqa: N802
        assert len(value) == 3
        self.value = [float(v) for v in value]

    def getSFRotation(self) -> list[float]:  # noqa: N802
        return list(self.value)

    def setSFRotation(self, value: list[float]) -> None:  # noqa: N802
        assert len(value) == 4
        self.value = [float(v) for v in value]


class FakeRobotNode:
    def __init__(self) -> None:
        self.fields = {
            'translation': FakeField([0.0, 0.0, 0.624]),
            'rotation': FakeField([0.0, 0.0, 1.0, 0.0]),
        }
        self.velocity = [0.0] * 6
        self.physics_resets = 0

    def getField(self, name: str) -> FakeField | None:  # noqa: N802
        return self.fields.get(name)

    def getPosition(self) -> list[float]:  # noqa: N802
        return self.fields['translation'].getSFVec3f()

    def getOrientation(self) -> list[float]:  # noqa: N802 - row-major 3x3, as Webots
        rotation = self.fields['rotation'].value
        return poses.axis_rotation(rotation[:3], rotation[3]).ravel().tolist()

    def getVelocity(self) -> list[float]:  # noqa: N802
        return list(self.velocity)

    def resetPhysics(self) -> None:  # noqa: N802
        self.physics_resets += 1
        self.velocity = [0.0] * 6


class FakeJoint:
    def __init__(self, motor: FakeMotor) -> None:
        self.motor = motor

    def setJointPosition(self, position: float, index: int = 1) -> None:  # noqa: N802
        assert index == 1
        self.motor.angle = position


class FakeDeviceNode:
    def __init__(self, joint: FakeJoint) -> None:
        self.joint = joint

    def getParentNode(self) -> FakeJoint:  # noqa: N802
        return self.joint


class FakeSpot:
    """The Spot PROTO's devices on a Supervisor robot, stepped by the test."""

    def __init__(self, supervisor: bool = True, missing: tuple[str, ...] = ()) -> None:
        self.supervisor, self.time = supervisor, 0.0
        self.devices: dict[str, object] = {}
        self.motors: dict[str, FakeMotor] = {}
        for leg, (joint, (lower, upper)) in itertools.product(PROTO_LEGS, PROTO_JOINTS.items()):
            motor = FakeMotor(f'{leg} {joint} motor', lower, upper)
            self.motors[motor.name] = motor
            self.devices[motor.name] = motor
            self.devices[f'{leg} {joint} sensor'] = FakePositionSensor(motor)
        for name in (
            'left head camera',
            'right head camera',
            'left flank camera',
            'right flank camera',
            'rear camera',
        ):
            self.devices[name] = FakeCamera()
        for name in missing:
            del self.devices[name]
        self.body = FakeRobotNode()
        self.joints = {name: FakeJoint(m) for name, m in self.motors.items()}

    def getDevice(self, name: str):  # noqa: N802
        return self.devices.get(name)  # Webots prints a warning and returns None

    def getBasicTimeStep(self) -> float:  # noqa: N802
        return TIME_STEP_MS

    def getTime(self) -> float:  # noqa: N802
        return self.time

    def getSupervisor(self) -> bool:  # noqa: N802
        return self.supervisor

    def getSelf(self) -> FakeRobotNode | None:  # noqa: N802
        return self.body if self.supervisor else None

    def getFromDevice(self, device: FakeMotor) -> FakeDeviceNode:  # noqa: N802
        return FakeDeviceNode(self.joints[device.name])

    def step(self, ms: float = TIME_STEP_MS) -> int:
        dt = ms / 1000.0
        self.time = round(self.time + dt, 9)
        for motor in self.motors.values():
            motor.advance(dt)
        translation = self.body.fields['translation']
        translation.value = [
            p + v * dt for p, v in zip(translation.value, self.body.velocity[:3], strict=True)
        ]
        for device in self.devices.values():
            if isinstance(device, FakePositionSensor):
                device.sample()
            elif isinstance(device, FakeCamera) and device.period:
                device.sampled = True
        return 0

    def motor(self, joint_name: str) -> FakeMotor:
        return self.motors[conversion.MOTOR_NAMES[spot.JOINT_NAMES.index(joint_name)]]


# --- the harness: a plugin, its fake robot, and a peer node in another context ------------
_namespaces = itertools.count()


@pytest.fixture(scope='module')
def peer_context():
    """rclpy's default context for the plugin (as in the driver), another one for the peer."""
    owns_default = not rclpy.ok()
    if owns_default:
        rclpy.init()
    context = Context()
    rclpy.init(context=context)
    yield context
    rclpy.shutdown(context=context)
    if owns_default:
        rclpy.shutdown()


class Harness:
    def __init__(self, context: Context, robot: FakeSpot | None = None, **properties: str) -> None:
        self.namespace = f'webots_test_{next(_namespaces)}'
        self.robot = robot or FakeSpot()
        self.plugin = SpotPlugin(exit_on_start_failure=False)
        self.plugin.init(
            SimpleNamespace(robot=self.robot), {'namespace': self.namespace, **properties}
        )
        self.peer = rclpy.create_node('peer', namespace=self.namespace, context=context)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.peer)
        self.received: dict[str, list] = {'joints': [], 'odom': [], 'image': [], 'info': []}
        for kind, msg_type, topic in (
            ('joints', JointState, contract.JOINT_STATES),
            ('odom', Odometry, contract.ODOMETRY),
            ('image', Image, contract.CAMERA_IMAGE),
            ('info', CameraInfo, contract.CAMERA_INFO),
        ):
            self.peer.create_subscription(
                msg_type, topic, self.received[kind].append, contract.SENSOR_QOS
            )
        self.trajectories = self.peer.create_publisher(
            JointTrajectory, contract.JOINT_TRAJECTORY, contract.COMMAND_QOS
        )
        self.reset_client = self.peer.create_client(ResetRobot, contract.RESET_SERVICE)
        self.reset_requests = 0  # reset requests sent, retries included

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            self.robot.step()
            self.plugin.step()
            self.executor.spin_once(timeout_sec=0)

    def run_until(self, condition, timeout: float = 10.0, what: str = '') -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f'timed out waiting for {what}'
            self.step()
            time.sleep(0.001)

    def send(self, names: list[str], *points: list[float]) -> None:
        self.run_until(
            lambda: self.trajectories.get_subscription_count() > 0, what='the plugin to subscribe'
        )
        before = self.plugin.rejected_trajectories + sum(
            len(m.commands) for m in self.robot.motors.values()
        )
        self.trajectories.publish(
            JointTrajectory(
                joint_names=names, points=[JointTrajectoryPoint(positions=p) for p in points]
            )
        )
        self.run_until(
            lambda: (
                self.plugin.rejected_trajectories
                + sum(len(m.commands) for m in self.robot.motors.values())
                > before
            ),
            what='the trajectory to arrive',
        )

    def reset(self, pose: int, seed: int = 0) -> ResetRobot.Response:
        self.run_until(self.reset_client.service_is_ready, what='the reset service')
        # service_is_ready says the server sees the client's requests; on a busy machine the
        # client's response reader may not be matched yet, and Fast DDS then drops the
        # response ('client will not receive response'). Ask again, as a caller would.
        for _ in range(5):
            self.reset_requests += 1  # a retried request may have been served all the same
            future = self.reset_client.call_async(ResetRobot.Request(pose=pose, seed=seed))
            try:
                self.run_until(future.done, timeout=2.0, what='the reset response')
                return future.result()
            except AssertionError:
                self.reset_client.remove_pending_request(future)
        raise AssertionError('no response from the reset service')

    def latest(self, kind: str):
        self.received[kind].clear()
        self.run_until(lambda: self.received[kind], what=kind)
        return self.received[kind][-1]

    def close(self) -> None:
        self.plugin.stop()
        self.executor.shutdown(timeout_sec=0)
        self.peer.destroy_node()


@pytest.fixture
def harness(peer_context):
    made: list[Harness] = []

    def make(**kwargs) -> Harness:
        made.append(Harness(peer_context, **kwargs))
        return made[-1]

    yield make
    for h in made:
        h.close()


def webots_targets(robot: FakeSpot) -> np.ndarray:
    return np.array([robot.motors[name].target for name in conversion.MOTOR_NAMES])


# --- tests ---------------------------------------------------------------------------------
def test_starts_standing_and_publishes_joint_states_in_the_contract(harness):
    h = harness()
    assert h.robot.body.physics_resets == 1
    np.testing.assert_allclose(
        webots_targets(h.robot), h.plugin.conversion.to_webots(spot.STANDING_POSE)
    )
    msg = h.latest('joints')
    assert list(msg.name) == list(spot.JOINT_NAMES)
    np.testing.assert_allclose(msg.position, spot.STANDING_POSE, atol=1e-9)
    np.testing.assert_allclose(msg.velocity, 0.0, atol=1e-9)
    assert len(msg.effort) == spot.NUM_JOINTS
    stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
    assert 0 < stamp < 10  # simulated time since the world started, not the wall clock


def test_joint_states_convert_the_sensor_readings(harness):
    h = harness()
    h.step(2)
    crouch = np.zeros(spot.NUM_JOINTS)  # Webots' zero: hip_y 0.596, knee -1.289 in the contract
    for motor, angle in zip(h.robot.motors.values(), crouch, strict=True):
        motor.angle = motor.target = angle
    h.step(2)
    msg = h.latest('joints')
    expected = np.array([OFFSET[kind] for _ in spot.LEGS for kind in spot.LEG_JOINTS])
    np.testing.assert_allclose(msg.position, expected, atol=1e-9)


def test_velocities_are_finite_differences_in_contract_sign(harness):
    h = harness()
    h.step(4)
    knee = h.robot.motor('front_right_knee')
    knee.max_velocity = 2.0
    knee.setPosition(knee.target + 1.0)  # the elbow turns at +2 rad/s: the knee at -2 rad/s
    h.step(3)
    msg = h.latest('joints')
    assert msg.velocity[spot.JOINT_NAMES.index('front_right_knee')] == pytest.approx(-2.0)
    assert msg.velocity[spot.JOINT_NAMES.index('front_right_hip_y')] == pytest.approx(0.0)


def test_trajectory_by_name_in_any_order_moves_the_right_motors_the_right_way(harness):
    h = harness()
    standing = webots_targets(h.robot)
    h.send(['rear_right_knee', 'front_left_hip_y'], [-2.1, 1.24])
    moved = webots_targets(h.robot) - standing
    fl_hip_y = spot.JOINT_NAMES.index('front_left_hip_y')
    rr_knee = spot.JOINT_NAMES.index('rear_right_knee')
    assert moved[fl_hip_y] == pytest.approx(-0.2)  # +hip_y: rotation motor negative
    assert moved[rr_knee] == pytest.approx(0.3)  # -knee: elbow motor positive
    assert np.count_nonzero(np.abs(moved) > 1e-12) == 2
    assert h.robot.motor('front_left_hip_y').target == pytest.approx(OFFSET['hip_y'] - 1.24)
    h.step(20)  # the motors get there; joint_states report it in the contract
    msg = h.latest('joints')
    assert msg.position[fl_hip_y] == pytest.approx(1.24)
    assert msg.position[rr_knee] == pytest.approx(-2.1)


def test_targets_are_clamped_to_the_webots_motor_limits(harness):
    h = harness()
    h.send(['front_left_hip_x', 'front_right_knee'], [0.9, -0.5])
    # contract hip_x 0.9 is abduction -0.9, below -0.6; knee -0.5 is elbow -0.789 < -0.45
    assert h.robot.motor('front_left_hip_x').commands[-1] == -0.6
    assert h.robot.motor('front_right_knee').commands[-1] == -0.45
    assert h.plugin.clamped_targets == 2


def test_bad_trajectories_are_rejected_with_one_line_and_stepping_goes_on(harness, capfd):
    h = harness()
    targets = webots_targets(h.robot)
    bad = [
        (['front_left_knee', 'tail'], [-1.0, 0.0]),
        (['front_left_knee'], [math.nan]),
        (['front_left_knee', 'front_left_hip_x'], [-1.0]),
        ([], []),
    ]
    for names, positions in bad:
        h.send(names, positions)
    h.send(['front_left_knee'])  # no points at all
    assert h.plugin.rejected_trajectories == 5
    np.testing.assert_array_equal(webots_targets(h.robot), targets)
    h.step(5)
    assert h.latest('joints').position  # still publishing
    h.send(['front_left_knee'], [-1.5])  # and still listening
    assert h.robot.motor('front_left_knee').target == pytest.approx(OFFSET['knee'] + 1.5)
    err = capfd.readouterr().err
    assert err.count('rejected joint trajectory') == 5
    assert "unknown joint name(s) ['tail']" in err and 'non-finite' in err


def test_a_flood_of_bad_trajectories_is_logged_within_bounds(harness, capfd):
    # The README's promise, as the MuJoCo backend keeps it: a repeated cause at most once
    # a second, and at most ten lines a second whatever the causes.
    h = harness()
    capfd.readouterr()
    start = time.monotonic()
    same = JointTrajectory(joint_names=['tail'], points=[JointTrajectoryPoint(positions=[0.0])])
    for _ in range(50):
        h.plugin._on_trajectory(same)
    seconds = time.monotonic() - start
    lines = capfd.readouterr().err.count('rejected joint trajectory')
    assert 1 <= lines <= 1 + int(seconds), (lines, seconds)
    time.sleep(1.0)  # a new window: 30 different causes
    start = time.monotonic()
    for i in range(30):
        h.plugin._on_trajectory(
            JointTrajectory(
                joint_names=[f'tail_{i}'], points=[JointTrajectoryPoint(positions=[0.0])]
            )
        )
    seconds = time.monotonic() - start
    lines = capfd.readouterr().err.count('rejected joint trajectory')
    assert 10 <= lines <= 10 * (1 + int(seconds)), (lines, seconds)
    assert h.plugin.rejected_trajectories == 80  # every one is counted, logged or not


def test_reset_on_back_through_a_service_call(harness):
    h = harness()
    h.robot.body.velocity = [0.3, 0.0, 0.0, 0.0, 0.0, 0.1]
    h.send(['front_left_knee'], [-1.0])
    response = h.reset(ResetRobot.Request.POSE_ON_BACK)
    assert response.success, response.message
    rotation = h.robot.body.fields['rotation'].value
    np.testing.assert_allclose(rotation, [1.0, 0.0, 0.0, math.pi])
    assert h.robot.body.fields['translation'].value[2] == pytest.approx(0.14)
    # One physics reset at start, one per reset served: a retry after a lost response
    # (see Harness.reset) may have been served too.
    assert h.robot.body.velocity == [0.0] * 6
    assert 2 <= h.robot.body.physics_resets <= 1 + h.reset_requests
    np.testing.assert_allclose(
        webots_targets(h.robot), h.plugin.conversion.to_webots(spot.STANDING_POSE)
    )
    h.step(2)
    odom = h.latest('odom')
    q = odom.pose.pose.orientation
    assert abs(q.x) == pytest.approx(1.0) and q.w == pytest.approx(0.0, abs=1e-9)
    assert odom.header.frame_id == contract.ODOM_FRAME
    assert odom.child_frame_id == contract.BODY_FRAME


def test_reset_to_lying_through_a_service_call(harness):
    # The pose the walking experiment starts from; Webots offered no lying reset before
    # the backends shared one reset-pose map.
    h = harness()
    response = h.reset(ResetRobot.Request.POSE_LYING)
    assert response.success, response.message
    np.testing.assert_allclose(h.robot.body.fields['rotation'].value, [0.0, 0.0, 1.0, 0.0])
    expected = poses.reset_pose('lying', h.plugin.conversion)
    assert h.robot.body.fields['translation'].value[2] == pytest.approx(expected.height)
    assert expected.height < 0.3  # on its belly, not standing (about 0.5 m)
    np.testing.assert_allclose(
        webots_targets(h.robot), h.plugin.conversion.to_webots(spot.LYING_POSE)
    )


def test_velocities_after_a_reset_start_from_rest(harness):
    h = harness()
    h.send(['front_left_knee', 'rear_left_hip_y'], [-2.4, 0.4])
    h.step(3)  # moving fast
    h.reset(ResetRobot.Request.POSE_STANDING)
    h.received['joints'].clear()
    h.run_until(lambda: h.received['joints'], what='joint_states after the reset')
    msg = h.received['joints'][0]
    np.testing.assert_allclose(msg.position, spot.STANDING_POSE, atol=1e-9)
    np.testing.assert_allclose(msg.velocity, 0.0, atol=1e-9)


def test_random_resets_repeat_with_a_seed_and_unknown_poses_are_refused(harness):
    h = harness()
    first = h.reset(ResetRobot.Request.POSE_RANDOM, seed=7)
    rotation = list(h.robot.body.fields['rotation'].value)
    angles = [m.angle for m in h.robot.motors.values()]
    h.reset(ResetRobot.Request.POSE_STANDING)
    second = h.reset(ResetRobot.Request.POSE_RANDOM, seed=7)
    assert first.success and second.success
    assert h.robot.body.fields['rotation'].value == rotation
    assert [m.angle for m in h.robot.motors.values()] == angles
    refused = h.reset(9)
    assert not refused.success and 'unknown pose 9' in refused.message


def test_odometry_twist_is_in_the_body_frame(harness):
    h = harness()
    h.robot.body.fields['rotation'].value = [0.0, 0.0, 1.0, math.pi / 2]  # facing +y
    h.robot.body.velocity = [0.0, 0.5, 0.0, 0.0, 0.0, 0.2]  # world frame: along +y
    odom = h.latest('odom')
    t = odom.twist.twist
    assert (t.linear.x, t.linear.y, t.linear.z) == pytest.approx((0.5, 0.0, 0.0), abs=1e-9)
    assert (t.angular.x, t.angular.y, t.angular.z) == pytest.approx((0.0, 0.0, 0.2))
    assert odom.pose.pose.position.y > 0  # the fake body moved


def test_camera_publishes_small_rgb8_images(harness):
    h = harness(cameraEnabled='true', cameraWidth='32', cameraHeight='24')
    msg = h.latest('image')
    assert (msg.width, msg.height, msg.encoding, msg.step) == (32, 24, 'rgb8', 96)
    assert bytes(msg.data[:3]) == bytes([255, 0, 0])  # red stays red: BGRA to RGB
    info = h.latest('info')
    assert (info.width, info.height) == (32, 24)
    assert info.header.frame_id == spot.HEAD_CAMERA_OPTICAL_FRAME


def test_without_supervisor_rights_there_is_no_reset_and_no_odometry(harness):
    h = harness(robot=FakeSpot(supervisor=False))
    assert h.latest('joints').name
    response = h.reset(ResetRobot.Request.POSE_STANDING)
    assert not response.success and 'Supervisor' in response.message
    assert not h.received['odom']


def test_a_failing_read_is_logged_and_stepping_goes_on(harness, capfd):
    h = harness()
    sensor = h.robot.devices['front left elbow sensor']
    sensor.getValue = lambda: (_ for _ in ()).throw(RuntimeError('device gone'))
    h.step(3)
    del sensor.getValue
    h.step(1)
    assert h.latest('joints').position
    assert 'device gone' in capfd.readouterr().err


class TagSpot(FakeSpot):
    """Webots' ctypes controller API, whose getFromDevice takes a device tag, not a device."""

    def __init__(self) -> None:
        super().__init__()
        self.from_device_args: list = []
        self.by_tag = {}
        for tag, motor in enumerate(self.motors.values(), start=1):
            motor._tag = tag
            self.by_tag[tag] = motor

    def getFromDevice(self, tag: int) -> FakeDeviceNode:  # noqa: N802
        self.from_device_args.append(tag)
        if not isinstance(tag, int):
            raise TypeError("Don't know how to convert parameter 1")
        return FakeDeviceNode(self.joints[self.by_tag[tag].name])


class JointlessSpot(FakeSpot):
    def getFromDevice(self, device: FakeMotor) -> None:  # noqa: N802
        return None


def test_joint_angles_are_set_with_either_getfromdevice_flavour(harness):
    h = harness(robot=TagSpot())
    h.step(2)
    np.testing.assert_allclose(h.latest('joints').position, spot.STANDING_POSE, atol=1e-9)
    # Webots' Python API takes the device's tag: it is never handed the Motor object.
    assert h.robot.from_device_args
    assert all(isinstance(arg, int) for arg in h.robot.from_device_args)


def test_without_joint_nodes_a_reset_leaves_the_legs_to_the_motors(harness):
    h = harness(robot=JointlessSpot())
    response = h.reset(ResetRobot.Request.POSE_STANDING)
    assert response.success and 'left to the motors' in response.message
    np.testing.assert_allclose(
        webots_targets(h.robot), h.plugin.conversion.to_webots(spot.STANDING_POSE)
    )


def test_missing_devices_stop_the_start_with_their_names(peer_context):
    plugin = SpotPlugin(exit_on_start_failure=False)
    robot = FakeSpot(missing=('rear right elbow motor',))
    with pytest.raises(RuntimeError, match='rear right elbow motor'):
        plugin.init(SimpleNamespace(robot=robot), {'namespace': 'webots_test_missing'})
    plugin.step()  # a plugin whose init failed does nothing, quietly
    plugin.stop()


def test_inside_the_driver_a_failed_start_ends_the_driver_process(peer_context):
    # webots_ros2_driver only prints an exception from init(); the process must end.
    script = (
        'from types import SimpleNamespace\n'
        'from spot_webots.spot_plugin import SpotPlugin\n'
        "SpotPlugin().init(SimpleNamespace(robot=None), {'publishRate': '0'})\n"
        "print('carried on')\n"
    )
    out = subprocess.run(
        [sys.executable, '-c', script], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == START_FAILURE_EXIT_CODE, out
    assert 'carried on' not in out.stdout
    assert 'the Spot plugin cannot start' in out.stderr and 'publishRate' in out.stderr


# --- pieces without a ROS graph ------------------------------------------------------------
def test_plugin_properties_are_parsed_and_checked():
    config = PluginConfig.from_properties(
        {
            'publishRate': '100',
            'initialPose': 'on_back',
            'seed': '-1',
            'cameraEnabled': 'true',
            'zeroOffsetKnee': '-1.3',
            'typo': 'x',
        }
    )
    assert config.publish_rate == 100.0 and config.initial_pose == 'on_back'
    assert config.seed == -1 and config.camera_enabled
    assert config.zero_offsets == {**OFFSET, 'knee': -1.3}
    assert config.unknown == ('typo',)
    assert PluginConfig.from_properties({}).zero_offsets == OFFSET
    for bad, problem in (
        ({'publishRate': '0'}, 'publishRate'),
        ({'publishRate': 'fast'}, 'publishRate'),
        ({'initialPose': 'sitting'}, 'initialPose'),
        ({'cameraEnabled': 'maybe'}, 'cameraEnabled'),
    ):
        with pytest.raises(ValueError, match=problem):
            PluginConfig.from_properties(bad)


def test_namespace_comes_from_the_drivers_ros_arguments():
    argv = [
        '/opt/ros/lib/webots_ros2_driver/driver',
        '--ros-args',
        '-r',
        '__ns:=/spot',
        '-p',
        'robot_description:=/x/spot_webots.urdf',
    ]
    assert namespace_from_arguments(argv) == '/spot'
    assert namespace_from_arguments(['driver']) is None
    assert namespace_from_arguments(['driver', '-r', '__ns:=/not_ros_args']) is None


def test_trajectory_message_check():
    msg = JointTrajectory(
        joint_names=['rear_right_knee', 'front_left_hip_x'],
        points=[
            JointTrajectoryPoint(positions=[-1.0, 0.1]),
            JointTrajectoryPoint(positions=[-1.2, 0.2]),
        ],
    )
    assert targets_from_trajectory(msg) == {'rear_right_knee': -1.2, 'front_left_hip_x': 0.2}
    with pytest.raises(ValueError, match='repeated'):
        targets_from_trajectory(
            JointTrajectory(
                joint_names=['front_left_knee'] * 2,
                points=[JointTrajectoryPoint(positions=[-1.0, -1.0])],
            )
        )
