# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Run a saved policy on a backend without learning.

ros2 launch dreamstride_bringup eval.launch.py \
        policy:=runs/X/learner/checkpoint.safetensors
"""

from dreamstride_bringup.launch_common import generate_graph_launch_description


def generate_launch_description():
    """Return the launch description of an evaluation run."""
    return generate_graph_launch_description('eval')
