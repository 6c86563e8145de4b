# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The acting stage: the agent that turns observations into joint commands at 20 Hz.

``agent_node`` is a thin ROS shell over ``agent_core`` (the tick's decision: observation
checks, velocity command, reward, self-righting, safety filter, policy swap; no rclpy).
``policy_file`` is the one policy loader. Nothing here imports the recording or the
learning stage.
"""
