# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""A stand-in for spot_ros2 + spot_ros2_control, as a real-robot user starts them.

    python tests/spot_ros2_standin.py --ros-args -r __ns:=/spot -p spot_name:=spot -p arm:=true

It publishes what spot_ros2's sources publish, with their names, QoS and frames (all
relative to the namespace, which spot_ros2 sets to spot_name):

- ``low_level/joint_states`` (sensor_msgs/JointState): spot_ros2_control's
  joint_state_broadcaster, remapped there by spot_ros2_control.launch.py; rclcpp's
  SystemDefaultsQoS (reliable, volatile, depth 10). Joint names carry the
  ``<spot_name>/`` prefix when spot_name is set; a Spot with an arm adds its 7 joints
  arm_sh0, arm_sh1, arm_el0, arm_el1, arm_wr0, arm_wr1, arm_f1x.
- ``joint_states``: spot_driver's state publisher (50 Hz, reliable, transient local,
  depth 1), same names.
- ``imu_sensor_broadcaster/imu`` (sensor_msgs/Imu): SpotIMUBroadcaster, SystemDefaultsQoS,
  frame ``<prefix>imu_sensor_frame`` (the broadcaster's default frame_id).
- ``odometry`` (nav_msgs/Odometry) and ``odometry/twist``
  (geometry_msgs/TwistWithCovarianceStamped): spot_driver's state publisher, reliable,
  transient local, depth 1; frame ``<prefix>odom``, child ``<prefix>body``. The twist is
  spot_driver's velocity_of_body_in_odom: expressed in the odom frame, not the body's.

The robot stands at spot_description's standing pose, heading ``yaw_deg`` from odom's x
axis (90 by default) and moving ``speed`` m/s along its own body x axis, so in odom the
velocity is (speed cos yaw, speed sin yaw, 0).

It subscribes to ``joint_trajectory_controller/joint_trajectory`` as ros2_controllers'
JointTrajectoryController configured by config/spot_ros2_controllers.yaml does
(SystemDefaultsQoS) and judges each message the way that controller does: every joint
name must be one of its 12 (prefixed) leg joints, all 12 present, one position per name.
It reports counts as JSON on ``standin/status`` (std_msgs/String, transient local).
"""

from __future__ import annotations

import json
import math

from geometry_msgs.msg import TwistWithCovarianceStamped
from nav_msgs.msg import Odometry
import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Imu, JointState
from spot_description.spot import ARM_JOINT_NAMES, JOINT_NAMES, STANDING_POSE
from std_msgs.msg import String
from trajectory_msgs.msg import JointTrajectory

ARM_STOWED = (0.0, -3.1, 3.1, 0.0, 0.0, 0.0, 0.0)  # about the stowed arm (rad)

# rclcpp::SystemDefaultsQoS: what ros2_controllers' broadcasters and controllers use.
SYSTEM_DEFAULT_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=10,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.VOLATILE,
)
# spot_driver's makePublisherQoS(1): reliable, transient local, depth 1.
DRIVER_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)
STATUS_QOS = DRIVER_QOS


class SpotRos2Standin(Node):
    """Publishes spot_ros2's robot state; counts and judges trajectory commands."""

    def __init__(self) -> None:
        super().__init__('spot_ros2_standin')
        spot_name = self.declare_parameter('spot_name', '').value
        self.arm = bool(self.declare_parameter('arm', False).value)
        self.yaw = math.radians(float(self.declare_parameter('yaw_deg', 90.0).value))
        self.speed = float(self.declare_parameter('speed', 0.3).value)
        rate = float(self.declare_parameter('joint_rate', 100.0).value)
        self.prefix = f'{spot_name}/' if spot_name else ''
        self.leg_names = [self.prefix + n for n in JOINT_NAMES]
        self.names = self.leg_names + (
            [self.prefix + n for n in ARM_JOINT_NAMES] if self.arm else []
        )
        self.positions = [float(p) for p in STANDING_POSE] + (list(ARM_STOWED) if self.arm else [])
        self.received = 0
        self.accepted = 0
        self.last_refusal = ''
        self.distance = 0.0
        self.last_odom_ns: int | None = None

        self.low_level_pub = self.create_publisher(
            JointState, 'low_level/joint_states', SYSTEM_DEFAULT_QOS
        )
        self.driver_joints_pub = self.create_publisher(JointState, 'joint_states', DRIVER_QOS)
        self.imu_pub = self.create_publisher(Imu, 'imu_sensor_broadcaster/imu', SYSTEM_DEFAULT_QOS)
        self.odom_pub = self.create_publisher(Odometry, 'odometry', DRIVER_QOS)
        self.twist_pub = self.create_publisher(
            TwistWithCovarianceStamped, 'odometry/twist', DRIVER_QOS
        )
        self.status_pub = self.create_publisher(String, 'standin/status', STATUS_QOS)
        self.create_subscription(
            JointTrajectory,
            'joint_trajectory_controller/joint_trajectory',
            self._on_command,
            SYSTEM_DEFAULT_QOS,
        )
        self.create_timer(1.0 / rate, self._publish_low_level)
        self.create_timer(1.0 / 50.0, self._publish_driver_state)
        self.create_timer(0.5, self._publish_status)

    def _joint_state(self) -> JointState:
        msg = JointState(
            name=list(self.names),
            position=list(self.positions),
            velocity=[0.0] * len(self.names),
            effort=[0.0] * len(self.names),
        )
        msg.header.stamp = self.get_clock().now().to_msg()
        return msg

    def _orientation(self, msg) -> None:
        msg.z = math.sin(self.yaw / 2.0)
        msg.w = math.cos(self.yaw / 2.0)
        msg.x = msg.y = 0.0

    def _publish_low_level(self) -> None:
        self.low_level_pub.publish(self._joint_state())
        imu = Imu()
        imu.header.stamp = self.get_clock().now().to_msg()
        imu.header.frame_id = self.prefix + 'imu_sensor_frame'
        self._orientation(imu.orientation)
        imu.linear_acceleration.z = 9.81
        self.imu_pub.publish(imu)

    def _publish_driver_state(self) -> None:
        now = self.get_clock().now()
        if self.last_odom_ns is not None:
            self.distance += self.speed * (now.nanoseconds - self.last_odom_ns) * 1e-9
        self.last_odom_ns = now.nanoseconds
        self.driver_joints_pub.publish(self._joint_state())
        odom = Odometry()
        odom.header.stamp = now.to_msg()
        odom.header.frame_id = self.prefix + 'odom'
        odom.child_frame_id = self.prefix + 'body'
        odom.pose.pose.position.x = self.distance * math.cos(self.yaw)
        odom.pose.pose.position.y = self.distance * math.sin(self.yaw)
        odom.pose.pose.position.z = 0.5
        self._orientation(odom.pose.pose.orientation)
        # velocity_of_body_in_odom: the body's velocity expressed in the odom frame.
        odom.twist.twist.linear.x = self.speed * math.cos(self.yaw)
        odom.twist.twist.linear.y = self.speed * math.sin(self.yaw)
        self.odom_pub.publish(odom)
        twist = TwistWithCovarianceStamped()
        twist.header.stamp = odom.header.stamp  # spot_driver sets no frame_id here
        twist.twist = odom.twist
        self.twist_pub.publish(twist)

    def _on_command(self, msg: JointTrajectory) -> None:
        self.received += 1
        refusal = self._refusal(msg)
        if refusal:
            self.last_refusal = refusal
        else:
            self.accepted += 1

    def _refusal(self, msg: JointTrajectory) -> str:
        """Why the JointTrajectoryController would refuse ``msg`` ('' if it accepts it)."""
        names = list(msg.joint_names)
        unknown = [n for n in names if n not in self.leg_names]
        if unknown:
            return f'joints not in the controller: {unknown}'
        if sorted(names) != sorted(self.leg_names):
            return 'partial goal: allow_partial_joints_goal is false'
        if not msg.points or any(len(p.positions) != len(names) for p in msg.points):
            return 'positions do not match the joint names'
        return ''

    def _publish_status(self) -> None:
        self.status_pub.publish(
            String(
                data=json.dumps(
                    {
                        'received': self.received,
                        'accepted': self.accepted,
                        'last_refusal': self.last_refusal,
                    }
                )
            )
        )


def main() -> None:
    """Run the stand-in until Ctrl-C."""
    rclpy.init()
    node = SpotRos2Standin()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == '__main__':
    main()
