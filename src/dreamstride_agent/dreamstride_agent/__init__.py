# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""DreamStride learning system.

A DreamerV3 world-model agent in plain PyTorch (``dreamer/``, no rclpy) and the thin
ROS 2 nodes around it, one subpackage per stage of the pipeline: ``acting`` (the
agent), ``recording`` (the replay recorder and store), ``learning`` (the learner). The
modules every stage uses (topic names, parameter helpers, spinning) stay at the top.
"""
