# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Replay recorder node: stores every agent Step in rosbag2 MCAP segments under replay_dir.

Steps arrive over a reliable topic as CDR bytes and are written unchanged. Buffering,
retries after write errors, segment rotation and sequence counting live in the ROS-free
RecorderCore (recorder_core.py); this node feeds it the received steps, runs its
housekeeping on a timer and publishes its numbers as RecorderStatus.
"""

from __future__ import annotations

import os
from pathlib import Path
import time

from dreamstride_agent.learning_topics import RECORDER_STATUS, STATUS_QOS, STEP_QOS, STEPS
from dreamstride_agent.recording.recorder_core import (
    IncomingStep,
    RecorderCore,
    recorder_parameters,
    recorder_settings_from_parameters,
)
from dreamstride_agent.recording.replay_store import make_typestore
from dreamstride_agent.spinning import make_executor
from dreamstride_msgs.msg import RecorderStatus, Step
import rclpy
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.serialization import deserialize_message
from spot_description.parameters import declare
from spot_description.spin_loop import run_node

# Defaults and descriptions live on RecorderSettings' fields (recorder_core).
PARAMS = recorder_parameters()


class ReplayRecorder(Node):
    """Subscribe to steps and write them as closed rosbag2 segments (via RecorderCore)."""

    def __init__(self) -> None:
        super().__init__('replay_recorder')
        self.p = declare(self, PARAMS)
        self.replay_dir = Path(self.p['replay_dir']).expanduser().resolve()
        settings = recorder_settings_from_parameters(self.p)
        self.core = RecorderCore(
            self.replay_dir, make_typestore(), settings, clock=time.monotonic, log=self._log
        )
        self._status_pub = self.create_publisher(RecorderStatus, RECORDER_STATUS, STATUS_QOS)
        self.create_subscription(Step, STEPS, self._on_step, STEP_QOS, raw=True)
        # Housekeeping runs on the steady clock: segments must close when the agent stops,
        # also while simulated time stands still (a paused simulation, the ratio lock).
        steady = Clock(clock_type=ClockType.STEADY_TIME)
        # No parameter: the events executor passes a TimerInfo to a callback that takes one.
        self.create_timer(0.5, lambda: self.core.housekeeping(), clock=steady)
        self.create_timer(1.0, self._publish_status, clock=steady)
        self.get_logger().info(f'recording {STEPS} into {self.replay_dir}')

    def _log(self, level: str, message: str) -> None:
        # One call site per severity: rclpy refuses a second severity from the same line.
        logger = self.get_logger()
        if level == 'error':
            logger.error(message)
        elif level == 'warning':
            logger.warning(message)
        else:
            logger.info(message)

    def _on_step(self, data: bytes) -> None:
        msg = deserialize_message(data, Step)
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        self.core.on_step(IncomingStep(bytes(data), msg.run_id, int(msg.seq), stamp))

    def _publish_status(self) -> None:
        counters = self.core.snapshot()
        status = RecorderStatus(**vars(counters))
        status.header.stamp = self.get_clock().now().to_msg()
        self._status_pub.publish(status)

    def close(self) -> None:
        """Close the open segment (on shutdown)."""
        self.core.close()


def main(args: list[str] | None = None) -> None:
    """Run the replay recorder until shut down; close the open segment on the way out."""
    rclpy.init(args=args)
    node = ReplayRecorder()
    # The agent's executor, for the same reason (spinning.py).
    run_node(node, make_executor(), node.close)


if __name__ == '__main__':
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    main()
