# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""webots_ros2_driver plugin: the Webots Spot behind the DreamStride robot contract.

webots_ros2_driver loads it from the URDF (``<plugin type="spot_webots.spot_plugin.
SpotPlugin">``), calls ``init(webots_node, properties)`` once and ``step()`` after every
Webots time step. ``webots_node.robot`` is the Webots Supervisor API of the robot. The
plugin runs its own rclpy node (webots_ros2's C++ node is not reachable from Python) in the
driver's namespace, and serves it once per step.

It publishes ``joint_states`` (contract names and convention; velocities by finite
differences of the position sensors; torques from the motors' torque feedback) and
ground-truth ``odometry`` (the robot node's pose and velocity through the Supervisor, twist
in the body frame), optionally ``camera/image`` and ``camera/camera_info`` (rgb8, small);
takes ``joint_trajectory_controller/joint_trajectory`` as motor position targets; offers
the ``reset`` service. ``imu`` comes from webots_ros2's Ros2IMU plugin, also in the URDF.
Names, signs and offsets are converted by :mod:`spot_webots.conversion`.

Plugin properties (URDF, all optional, strings as webots_ros2 passes them):

==================  ======================  =============================================
property            default                 meaning
==================  ======================  =============================================
namespace           the driver's            ROS namespace of the plugin's node; by default
                                            the ``__ns`` that WebotsController gave the
                                            driver process, so both nodes share it
publishRate         50                      Hz (simulated) of joint_states and odometry
initialPose         standing                standing, lying, on_back or random, applied at start
seed                0                       seed of the random resets; -1: from the OS
cameraEnabled       false                   publish camera/image and camera/camera_info
cameraName          left head camera        the PROTO camera to use
cameraWidth         64                      pixels of the published image
cameraHeight        64
cameraRate          20                      Hz (simulated)
zeroOffsetHipX      0                       contract angle (rad) at Webots' zero, per joint
zeroOffsetHipY      0.5961                  kind: defaults derived from the PROTO in
zeroOffsetKnee      -1.2886                 spot_webots.conversion
==================  ======================  =============================================
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from builtin_interfaces.msg import Time
from dreamstride_msgs.srv import ResetRobot
from nav_msgs.msg import Odometry
import numpy as np
import rclpy
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import CameraInfo, Image, JointState
from spot_description import contract, spot
from spot_description.contract import targets_from_trajectory
from spot_webots import conversion, image, poses
from spot_webots.plugin_config import PluginConfig, namespace_from_arguments, process_arguments
from trajectory_msgs.msg import JointTrajectory

NODE_NAME = 'spot_webots'
RESET_POSES = contract.reset_poses(ResetRobot.Request)
START_FAILURE_EXIT_CODE = 1  # the driver's exit code when the plugin cannot start


def stamp(seconds: float) -> Time:
    """Convert simulated time (s) to a message stamp."""
    sec, nanosec = divmod(round(seconds * 1e9), 1_000_000_000)
    return Time(sec=int(sec), nanosec=int(nanosec))


class SpotPlugin:
    """Converts the Webots Spot to the robot contract (see the module docstring)."""

    _ready = False  # set once init() has succeeded; step() does nothing before

    def __init__(self, exit_on_start_failure: bool = True) -> None:
        # webots_ros2_driver only prints an exception raised by init() (PythonPlugin::init
        # calls PyErr_Print) and keeps stepping the robot with a dead plugin: a run would
        # carry on without data. So inside the driver (which constructs the plugin without
        # arguments) a failed start ends the driver process, and the launch stops on its
        # exit. Tests that drive the plugin themselves pass False to get the exception.
        self.exit_on_start_failure = exit_on_start_failure

    # --- webots_ros2_driver's plugin interface -------------------------------------------
    def init(self, webots_node: Any, properties: dict[str, str]) -> None:
        """Set up devices, the ROS node and the initial pose (called once by the driver)."""
        try:
            self._start(webots_node, properties)
        except Exception as error:
            if not self.exit_on_start_failure:
                raise
            print(
                f'[spot_webots] the Spot plugin cannot start: {error}; stopping the '
                'webots_ros2 driver',
                file=sys.stderr,
                flush=True,
            )
            os._exit(START_FAILURE_EXIT_CODE)  # no cleanup: nothing of the plugin runs yet

    def _start(self, webots_node: Any, properties: dict[str, str]) -> None:
        """Read the properties, start the ROS node, set up the devices and the initial pose."""
        self.config = PluginConfig.from_properties(properties)
        self.robot = webots_node.robot
        self._start_node()
        log = self.node.get_logger()
        if self.config.unknown:
            log.warning(f'ignoring unknown plugin properties {list(self.config.unknown)}')

        self.conversion = conversion.JointConversion.for_kinds(self.config.zero_offsets)
        self.timestep = self.robot.getBasicTimeStep() / 1000.0  # s
        period_ms = int(round(self.robot.getBasicTimeStep()))
        self._setup_joints(period_ms)
        self.publish_every = self._steps_per_period(self.config.publish_rate, 'publishRate')
        self._reset_counters()
        self._setup_contract_interfaces()
        self._setup_supervisor()
        self._camera_every = 0
        if self.config.camera_enabled:
            self._setup_camera(period_ms)

        message = self._apply_initial_pose()
        self._ready = True
        log.info(
            f'Spot in Webots: time step {self.timestep * 1000:g} ms, joint_states and '
            f'odometry every {self.publish_every} steps, '
            f'zero offsets {self._offsets_text()}; {message}'
        )

    def _start_node(self) -> None:
        """Create the plugin's rclpy node and executor (and the context, if none is up yet)."""
        self._owns_context = not rclpy.ok()
        if self._owns_context:
            rclpy.init(args=[])
        namespace = self.config.namespace
        if namespace is None:
            namespace = namespace_from_arguments(process_arguments()) or ''
        # The node has no parameters to serve, and the executor waits on every entity once
        # per Webots step: without the six parameter services that wait costs a quarter less.
        self.node = rclpy.create_node(
            NODE_NAME, namespace=namespace, start_parameter_services=False
        )
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)

    def _reset_counters(self) -> None:
        """Start the step and rejection counters, the reading state and the reset generator."""
        self.steps = 0
        self.rejected_trajectories = 0
        self._rejection_log = contract.RejectionLog()
        self.clamped_targets = 0
        self._previous: tuple[float, np.ndarray] | None = None  # (time, contract positions)
        self._stale_readings = False  # the sensors still hold the step before a reset
        self._rng = np.random.default_rng(None if self.config.seed < 0 else self.config.seed)

    def _setup_contract_interfaces(self) -> None:
        """Create the contract's joint_states and odometry publishers, command and reset."""
        self._joint_pub = self.node.create_publisher(
            JointState, contract.JOINT_STATES, contract.SENSOR_QOS
        )
        self._odom_pub = self.node.create_publisher(
            Odometry, contract.ODOMETRY, contract.SENSOR_QOS
        )
        self.node.create_subscription(
            JointTrajectory, contract.JOINT_TRAJECTORY, self._on_trajectory, contract.COMMAND_QOS
        )
        self.node.create_service(ResetRobot, contract.RESET_SERVICE, self._on_reset)

    def _apply_initial_pose(self) -> str:
        """Put the robot in initialPose and return what was done, for the start message.

        Without a Supervisor (no robot node to move) the world's pose stays, and the motors'
        current targets become the held targets.
        """
        if self._body is not None:
            return self.reset(self.config.initial_pose)
        self.targets = self.conversion.to_contract([m.getTargetPosition() for m in self.motors])
        return 'initial pose left as the world has it (no Supervisor)'

    def step(self) -> None:
        """Serve ROS once, read the sensors, publish what falls due (once per Webots step)."""
        if not self._ready:
            return
        try:
            self.executor.spin_once(timeout_sec=0)
            self.steps += 1
            reading = None if self._stale_readings else self._read_joints()
            self._stale_readings = False
            if reading is not None and self.steps % self.publish_every == 0:
                self._publish_joint_states(*reading)
                self._publish_odometry()
            if self._camera_every and self.steps % self._camera_every == 0:
                self._publish_image()
        except Exception as error:  # noqa: BLE001 - a plugin error must not stop the simulation
            if not self.node.context.ok():
                return
            self.node.get_logger().error(f'step failed: {error!r}', throttle_duration_sec=5.0)

    def stop(self) -> None:
        """Release the node (called by the driver when the simulation ends)."""
        if not hasattr(self, 'node'):
            return
        self._ready = False
        self.executor.remove_node(self.node)
        self.executor.shutdown(timeout_sec=0)
        self.node.destroy_node()
        if self._owns_context:
            rclpy.try_shutdown()

    # --- set-up --------------------------------------------------------------------------
    def _setup_joints(self, period_ms: int) -> None:
        devices = {
            name: self.robot.getDevice(name)
            for name in (*conversion.MOTOR_NAMES, *conversion.SENSOR_NAMES)
        }
        missing = [name for name, device in devices.items() if device is None]
        if missing:
            raise RuntimeError(f'the robot lacks the Spot PROTO devices {missing}')
        self.motors = [devices[name] for name in conversion.MOTOR_NAMES]
        self.sensors = [devices[name] for name in conversion.SENSOR_NAMES]
        for sensor in self.sensors:
            sensor.enable(period_ms)
        self._torque_feedback = all(hasattr(m, 'enableTorqueFeedback') for m in self.motors)
        if self._torque_feedback:
            for motor in self.motors:
                motor.enableTorqueFeedback(period_ms)
        # The motors' own limits are what Webots enforces; expect the PROTO's.
        lower = np.array([m.getMinPosition() for m in self.motors], dtype=float)
        upper = np.array([m.getMaxPosition() for m in self.motors], dtype=float)
        unlimited = (lower == 0.0) & (upper == 0.0)  # Webots reports no limits as 0, 0
        lower[unlimited] = conversion.WEBOTS_LOWER[unlimited]
        upper[unlimited] = conversion.WEBOTS_UPPER[unlimited]
        if not (
            np.allclose(lower, conversion.WEBOTS_LOWER)
            and np.allclose(upper, conversion.WEBOTS_UPPER)
        ):
            self.node.get_logger().warning(
                'motor limits differ from the Spot PROTO this package was written for; '
                "clamping to the motors' own limits"
            )
        self.lower, self.upper = lower, upper

    def _setup_supervisor(self) -> None:
        """Find the robot node; without Supervisor rights there is no odometry and no reset."""
        self._body = None
        self._joint_nodes: list[Any] | None = None
        is_supervisor = getattr(self.robot, 'getSupervisor', lambda: True)()
        body = self.robot.getSelf() if is_supervisor and hasattr(self.robot, 'getSelf') else None
        if body is None:
            self.node.get_logger().error(
                "the robot is not a Supervisor (set 'supervisor TRUE' in the world): "
                'no odometry and no reset service'
            )
            return
        self._body = body
        self._translation = body.getField('translation')
        self._rotation = body.getField('rotation')
        self._spawn_xy = tuple(self._translation.getSFVec3f()[:2])

    def _setup_camera(self, period_ms: int) -> None:
        log = self.node.get_logger()
        name, width, height = (
            self.config.camera_name,
            self.config.camera_width,
            self.config.camera_height,
        )
        camera = self.robot.getDevice(name)
        if camera is None or not hasattr(camera, 'getImage'):
            log.error(f'camera disabled: the robot has no camera {name!r}')
            return
        source_w, source_h = camera.getWidth(), camera.getHeight()
        if width > source_w or height > source_h:
            log.error(
                f'camera disabled: {width}x{height} is larger than {name!r} '
                f'({source_w}x{source_h})'
            )
            return
        self._camera_every = self._steps_per_period(self.config.camera_rate, 'cameraRate')
        camera.enable(self._camera_every * period_ms)
        self._camera = camera
        self._camera_size = (source_w, source_h)
        crop = image.downsample_bgra(
            bytes(source_w * source_h * 4), source_w, source_h, width, height
        )[1]
        k = image.pinhole_matrix(camera.getFov(), source_w, source_h, crop)
        self._camera_info = CameraInfo(
            width=width,
            height=height,
            distortion_model='plumb_bob',
            d=[0.0] * 5,
            k=k,
            r=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            p=[k[0], 0.0, k[2], 0.0, 0.0, k[4], k[5], 0.0, 0.0, 0.0, 1.0, 0.0],
        )
        self._camera_info.header.frame_id = spot.HEAD_CAMERA_OPTICAL_FRAME
        self._image_pub = self.node.create_publisher(
            Image, contract.CAMERA_IMAGE, contract.SENSOR_QOS
        )
        self._info_pub = self.node.create_publisher(
            CameraInfo, contract.CAMERA_INFO, contract.SENSOR_QOS
        )
        log.info(
            f'camera {name!r} {source_w}x{source_h} published as {width}x{height} rgb8 '
            f'every {self._camera_every} steps'
        )

    def _steps_per_period(self, rate: float, name: str) -> int:
        steps = max(1, round(1.0 / (rate * self.timestep)))
        if abs(steps * self.timestep * rate - 1.0) > 1e-6:
            self.node.get_logger().warning(
                f'{name} {rate:g} Hz is not a whole number of {self.timestep * 1000:g} ms '
                f'steps; using {1.0 / (steps * self.timestep):g} Hz'
            )
        return steps

    def _offsets_text(self) -> str:
        offsets = self.config.zero_offsets
        return ', '.join(f'{kind} {offsets[kind]:.4f}' for kind in spot.LEG_JOINTS)

    # --- sensors -------------------------------------------------------------------------
    def _read_joints(self) -> tuple[float, np.ndarray, np.ndarray, np.ndarray] | None:
        """Time, positions, velocities and torques in the contract; None until sampled."""
        now = self.robot.getTime()
        webots = np.array([s.getValue() for s in self.sensors], dtype=float)
        if not np.all(np.isfinite(webots)):
            return None  # Webots reports NaN until a sensor's first sampling period is over
        positions = self.conversion.to_contract(webots)
        previous, self._previous = self._previous, (now, positions)
        if previous is None or now <= previous[0]:
            velocities = np.zeros_like(positions)
        else:
            velocities = (positions - previous[1]) / (now - previous[0])
        torques = np.empty(0)
        if self._torque_feedback:
            torques = self.conversion.rate_to_contract(
                [m.getTorqueFeedback() for m in self.motors]
            )
            if not np.all(np.isfinite(torques)):
                torques = np.empty(0)
        return now, positions, velocities, torques

    def _publish_joint_states(
        self, now: float, positions: np.ndarray, velocities: np.ndarray, torques: np.ndarray
    ) -> None:
        msg = JointState(
            name=list(spot.JOINT_NAMES),
            position=positions.tolist(),
            velocity=velocities.tolist(),
            effort=torques.tolist(),
        )
        msg.header.stamp = stamp(now)
        self._joint_pub.publish(msg)

    def body_state(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Ground truth: position (m, world), orientation (w, x, y, z), body-frame twist.

        The robot node's world pose (``getPosition``/``getOrientation``, or its translation
        and rotation fields on an API without them); its velocity, Webots' for the body
        solid in the world frame, rotated into the body frame.
        """
        if hasattr(self._body, 'getPosition') and hasattr(self._body, 'getOrientation'):
            position = np.array(self._body.getPosition(), dtype=float)
            rotation = np.array(self._body.getOrientation(), dtype=float).reshape(3, 3)
            quaternion = poses.matrix_to_quaternion(rotation)
        else:
            position = np.array(self._translation.getSFVec3f(), dtype=float)
            quaternion = poses.axis_angle_to_quaternion(self._rotation.getSFRotation())
            rotation = poses.quaternion_to_matrix(quaternion)
        velocity = np.array(self._body.getVelocity(), dtype=float)
        return position, quaternion, rotation.T @ velocity[:3], rotation.T @ velocity[3:]

    def _publish_odometry(self) -> None:
        if self._body is None:
            return
        position, quaternion, linear, angular = self.body_state()
        msg = Odometry(child_frame_id=contract.BODY_FRAME)
        msg.header.stamp = stamp(self.robot.getTime())
        msg.header.frame_id = contract.ODOM_FRAME
        p, o = msg.pose.pose.position, msg.pose.pose.orientation
        p.x, p.y, p.z = (float(v) for v in position)
        o.w, o.x, o.y, o.z = (float(v) for v in quaternion)
        t = msg.twist.twist
        t.linear.x, t.linear.y, t.linear.z = (float(v) for v in linear)
        t.angular.x, t.angular.y, t.angular.z = (float(v) for v in angular)
        self._odom_pub.publish(msg)

    def _publish_image(self) -> None:
        data = self._camera.getImage()
        if not data:
            return
        pixels, _ = image.downsample_bgra(
            bytes(data), *self._camera_size, self.config.camera_width, self.config.camera_height
        )
        msg = Image(
            height=pixels.shape[0],
            width=pixels.shape[1],
            encoding='rgb8',
            is_bigendian=0,
            step=3 * pixels.shape[1],
            data=pixels.tobytes(),
        )
        msg.header.stamp = stamp(self.robot.getTime())
        msg.header.frame_id = self._camera_info.header.frame_id
        self._camera_info.header.stamp = msg.header.stamp
        self._image_pub.publish(msg)
        self._info_pub.publish(self._camera_info)

    # --- commands ------------------------------------------------------------------------
    def command(self, targets: np.ndarray) -> list[str]:
        """Set motor targets from contract joint angles (JOINT_NAMES order).

        Returns the joints whose targets were clamped to the motors' limits.
        """
        webots, clamped = conversion.clamp(
            self.conversion.to_webots(targets), self.lower, self.upper
        )
        for motor, position in zip(self.motors, webots, strict=True):
            motor.setPosition(float(position))
        names = [n for n, c in zip(spot.JOINT_NAMES, clamped, strict=True) if c]
        self.clamped_targets += len(names)
        return names

    def _on_trajectory(self, msg: JointTrajectory) -> None:
        try:
            targets = targets_from_trajectory(msg)
        except ValueError as error:
            self.rejected_trajectories += 1
            if self._rejection_log.should_log(str(error), time.monotonic()):
                self.node.get_logger().error(
                    f'rejected joint trajectory, not applied: {error} '
                    f'({self.rejected_trajectories} rejected so far)'
                )
            return
        for name, value in targets.items():
            self.targets[spot.JOINT_NAMES.index(name)] = value
        clamped = self.command(self.targets)
        if clamped:
            self.node.get_logger().warning(
                f'clamped joint target(s) to the Webots motor limits: {", ".join(clamped)} '
                f'({self.clamped_targets} clamped so far)',
                throttle_duration_sec=1.0,
            )

    # --- resets --------------------------------------------------------------------------
    def reset(self, pose: str, seed: int | None = None) -> str:
        """Put the robot at its spawn point in ``pose``, at rest; return what was done.

        Through the Supervisor: the robot node's translation and rotation fields, each
        joint's angle (``setJointPosition``, immediate), the motor targets, and
        ``resetPhysics`` to stop all motion. Simulated time keeps running.
        """
        if self._body is None:
            raise RuntimeError('resets need Supervisor rights (supervisor TRUE in the world)')
        rng = self._rng if seed is None else np.random.default_rng(seed)
        target = poses.reset_pose(pose, self.conversion, rng)
        webots, _ = conversion.clamp(
            self.conversion.to_webots(target.joints), self.lower, self.upper
        )
        self._translation.setSFVec3f([*self._spawn_xy, target.height])
        self._rotation.setSFRotation([float(v) for v in target.rotation])
        joints_set = self._set_joint_angles(webots)
        self.targets = target.joints.copy()
        self.command(self.targets)
        self._body.resetPhysics()
        # Webots applies all this at its next step: until then the sensors show the old
        # pose, which must not become the first sample of a velocity estimate.
        self._previous = None
        self._stale_readings = True
        return f'reset to {pose} at t={self.robot.getTime():.3f} s' + (
            '' if joints_set else ' (joint angles left to the motors)'
        )

    def _set_joint_angles(self, webots_positions: np.ndarray) -> bool:
        """Set each joint's angle at once through the Supervisor; False where that fails."""
        if self._joint_nodes is None:
            self._joint_nodes = self._find_joint_nodes()
        if not self._joint_nodes:
            return False
        for joint, position in zip(self._joint_nodes, webots_positions, strict=True):
            joint.setJointPosition(float(position))
        return True

    def _find_joint_nodes(self) -> list[Any]:
        """Find the HingeJoint of every motor (the node whose ``device`` field holds it)."""
        joints = []
        for motor in self.motors:
            # Webots' Python controller library (R2023b on) defines
            # Supervisor.getFromDevice(tag) and hands the device's integer tag to the C API;
            # passing the Motor object itself is a type error there. Bindings without
            # tags take the device, as the reference manual writes it.
            tag = getattr(motor, '_tag', None)
            node = self.robot.getFromDevice(motor if tag is None else tag)
            joint = node.getParentNode() if node is not None else None
            if joint is None or not hasattr(joint, 'setJointPosition'):
                self.node.get_logger().warning(
                    'cannot set joint angles through the Supervisor; after a reset the '
                    'motors move the legs to the pose'
                )
                return []
            joints.append(joint)
        return joints

    def _on_reset(
        self, request: ResetRobot.Request, response: ResetRobot.Response
    ) -> ResetRobot.Response:
        pose = contract.requested_pose(RESET_POSES, request, response)
        if pose is not None and self._body is None:
            response.success = False
            response.message = 'no resets: the robot is not a Supervisor'
        elif pose is not None:
            try:
                response.message = self.reset(pose, seed=request.seed or None)
                response.success = True
            except Exception as error:  # noqa: BLE001 - answer the caller and keep running
                response.success = False
                response.message = f'reset to {pose} failed: {error!r}'
        if response.success:
            self.node.get_logger().info(response.message)
        else:
            self.node.get_logger().error(f'reset refused: {response.message}')
        return response
