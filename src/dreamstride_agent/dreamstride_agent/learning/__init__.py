# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The learning stage: train on the replay store and push new policies to the agents.

``learner_node`` is a thin ROS shell over ``learner_core`` (the training loop, ratio
lock, checkpoints; no rclpy) and ``policy_push`` (delivering policies to each agent).
It reads the store through :mod:`dreamstride_agent.recording.replay_store` and never
imports the acting stage.
"""
