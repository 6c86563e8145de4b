"""The robot contract: topic and service names and QoS that every backend provides.

Names are relative, resolved in the robot namespace (default ``spot``). See
../shared/design/ARCHITECTURE.md, "The robot contract". Imported by the backends,
the agent and the bringup; nothing else spells these names.
"""

from __future__ import annotations

from rclpy.qos import (
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_sensor_data,
)

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
