# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Start the simulation backend only (MuJoCo by default, or Webots).

ros2 launch dreamstride_bringup sim.launch.py backend:=mujoco
"""

from dreamstride_bringup.launch_common import generate_graph_launch_description


def generate_launch_description():
    """Return the launch description of the simulation backend alone."""
    return generate_graph_launch_description('sim')
