"""The robot contract: topic and service names and QoS that every backend provides.

Names are relative, resolved in the robot namespace (default ``spot``). See
docs/robot_contract.md at the repository root. Imported by the backends,
the agent and the bringup; nothing else spells these names.
"""

from __future__ import annotations

import math

from rclpy.qos import (
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_sensor_data,
)
from spot_description.spot import JOINT_NAMES

DEFAULT_NAMESPACE = 'spot'

# backend -> agent
JOINT_STATES = 'joint_states'
IMU = 'imu'
ODOMETRY = 'odometry'
CAMERA_IMAGE = 'camera/image'
CAMERA_INFO = 'camera/camera_info'
# agent -> backend (ros2_control JointTrajectoryController's topic)
JOINT_TRAJECTORY = 'joint_trajectory_controller/joint_trajectory'
# agent/user -> simulation backend
RESET_SERVICE = 'reset'
# simulation backend -> all: simulated time (rosgraph_msgs/Clock), absolute, for use_sim_time
CLOCK = '/clock'

# Body frame of the IMU and of the odometry twist; odometry's fixed frame.
BODY_FRAME = 'body'
ODOM_FRAME = 'odom'

# Sensor streams: best effort, keep last few (rclpy's sensor-data profile).
SENSOR_QOS: QoSProfile = qos_profile_sensor_data

# Commands: reliable, keep last 1, so a stale command is never replayed late.
COMMAND_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.RELIABLE)

# Clock: keep last 1; reliable, so both reliable and best-effort subscriptions (rclpy's and
# rclcpp's time sources use best effort) match, and a slow subscriber never blocks it.
CLOCK_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.RELIABLE)


def targets_from_trajectory(msg) -> dict[str, float]:
    """Position targets by joint name from a JointTrajectory: its last point's positions.

    Every backend applies commands by these rules (trajectory_msgs/JointTrajectory on
    JOINT_TRAJECTORY).

    Raises ValueError naming the problem for a message that cannot be applied: no joint
    names or points, unknown or repeated joint names, a point whose positions do not match
    the joint names, non-finite positions.
    """
    names = list(msg.joint_names)
    if not names:
        raise ValueError('no joint names')
    if not msg.points:
        raise ValueError('no points')
    unknown = sorted(set(names) - set(JOINT_NAMES))
    if unknown:
        raise ValueError(f'unknown joint name(s) {unknown}')
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f'repeated joint name(s) {repeated}')
    for i, point in enumerate(msg.points):
        if len(point.positions) != len(names):
            raise ValueError(f'point {i} has {len(point.positions)} positions '
                             f'for {len(names)} joint names')
        bad = [n for n, p in zip(names, point.positions, strict=True) if not math.isfinite(p)]
        if bad:
            raise ValueError(f'point {i} has non-finite positions for {bad}')
    return dict(zip(names, (float(p) for p in msg.points[-1].positions), strict=True))
