# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The recording stage: the agent's steps to the replay store on disk.

``recorder_node`` (the replay recorder) is a thin ROS shell over ``recorder_core``;
``replay_store`` writes and reads the rosbag2 MCAP segments, and the learning stage reads
the store through it. Only ``recorder_node`` imports rclpy.
"""
