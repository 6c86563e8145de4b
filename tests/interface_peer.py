# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""A second process for the interface round-trip tests.

Receives a Step, a LoadPolicy request and a ResetRobot request, and answers
each with what it received (as JSON) plus the ROS settings of its own
environment, so the test can check both the data and the network hygiene.
"""

import json
import os
import sys

from dreamstride_msgs.msg import Step
from dreamstride_msgs.srv import LoadPolicy, ResetRobot
from msg_dict import to_plain
import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String


class InterfacePeer(Node):
    def __init__(self) -> None:
        super().__init__('interface_peer')
        qos = QoSProfile(history=HistoryPolicy.KEEP_ALL, reliability=ReliabilityPolicy.RELIABLE)
        self._echo = self.create_publisher(String, 'echo', qos)
        self.create_subscription(Step, 'steps', self._on_step, qos)
        self.create_service(LoadPolicy, 'load_policy', self._on_load_policy)
        self.create_service(ResetRobot, 'reset', self._on_reset)

    def _report(self, kind: str, msg) -> str:
        return json.dumps(
            {
                'kind': kind,
                'data': to_plain(msg),
                'env': {
                    k: os.environ.get(k)
                    for k in ('ROS_AUTOMATIC_DISCOVERY_RANGE', 'ROS_DOMAIN_ID')
                },
            }
        )

    def _on_step(self, msg: Step) -> None:
        self._echo.publish(String(data=self._report('step', msg)))

    def _on_load_policy(self, request, response):
        response.accepted = True
        response.message = self._report('load_policy', request)
        response.active_version = request.version
        return response

    def _on_reset(self, request, response):
        response.success = True
        response.message = self._report('reset', request)
        return response


def main() -> None:
    rclpy.init()
    node = InterfacePeer()
    print('ready', flush=True)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    sys.exit(0)


if __name__ == '__main__':
    main()
