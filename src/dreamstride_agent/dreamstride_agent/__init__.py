# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""DreamStride learning system.

A DreamerV3 world-model agent in plain PyTorch (``dreamer/``, no rclpy) and the thin
ROS 2 nodes around it: agent, replay recorder, learner.
"""
