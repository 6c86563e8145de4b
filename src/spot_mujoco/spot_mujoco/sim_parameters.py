# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The MuJoCo simulation node's ROS parameters: name, default, meaning, range.

One table, declared by :mod:`spot_mujoco.sim_node` (spot_description.parameters.declare)
and read by ``ros2 param describe``; the agent's counterpart is
``dreamstride_agent.acting.agent_parameters``.
"""

from __future__ import annotations

import math

from spot_description import mjcf, spot
from spot_description.parameters import ParameterSpec
from spot_mujoco.simulation import POSES

# The node's parameters; all but real_time_factor are read once, at start.
PARAMETERS: tuple[ParameterSpec, ...] = (
    ParameterSpec('timestep', spot.TIMESTEP, 'Physics time step (s).', read_only=True),
    ParameterSpec(
        'publish_rate',
        50.0,
        'Rate (Hz, simulated time) of joint_states, imu and odometry; they are '
        'published every round(1 / (publish_rate * timestep)) physics steps.',
        read_only=True,
    ),
    ParameterSpec(
        'clock_rate',
        100.0,
        'Rate (Hz, simulated time) of /clock; the granularity of sim-time timers.',
        read_only=True,
    ),
    ParameterSpec(
        'real_time_factor',
        1.0,
        'Simulated seconds per wall-clock second: 1.0 is paced to the wall clock, '
        '2.0 twice as fast at most, 0 as fast as possible. Can be changed at run '
        'time.',
        range=(0.0, math.inf),
    ),
    ParameterSpec(
        'initial_pose', 'standing', f'Pose at start, one of {list(POSES)}.', read_only=True
    ),
    ParameterSpec(
        'seed',
        0,
        'Seed of the random resets and the IMU noise; -1 draws one from the operating system.',
        read_only=True,
    ),
    ParameterSpec(
        'imu_noise.orientation',
        0.0,
        'IMU orientation noise, std (rad).',
        read_only=True,
        range=(0.0, math.inf),
    ),
    ParameterSpec(
        'imu_noise.gyro',
        0.0,
        'IMU angular velocity noise, std (rad/s).',
        read_only=True,
        range=(0.0, math.inf),
    ),
    ParameterSpec(
        'imu_noise.accel',
        0.0,
        'IMU linear acceleration noise, std (m/s^2).',
        read_only=True,
        range=(0.0, math.inf),
    ),
    ParameterSpec(
        'camera.enabled',
        False,
        'Render and publish camera/image and camera/camera_info (off-screen, '
        'MUJOCO_GL=egl by default, or osmesa).',
        read_only=True,
    ),
    ParameterSpec(
        'camera.name',
        mjcf.HEAD_CAMERA,
        f"Camera: '{mjcf.HEAD_CAMERA}' (onboard) or '{mjcf.TRACK_CAMERA}' (follows the robot).",
        read_only=True,
    ),
    ParameterSpec(
        'camera.width', 64, 'Image width (pixels).', read_only=True, range=(1, math.inf)
    ),
    ParameterSpec(
        'camera.height', 64, 'Image height (pixels).', read_only=True, range=(1, math.inf)
    ),
    ParameterSpec('camera.rate', 20.0, 'Image rate (Hz, simulated time).', read_only=True),
    ParameterSpec(
        'ratio_lock.learner_status',
        '',
        'LearnerStatus topic whose env_step_budget pauses the simulation while the '
        "agents' steps reach it (the train-ratio lock); empty: no lock.",
        read_only=True,
    ),
    ParameterSpec(
        'ratio_lock.agent_status',
        [''],
        'AgentStatus topics whose step counts the lock adds up.',
        read_only=True,
    ),
    ParameterSpec(
        'ratio_lock.steps_before',
        0,
        'Steps a resumed run stored before this start; the lock counts them as '
        "taken, as the learner's budget does.",
        read_only=True,
        range=(0, math.inf),
    ),
    ParameterSpec(
        'reset_quiet_time',
        0.2,
        'Simulated seconds without sensor messages after a reset: longer than any '
        "agent's max_sensor_age, so agents hold and start a new episode there and no "
        'transition they record spans the jump.',
        read_only=True,
        range=(0.0, math.inf),
    ),
    ParameterSpec(
        'frame_prefix',
        '',
        "Prefix of the frame ids (body, odom, head_camera_optical), e.g. 'spot1/' "
        "when several robots share one TF tree (robot_state_publisher's "
        'frame_prefix).',
        read_only=True,
    ),
    ParameterSpec(
        'publish_tf',
        True,
        'Publish odom -> body on /tf with each odometry message (where tf2_msgs '
        'exists), so RViz and robot_state_publisher show the robot in odom.',
        read_only=True,
    ),
)
