# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The robot contract: topic and service names and QoS that every backend provides.

Names are relative, resolved in the robot namespace (default ``spot``). See
docs/robot_contract.md at the repository root. Imported by the backends,
the agent and the bringup; nothing else spells these names (tests/test_facts.py).

The names import without rclpy, so ROS-free cores (the agent's tick, the replay store)
take them from here too; the QoS profiles are built from rclpy on first use.
"""

from __future__ import annotations

import math
from typing import Any

from spot_description.spot import JOINT_NAMES, MAX_JOINT_NAME, START_POSES

DEFAULT_NAMESPACE = 'spot'

# backend -> agent
JOINT_STATES = 'joint_states'
IMU = 'imu'
ODOMETRY = 'odometry'
CAMERA_IMAGE = 'camera/image'
CAMERA_INFO = 'camera/camera_info'
# agent -> backend (ros2_control JointTrajectoryController's topic)
JOINT_TRAJECTORY = 'joint_trajectory_controller/joint_trajectory'
# user or navigation -> agent: the commanded body velocity (geometry_msgs/Twist)
CMD_VEL = 'cmd_vel'
# agent/user -> simulation backend
RESET_SERVICE = 'reset'
# simulation backend -> all: simulated time (rosgraph_msgs/Clock), absolute, for use_sim_time
CLOCK = '/clock'


def reset_poses(request_type: Any) -> dict[int, str]:
    """Map the reset service's pose constants to the start poses they name.

    ``request_type`` is dreamstride_msgs' ``ResetRobot.Request`` (this package does not
    depend on the interfaces, so the backends pass it in). Its ``POSE_<NAME>``
    constants name the poses of ``spot.START_POSES``; every backend offers them all.
    """
    missing = [name for name in START_POSES if not hasattr(request_type, f'POSE_{name.upper()}')]
    if missing:
        raise ValueError(f'{request_type.__name__} has no constant for the poses {missing}')
    return {getattr(request_type, f'POSE_{name.upper()}'): name for name in START_POSES}


def requested_pose(poses: dict[int, str], request: Any, response: Any) -> str | None:
    """Return the start pose a reset ``request`` names (``poses``: :func:`reset_poses`).

    An unknown pose constant is refused: ``response`` (a ``ResetRobot.Response``) is
    filled with the refusal, which every backend words alike, and None returned.
    """
    pose = poses.get(request.pose)
    if pose is None:
        response.success = False
        response.message = f'unknown pose {request.pose}; expected one of {sorted(poses)}'
    return pose


# Body frame of the IMU and of the odometry twist; odometry's fixed frame.
BODY_FRAME = 'body'
ODOM_FRAME = 'odom'

QOS_PROFILES = ('SENSOR_QOS', 'COMMAND_QOS', 'CMD_VEL_QOS', 'CLOCK_QOS')


def _qos_profiles() -> dict[str, Any]:
    from rclpy.qos import (
        HistoryPolicy,
        QoSProfile,
        ReliabilityPolicy,
        qos_profile_sensor_data,
    )

    return {
        # Sensor streams: best effort, keep last few (rclpy's sensor-data profile).
        'SENSOR_QOS': qos_profile_sensor_data,
        # Commands: reliable, keep last 1, so a stale command is never replayed late.
        'COMMAND_QOS': QoSProfile(
            history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.RELIABLE
        ),
        # Velocity commands: only the newest matters; best effort, so it matches every
        # publisher (teleop_twist_keyboard and Nav2 publish reliable, some joystick
        # drivers best effort).
        'CMD_VEL_QOS': QoSProfile(
            history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.BEST_EFFORT
        ),
        # Clock: keep last 1; reliable, so both reliable and best-effort subscriptions
        # (rclpy's and rclcpp's time sources use best effort) match, and a slow
        # subscriber never blocks it.
        'CLOCK_QOS': QoSProfile(
            history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.RELIABLE
        ),
    }


def __getattr__(name: str) -> Any:
    """Build the QoS profiles on first use (PEP 562), so the names need no rclpy."""
    if name in QOS_PROFILES:
        globals().update(_qos_profiles())
        return globals()[name]
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


# Bounds on a JointTrajectory a backend accepts, checked before anything else: the
# command topic is an input from the network, and checking a message must stay cheap
# whatever it holds (12 joints and one point is what the agent sends).
MAX_TRAJECTORY_JOINTS = 64
MAX_TRAJECTORY_POINTS = 1000


def _few(names, limit: int = 3) -> str:
    """Render some names for an error message, in bounded length."""
    names = sorted(names)
    shown = [n[:40] + ('...' if len(n) > 40 else '') for n in names[:limit]]
    return f'{shown}' + (f' and {len(names) - limit} more' if len(names) > limit else '')


def targets_from_trajectory(msg) -> dict[str, float]:
    """Position targets by joint name from a JointTrajectory: its last point's positions.

    Every backend applies commands by these rules (trajectory_msgs/JointTrajectory on
    JOINT_TRAJECTORY).

    Raises ValueError naming the problem (in a message of bounded length) for a message
    that cannot be applied: no joint names or points, more joints, points or longer
    names than the bounds above, unknown or repeated joint names, a point whose
    positions do not match the joint names, non-finite positions.
    """
    names = list(msg.joint_names)
    if not names:
        raise ValueError('no joint names')
    if len(names) > MAX_TRAJECTORY_JOINTS:
        raise ValueError(f'{len(names)} joint names (at most {MAX_TRAJECTORY_JOINTS})')
    if not msg.points:
        raise ValueError('no points')
    if len(msg.points) > MAX_TRAJECTORY_POINTS:
        raise ValueError(f'{len(msg.points)} points (at most {MAX_TRAJECTORY_POINTS})')
    if any(len(n) > MAX_JOINT_NAME for n in names):
        raise ValueError(f'a joint name longer than {MAX_JOINT_NAME} characters')
    unknown = set(names) - _KNOWN_JOINTS
    if unknown:
        raise ValueError(f'unknown joint name(s) {_few(unknown)}')
    if len(set(names)) != len(names):
        seen: set[str] = set()
        repeated = {n for n in names if n in seen or seen.add(n)}
        raise ValueError(f'repeated joint name(s) {_few(repeated)}')
    for i, point in enumerate(msg.points):
        if len(point.positions) != len(names):
            raise ValueError(
                f'point {i} has {len(point.positions)} positions for {len(names)} joint names'
            )
        bad = [n for n, p in zip(names, point.positions, strict=True) if not math.isfinite(p)]
        if bad:
            raise ValueError(f'point {i} has non-finite positions for {_few(bad)}')
    return dict(zip(names, (float(p) for p in msg.points[-1].positions), strict=True))


_KNOWN_JOINTS = frozenset(JOINT_NAMES)


class RejectionLog:
    """When a backend logs a rejected command, so that a flood cannot flood the log.

    Each new cause at once, the same cause again at most once a second, and at most
    ``per_second`` lines in any one-second window whatever the causes. Every backend
    logs its rejections by these rules; it counts every rejection, logged or not.
    """

    def __init__(self, per_second: int = 10) -> None:
        self.per_second = per_second
        self._last: tuple[str, float] | None = None  # (cause, monotonic s) last logged
        self._window = (-math.inf, 0)  # (start, lines logged in it)

    def should_log(self, cause: str, now: float) -> bool:
        """Return whether to log a rejection for ``cause`` at ``now`` (monotonic s)."""
        start, lines = self._window
        if now - start >= 1.0:
            start, lines = now, 0
        repeated = self._last is not None and self._last[0] == cause and now - self._last[1] < 1.0
        if repeated or lines >= self.per_second:
            self._window = (start, lines)
            return False
        self._window = (start, lines + 1)
        self._last = (cause, now)
        return True
