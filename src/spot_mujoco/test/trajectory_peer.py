# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""A separate process that commands the simulation: publishes one JointTrajectory repeatedly.

Usage: trajectory_peer.py SECONDS NAME=POSITION [NAME=POSITION ...]
Prints 'ready' once its publisher exists, then publishes at 20 Hz for SECONDS.
"""

import sys
import time

from builtin_interfaces.msg import Duration
import rclpy
from spot_description import contract
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint


def main() -> None:
    seconds = float(sys.argv[1])
    targets = dict(arg.split('=') for arg in sys.argv[2:])
    rclpy.init()
    node = rclpy.create_node('trajectory_peer')
    publisher = node.create_publisher(
        JointTrajectory, contract.JOINT_TRAJECTORY, contract.COMMAND_QOS
    )
    msg = JointTrajectory(
        joint_names=list(targets),
        points=[
            JointTrajectoryPoint(
                positions=[float(v) for v in targets.values()],
                time_from_start=Duration(nanosec=20_000_000),
            )
        ],
    )
    print('ready', flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        publisher.publish(msg)
        rclpy.spin_once(node, timeout_sec=0.05)
    node.destroy_node()
    rclpy.shutdown()


if __name__ == '__main__':
    main()
