# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""ROS 2 node that runs SpotSimulation behind the DreamStride robot contract.

Publishes joint_states, imu, odometry, /clock, the odom -> body transform on /tf (where
tf2_msgs is installed) and optionally camera/image and camera/camera_info; takes
joint_trajectory_controller/joint_trajectory as position servo targets; offers the reset
service. Simulated time is published on /clock, so the other nodes run with use_sim_time
and the simulation may run faster or slower than real time.

The node steps the physics from a timer on the steady (wall) clock, a chunk at a time, so
that the executor serves trajectories and resets between chunks at any speed: paced at
real_time_factor times the wall clock, or, at real_time_factor 0, as fast as it can.
"""

from __future__ import annotations

import math
import os
import time

from builtin_interfaces.msg import Time
from dreamstride_msgs.msg import AgentStatus, LearnerStatus
from dreamstride_msgs.srv import ResetRobot
from geometry_msgs.msg import TransformStamped
from nav_msgs.msg import Odometry
import numpy as np
from rcl_interfaces.msg import SetParametersResult
import rclpy
from rclpy.clock import Clock, ClockType
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import CameraInfo, Image, Imu, JointState
from spot_description import contract, mjcf, spot
from spot_description.contract import targets_from_trajectory
from spot_description.parameters import declare
from spot_description.spin_loop import run_node
from spot_mujoco.ratio_lock import RatioLock
from spot_mujoco.sim_parameters import PARAMETERS
from spot_mujoco.simulation import POSES, ImuNoise, RenderingUnavailableError, SpotSimulation
from trajectory_msgs.msg import JointTrajectory

try:  # tf2_msgs comes with ROS 2 from apt; PyPI has no wheel of it
    from tf2_msgs.msg import TFMessage
except ImportError:
    TFMessage = None

TF_TOPIC = '/tf'
# tf2_ros' dynamic broadcaster QoS, so TransformListeners and RViz accept it.
TF_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=100, reliability=ReliabilityPolicy.RELIABLE
)

RESET_POSES = contract.reset_poses(ResetRobot.Request)

# Longest stretch of wall time (s) one timer callback steps before the executor gets a turn.
STEP_BUDGET = 0.01
# When paced and this far behind (s, simulated), give up catching up and carry on from now.
MAX_LAG = 0.25
STATS_PERIOD = 60.0  # s, wall clock, between log lines with the achieved speed


def stamp(seconds: float) -> Time:
    """Convert simulated time (s) to a message stamp."""
    sec, nanosec = divmod(round(seconds * 1e9), 1_000_000_000)
    return Time(sec=int(sec), nanosec=int(nanosec))


class SimNode(Node):
    """Steps Spot in MuJoCo and speaks the robot contract."""

    def __init__(self, **kwargs) -> None:
        super().__init__('sim_node', **kwargs)
        p = self._declare_parameters()
        self._frame_prefix = p['frame_prefix']
        self.sim = SpotSimulation(
            timestep=p['timestep'],
            seed=None if p['seed'] < 0 else p['seed'],
            imu_noise=ImuNoise(
                p['imu_noise.orientation'], p['imu_noise.gyro'], p['imu_noise.accel']
            ),
            pose=p['initial_pose'],
        )
        dt = self.sim.timestep
        self.publish_every = self._steps_per_period(dt, p['publish_rate'], 'publish_rate')
        self.clock_every = self._steps_per_period(dt, p['clock_rate'], 'clock_rate')
        self.steps = 0  # physics steps since start
        self.rejected_trajectories = 0
        self._rejection_log = contract.RejectionLog()
        self.overruns = 0  # times the paced simulation fell MAX_LAG behind and skipped ahead

        sensor_qos = contract.SENSOR_QOS
        self._joint_pub = self.create_publisher(JointState, contract.JOINT_STATES, sensor_qos)
        self._imu_pub = self.create_publisher(Imu, contract.IMU, sensor_qos)
        self._odom_pub = self.create_publisher(Odometry, contract.ODOMETRY, sensor_qos)
        self._clock_pub = self.create_publisher(ClockMsg, contract.CLOCK, contract.CLOCK_QOS)
        self._tf_pub = None
        if p['publish_tf'] and TFMessage is None:
            self.get_logger().info(
                'odom -> body is not published on /tf: tf2_msgs is not installed (it comes '
                'with a ROS 2 install; PyPI has no wheel of it)'
            )
        elif p['publish_tf']:
            self._tf_pub = self.create_publisher(TFMessage, TF_TOPIC, TF_QOS)
        self._camera_every = 0
        if p['camera.enabled']:
            self._setup_camera(p)
        self.create_subscription(
            JointTrajectory, contract.JOINT_TRAJECTORY, self._on_trajectory, contract.COMMAND_QOS
        )
        self.create_service(ResetRobot, contract.RESET_SERVICE, self._on_reset)
        self._reset_quiet_time = p['reset_quiet_time']
        self._quiet_until = -1.0  # simulated time before which no sensors are published
        self._setup_ratio_lock(p)

        # Stepping runs on the steady clock: this node is the source of /clock and must not
        # wait for it, whatever use_sim_time says.
        self._wall = Clock(clock_type=ClockType.STEADY_TIME)
        self._rtf = p['real_time_factor']
        self._timer = self.create_timer(self._tick_period(), self._tick, clock=self._wall)
        self._anchor()
        self._stats = (time.monotonic(), self.sim.time)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._publish_sensors()
        self._publish_clock()
        self.get_logger().info(
            f'Spot in MuJoCo: timestep {dt} s, sensors every {self.publish_every} steps, '
            f'/clock every {self.clock_every} steps, real-time factor '
            f'{self._rtf or "unlimited"}, initial pose {p["initial_pose"]}'
        )

    # --- parameters ----------------------------------------------------------------------
    def _declare_parameters(self) -> dict:
        """Declare PARAMETERS, whose ranges rclpy enforces; refuse an unknown initial_pose."""
        p = declare(self, PARAMETERS)
        if p['initial_pose'] not in POSES:
            raise ValueError(
                f'initial_pose must be one of {list(POSES)}, got {p["initial_pose"]!r}'
            )
        return p

    def _steps_per_period(self, dt: float, rate: float, name: str) -> int:
        if not (rate > 0 and math.isfinite(rate)):
            raise ValueError(f'{name} must be positive, got {rate}')
        steps = max(1, round(1.0 / (rate * dt)))
        if abs(steps * dt * rate - 1.0) > 1e-6:
            self.get_logger().warning(
                f'{name} {rate} Hz is not a whole number of {dt} s steps; '
                f'using {1.0 / (steps * dt):g} Hz'
            )
        return steps

    def _on_set_parameters(self, parameters: list[Parameter]) -> SetParametersResult:
        # rclpy has already refused a value of another type or outside the range.
        for parameter in parameters:
            if parameter.name == 'real_time_factor':
                self._rtf = float(parameter.value)
                self._timer.timer_period_ns = int(self._tick_period() * 1e9)
                self._anchor()
        return SetParametersResult(successful=True)

    # --- camera --------------------------------------------------------------------------
    def _setup_camera(self, p: dict) -> None:
        backend = os.environ.get('MUJOCO_GL', '')
        name, width, height = p['camera.name'], p['camera.width'], p['camera.height']
        try:
            if name not in (mjcf.HEAD_CAMERA, mjcf.TRACK_CAMERA):
                raise ValueError(f'unknown camera {name!r}')
            self.sim.render(name, width, height)
        except (RenderingUnavailableError, ValueError) as error:
            self.get_logger().error(f'camera disabled: {error}')
            return
        self._camera = (name, width, height)
        self._camera_every = self._steps_per_period(
            self.sim.timestep, p['camera.rate'], 'camera.rate'
        )
        self._image_pub = self.create_publisher(Image, contract.CAMERA_IMAGE, contract.SENSOR_QOS)
        self._info_pub = self.create_publisher(
            CameraInfo, contract.CAMERA_INFO, contract.SENSOR_QOS
        )
        fovy = math.radians(self.sim.model.camera(name).fovy[0])
        focal = height / 2 / math.tan(fovy / 2)
        self._camera_info = CameraInfo(
            width=width,
            height=height,
            distortion_model='plumb_bob',
            d=[0.0] * 5,
            k=[focal, 0.0, width / 2, 0.0, focal, height / 2, 0.0, 0.0, 1.0],
            r=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            p=[focal, 0.0, width / 2, 0.0, 0.0, focal, height / 2, 0.0, 0.0, 0.0, 1.0, 0.0],
        )
        self._camera_info.header.frame_id = self._frame_prefix + (
            spot.HEAD_CAMERA_OPTICAL_FRAME if name == mjcf.HEAD_CAMERA else name
        )
        self.get_logger().info(
            f"camera '{name}' {width}x{height} rgb8 every "
            f'{self._camera_every} steps, rendered with MUJOCO_GL={backend}'
        )

    # --- the train-ratio lock ------------------------------------------------------------
    def _setup_ratio_lock(self, p: dict) -> None:
        self.ratio_lock = RatioLock(p['ratio_lock.steps_before'])
        learner, agents = (
            p['ratio_lock.learner_status'],
            [a for a in p['ratio_lock.agent_status'] if a],
        )
        if not learner or not agents:
            return
        # The learning system's status QoS: the latest value, kept for late joiners.
        qos = QoSProfile(
            depth=1,
            reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.TRANSIENT_LOCAL,
        )
        self.create_subscription(
            LearnerStatus, learner, lambda m: self.ratio_lock.set_budget(m.env_step_budget), qos
        )
        for topic in agents:
            self.create_subscription(
                AgentStatus, topic, lambda m, t=topic: self.ratio_lock.set_steps(t, m.steps), qos
            )
        self.get_logger().info(
            f'train-ratio lock: pausing while the steps of {agents} reach '
            f'the env_step_budget of {learner}'
        )

    def _locked(self) -> bool:
        if self.ratio_lock.may_step(time.monotonic()):
            return False
        self.get_logger().info(
            f'paused by the train-ratio lock: {self.ratio_lock.taken} steps taken, the '
            f'learner allows {self.ratio_lock.budget}',
            throttle_duration_sec=30.0,
        )
        self._anchor()  # paced time starts again from here when the lock opens
        if self._rtf == 0:
            time.sleep(0.005)  # the unpaced timer fires back to back: do not spin hot
        return True

    # --- stepping ------------------------------------------------------------------------
    def _tick_period(self) -> float:
        """Wall-clock period of the stepping timer: one /clock period, or 0 when unpaced."""
        return self.clock_every * self.sim.timestep / self._rtf if self._rtf > 0 else 0.0

    def _anchor(self) -> None:
        self._anchor_wall = time.monotonic()
        self._anchor_steps = self.steps

    def _tick(self) -> None:
        if self._locked():
            return
        start = time.monotonic()
        if self._rtf > 0:
            due = self._anchor_steps + int(
                (start - self._anchor_wall) * self._rtf / self.sim.timestep
            )
            if (due - self.steps) * self.sim.timestep > MAX_LAG:
                self.overruns += 1
                self.get_logger().warning(
                    f'simulation cannot keep up with real_time_factor {self._rtf}; '
                    f'skipping ahead ({self.overruns} times so far)',
                    throttle_duration_sec=10.0,
                )
                self._anchor()
                due = self.steps + self.clock_every
        else:
            due = None
        try:
            while due is None or self.steps < due:
                self._advance(due)
                if time.monotonic() - start > STEP_BUDGET:
                    break
        except Exception:
            if self.context.ok():
                raise
            return  # shut down (e.g. SIGINT/SIGTERM) while publishing: nothing to report
        self._log_stats()

    def _advance(self, due: int | None) -> None:
        """Step to the next publication (or ``due``) and publish what falls due there."""
        steps = self.clock_every - self.steps % self.clock_every
        steps = min(steps, self.publish_every - self.steps % self.publish_every)
        if self._camera_every:
            steps = min(steps, self._camera_every - self.steps % self._camera_every)
        if due is not None:
            steps = min(steps, due - self.steps)
        self.sim.step(steps)
        self.steps += steps
        if self.steps % self.publish_every == 0:
            self._publish_sensors()
        if self._camera_every and self.steps % self._camera_every == 0:
            self._publish_image()
        if self.steps % self.clock_every == 0:
            self._publish_clock()

    def _log_stats(self) -> None:
        now = time.monotonic()
        wall_start, sim_start = self._stats
        if now - wall_start >= STATS_PERIOD:
            rate = (self.sim.time - sim_start) / (now - wall_start)
            self.get_logger().info(
                f'simulated {self.sim.time:.1f} s; real-time factor {rate:.2f} over the last '
                f'{now - wall_start:.0f} s; {self.sim.clamped_targets} joint targets clamped, '
                f'{self.rejected_trajectories} trajectories rejected; paused by the ratio '
                f'lock {self.ratio_lock.pauses} times, {self.ratio_lock.paused_seconds:.0f} s'
            )
            self._stats = (now, self.sim.time)

    # --- publishing ----------------------------------------------------------------------
    def _publish_clock(self) -> None:
        self._clock_pub.publish(ClockMsg(clock=stamp(self.sim.time)))

    def _publish_sensors(self) -> None:
        if self.sim.time < self._quiet_until:
            return  # just reset: the silence tells agents to cut their episode
        now = stamp(self.sim.time)
        joints = self.sim.joints()
        joint_state = JointState(
            name=list(spot.JOINT_NAMES),
            position=joints.position,
            velocity=joints.velocity,
            effort=joints.effort,
        )
        joint_state.header.stamp = now
        self._joint_pub.publish(joint_state)

        reading = self.sim.imu()
        imu = Imu()
        imu.header.stamp = now
        imu.header.frame_id = self._frame_prefix + contract.BODY_FRAME
        _set_quaternion(imu.orientation, reading.orientation)
        _set_vector(imu.angular_velocity, reading.angular_velocity)
        _set_vector(imu.linear_acceleration, reading.linear_acceleration)
        noise = self.sim.imu_noise
        imu.orientation_covariance = _diagonal(noise.orientation)
        imu.angular_velocity_covariance = _diagonal(noise.gyro)
        imu.linear_acceleration_covariance = _diagonal(noise.accel)
        self._imu_pub.publish(imu)

        body = self.sim.body_state()
        odom = Odometry(child_frame_id=self._frame_prefix + contract.BODY_FRAME)
        odom.header.stamp = now
        odom.header.frame_id = self._frame_prefix + contract.ODOM_FRAME
        _set_vector(odom.pose.pose.position, body.position)
        _set_quaternion(odom.pose.pose.orientation, body.orientation)
        _set_vector(odom.twist.twist.linear, body.linear_velocity)
        _set_vector(odom.twist.twist.angular, body.angular_velocity)
        self._odom_pub.publish(odom)
        if self._tf_pub is not None:
            self._tf_pub.publish(TFMessage(transforms=[odom_transform(odom)]))

    def _publish_image(self) -> None:
        name, width, height = self._camera
        try:
            pixels = self.sim.render(name, width, height)
        except RenderingUnavailableError as error:
            self.get_logger().error(f'camera disabled: {error}')
            self._camera_every = 0
            return
        image = Image(
            height=height,
            width=width,
            encoding='rgb8',
            is_bigendian=0,
            step=3 * width,
            data=pixels.tobytes(),
        )
        image.header.stamp = stamp(self.sim.time)
        image.header.frame_id = self._camera_info.header.frame_id
        self._camera_info.header.stamp = image.header.stamp
        self._image_pub.publish(image)
        self._info_pub.publish(self._camera_info)

    # --- commands and resets -------------------------------------------------------------
    def _on_trajectory(self, msg: JointTrajectory) -> None:
        try:
            targets = targets_from_trajectory(msg)
        except ValueError as error:
            self.rejected_trajectories += 1
            self._log_rejection(str(error))
            return
        clamped = self.sim.set_position_targets(targets)
        if clamped:
            self.get_logger().warning(
                f'clamped joint target(s) to the joint limits: {", ".join(clamped)} '
                f'({self.sim.clamped_targets} clamped so far)',
                throttle_duration_sec=1.0,
            )

    def _log_rejection(self, error: str) -> None:
        """Log a rejected trajectory by the contract's rules (contract.RejectionLog)."""
        if not self._rejection_log.should_log(error, time.monotonic()):
            return
        self.get_logger().error(
            f'rejected joint trajectory, not applied: {error} '
            f'({self.rejected_trajectories} rejected so far)'
        )

    def _on_reset(
        self, request: ResetRobot.Request, response: ResetRobot.Response
    ) -> ResetRobot.Response:
        pose = contract.requested_pose(RESET_POSES, request, response)
        if pose is None:
            self.get_logger().error(f'reset refused: {response.message}')
            return response
        self.sim.reset(pose, seed=request.seed or None)
        self._quiet_until = self.sim.time + self._reset_quiet_time
        response.success = True
        response.message = f'reset to {pose} at t={self.sim.time:.3f} s'
        self.get_logger().info(response.message)
        return response


def odom_transform(odom: Odometry) -> TransformStamped:
    """Return the odom -> body transform that ``odom`` describes (same stamp and frames)."""
    transform = TransformStamped(header=odom.header, child_frame_id=odom.child_frame_id)
    position = odom.pose.pose.position
    transform.transform.translation.x = position.x
    transform.transform.translation.y = position.y
    transform.transform.translation.z = position.z
    transform.transform.rotation = odom.pose.pose.orientation
    return transform


def _set_vector(target, values: np.ndarray) -> None:
    target.x, target.y, target.z = (float(v) for v in values)


def _set_quaternion(target, wxyz: np.ndarray) -> None:
    target.w, target.x, target.y, target.z = (float(v) for v in wxyz)


def _diagonal(std: float) -> list[float]:
    variance = float(std) ** 2
    return [variance, 0.0, 0.0, 0.0, variance, 0.0, 0.0, 0.0, variance]


def main(args: list[str] | None = None) -> None:
    """Run the simulation node until shut down (``run_node``, as every node does)."""
    rclpy.init(args=args)
    node = executor = None
    try:
        node = SimNode()
        # rclpy.spin's kind of executor, built here so that a SIGINT while it is built
        # is handled like one during start-up.
        executor = SingleThreadedExecutor()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ValueError, ParameterException) as error:  # a parameter out of range
        rclpy.logging.get_logger('sim_node').fatal(f'cannot start: {error}')
        raise SystemExit(1) from None
    except Exception:
        # A SIGINT that lands while start-up finishes shuts the context down under
        # rclpy, which then raises 'context is not valid'. With the context down that
        # is a clean stop; with it still up the error is real.
        if rclpy.ok():
            raise
    finally:
        if executor is None:  # start-up stopped: run_node will not clean up
            if node is not None:
                node.destroy_node()
            rclpy.try_shutdown()
    if executor is not None:
        # run_node freezes start-up's objects (MuJoCo, rclpy) out of full GC passes,
        # which otherwise walk them all and stall the physics and /clock for tens of
        # milliseconds.
        run_node(node, executor)


if __name__ == '__main__':
    main()
