# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""System test: the launch file starts Webots headless and Spot speaks the robot contract.

Runs where Webots R2025a, webots_ros2 (webots_ros2_driver), launch, launch_ros and the
``ros2`` command exist, and the workspace is built and sourced; skipped elsewhere, with the
missing pieces named. The first run needs the internet once (Webots downloads the Spot
PROTO from GitHub and caches it). Like ros2_control_demos' launch tests it starts the real
launch file and checks that the robot's topics flow and respond.
"""

from __future__ import annotations

import importlib.util
import math
import os
from pathlib import Path
import shutil
import signal
import subprocess
import time

import pytest


def _missing() -> list[str]:
    missing = []
    for module in ('launch.actions', 'launch_ros.actions', 'webots_ros2_driver.webots_launcher'):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(f'Python module {module.split(".")[0]}')
    if shutil.which('ros2') is None:
        missing.append('the ros2 command')
    webots_home = os.environ.get('WEBOTS_HOME', '')
    if shutil.which('webots') is None and not (
        webots_home and (Path(webots_home) / 'webots').exists()
    ):
        missing.append('Webots (webots on PATH or WEBOTS_HOME)')
    return missing


MISSING = _missing()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(MISSING), reason='needs Webots and webots_ros2; missing: ' + ', '.join(MISSING)
    ),
]

START_TIMEOUT = 300.0  # s: Webots' start, and its first download of the Spot PROTO


def test_webots_spot_speaks_the_robot_contract():
    from dreamstride_msgs.srv import ResetRobot
    from nav_msgs.msg import Odometry
    import numpy as np
    import rclpy
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import Imu, JointState
    from spot_description import contract, spot
    from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

    namespace = f'spot_system_{os.getpid()}'
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE='LOCALHOST', PYTHONUNBUFFERED='1')
    if 'DISPLAY' not in env:
        env['WEBOTS_OFFSCREEN'] = '1'
    launch = subprocess.Popen(
        [
            'ros2',
            'launch',
            'spot_webots',
            'spot_webots.launch.py',
            f'namespace:={namespace}',
            'gui:=false',
        ],
        env=env,
        start_new_session=True,
    )
    context = Context()
    rclpy.init(context=context)
    node = rclpy.create_node('system_test', namespace=namespace, context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    latest: dict[str, object] = {}
    for key, msg_type, topic in (
        ('joints', JointState, contract.JOINT_STATES),
        ('imu', Imu, contract.IMU),
        ('odom', Odometry, contract.ODOMETRY),
    ):
        node.create_subscription(
            msg_type, topic, lambda m, k=key: latest.__setitem__(k, m), contract.SENSOR_QOS
        )
    commands = node.create_publisher(
        JointTrajectory, contract.JOINT_TRAJECTORY, contract.COMMAND_QOS
    )
    reset = node.create_client(ResetRobot, contract.RESET_SERVICE)

    def wait_for(condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert launch.poll() is None, f'the launch exited while waiting for {what}'
            assert time.monotonic() < deadline, f'timed out waiting for {what}'
            executor.spin_once(timeout_sec=0.1)

    def body_z_up() -> float:
        q = latest['odom'].pose.pose.orientation
        return 1.0 - 2.0 * (q.x * q.x + q.y * q.y)

    try:
        wait_for(
            lambda: {'joints', 'imu', 'odom'} <= set(latest),
            START_TIMEOUT,
            'joint_states, imu and odometry',
        )
        assert list(latest['joints'].name) == list(spot.JOINT_NAMES)
        assert latest['imu'].header.frame_id == contract.BODY_FRAME
        time.sleep(2.0)  # let the robot settle on its feet
        executor.spin_once(timeout_sec=0.5)
        standing = np.array(latest['joints'].position)
        assert np.allclose(standing, spot.STANDING_POSE, atol=0.2), standing
        assert body_z_up() > 0.9 and 0.3 < latest['odom'].pose.pose.position.z < 0.6

        knee = spot.JOINT_NAMES.index('front_left_knee')
        wait_for(lambda: commands.get_subscription_count() > 0, 10.0, 'the command subscriber')
        commands.publish(
            JointTrajectory(
                joint_names=['front_left_knee'],
                points=[JointTrajectoryPoint(positions=[spot.STANDING_POSE[knee] - 0.4])],
            )
        )
        wait_for(
            lambda: latest['joints'].position[knee] < spot.STANDING_POSE[knee] - 0.25,
            10.0,
            'the knee to bend further',
        )

        wait_for(reset.service_is_ready, 10.0, 'the reset service')
        future = reset.call_async(ResetRobot.Request(pose=ResetRobot.Request.POSE_ON_BACK))
        wait_for(future.done, 10.0, 'the reset response')
        assert future.result().success, future.result().message
        time.sleep(1.0)
        executor.spin_once(timeout_sec=0.5)
        wait_for(lambda: body_z_up() < -0.8, 5.0, 'the robot on its back')
        assert math.isfinite(latest['odom'].twist.twist.linear.x)
    finally:
        executor.shutdown(timeout_sec=0)
        node.destroy_node()
        rclpy.shutdown(context=context)
        os.killpg(launch.pid, signal.SIGINT)
        try:
            launch.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(launch.pid, signal.SIGKILL)
            launch.wait()
