# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Headless MuJoCo simulation of Spot behind the DreamStride robot contract.

Joint states, IMU, odometry, camera, clock, joint trajectory commands and resets.
``simulation.SpotSimulation`` is the simulator (no ROS); ``sim_node`` is its ROS 2 adapter.
"""

import os
import sys

# MuJoCo picks its off-screen GL back end when it is first imported. The simulation runs
# headless, so default to EGL (Mesa's software renderer works without a GPU or display);
# MUJOCO_GL=osmesa (Debian's libosmesa6) or glfw (with a display) override it.
os.environ.setdefault('MUJOCO_GL', 'egl')

# Why off-screen rendering cannot work in this process, or None. A MUJOCO_GL whose library
# is missing breaks `import mujoco` itself (PyOpenGL raises AttributeError); the physics
# does not need GL, so import MuJoCo without it and let rendering report the reason.
GL_PROBLEM: str | None = None
try:
    import mujoco
except (AttributeError, ImportError, OSError, RuntimeError) as error:
    GL_PROBLEM = (
        f'MUJOCO_GL={os.environ["MUJOCO_GL"]} cannot be used: {type(error).__name__}: {error}'
    )
    for name in [name for name in sys.modules if name.split('.')[0] in ('mujoco', 'OpenGL')]:
        del sys.modules[name]
    os.environ['MUJOCO_GL'] = 'disable'
    import mujoco  # noqa: F401
