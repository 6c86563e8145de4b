# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Train DreamStride: backend + agent + replay recorder + learner (+ RViz).

    ros2 launch dreamstride_bringup train.launch.py backend:=mujoco|webots|real rviz:=true
    ros2 launch dreamstride_bringup train.launch.py robots:=4   # spot_0 ... spot_3, one learner

The node set comes from dreamstride_bringup.graph, the same definition the
``dreamstride`` command uses.
"""

from dreamstride_bringup.launch_common import generate_graph_launch_description


def generate_launch_description():
    """Return the launch description of a training run."""
    return generate_graph_launch_description('train')
