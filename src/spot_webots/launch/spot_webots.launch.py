# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Start Webots with the Spot world and the webots_ros2 driver speaking the robot contract.

    ros2 launch spot_webots spot_webots.launch.py namespace:=spot gui:=false mode:=realtime

Included by dreamstride_bringup for ``backend:=webots`` (with ``namespace``). Needs Webots
R2025a and webots_ros2 (webots_ros2_driver); the first start downloads the Spot PROTO from
GitHub, later ones use Webots' cache. Webots' Ros2Supervisor publishes /clock. When Webots,
the supervisor or the driver (which runs the Spot plugin) exits outside a shutdown, the
whole launch stops with a non-zero exit code: a run must not carry on without data.
"""

import os
from pathlib import Path
import shutil

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    LogInfo,
    OpaqueFunction,
    RegisterEventHandler,
)
from launch.event_handlers import OnProcessExit
import launch.logging
from spot_description.contract import DEFAULT_NAMESPACE
from webots_ros2_driver.webots_controller import WebotsController
from webots_ros2_driver.webots_launcher import WebotsLauncher

ROBOT_NAME = 'Spot'  # the Robot's name in the world, which WebotsController connects to


class WebotsPartExitedError(RuntimeError):
    """Webots, its supervisor or the driver exited while the launch was running."""


def _stop_on_exit(action, name: str) -> RegisterEventHandler:
    """Stop the launch, non-zero, when ``action`` exits outside a shutdown.

    An ``EmitEvent(Shutdown())`` would end ``ros2 launch`` with exit code 0; launch's
    LaunchService returns 1 when an event handler raises, so this handler raises.
    (dreamstride_bringup.launch_common does the same for DreamStride's nodes; this
    package does not depend on it.)
    """

    def on_exit(event, context):
        if context.is_shutdown:
            return None
        error = WebotsPartExitedError(
            f'{name} exited with code {event.returncode}; stopping the run'
        )
        launch.logging.get_logger('spot_webots').error(str(error))
        raise error

    return RegisterEventHandler(OnProcessExit(target_action=action, on_exit=on_exit))


def _webots_and_driver(context):
    share = Path(get_package_share_directory('spot_webots'))
    namespace = context.launch_configurations['namespace'].strip('/')
    gui = context.launch_configurations['gui'].lower() == 'true'
    world = Path(context.launch_configurations['world'])
    if not world.is_absolute():
        world = share / 'worlds' / world
    actions = []
    if not gui and 'DISPLAY' not in os.environ and 'WEBOTS_OFFSCREEN' not in os.environ:
        # Webots renders with OpenGL even with --no-rendering (cameras); without a display
        # webots_ros2 runs it under xvfb-run when WEBOTS_OFFSCREEN is set.
        if shutil.which('xvfb-run'):
            os.environ['WEBOTS_OFFSCREEN'] = '1'
            actions.append(LogInfo(msg='no display: running Webots off-screen (xvfb-run)'))
        else:
            actions.append(
                LogInfo(
                    msg='no display and no xvfb-run: Webots will not start; '
                    'install xvfb or set DISPLAY'
                )
            )
    webots = WebotsLauncher(
        world=str(world), mode=context.launch_configurations['mode'], gui=gui, ros2_supervisor=True
    )
    # WebotsController builds its ROS arguments with plain string formatting, so the
    # namespace must be a string here, not a substitution.
    driver = WebotsController(
        robot_name=ROBOT_NAME,
        namespace=namespace,
        parameters=[
            {
                'robot_description': str(share / 'resource' / 'spot_webots.urdf'),
                'use_sim_time': True,
            }
        ],
    )
    return [
        *actions,
        webots,
        webots._supervisor,  # webots_ros2's Ros2Supervisor: /clock and spawning services
        driver,
        _stop_on_exit(webots, 'webots'),
        _stop_on_exit(webots._supervisor, 'webots Ros2Supervisor'),
        _stop_on_exit(driver, 'webots_ros2 driver (Spot plugin)'),
    ]


def generate_launch_description():
    """Return the launch description: arguments, then Webots and the driver."""
    return LaunchDescription(
        [
            DeclareLaunchArgument(
                'namespace',
                default_value=DEFAULT_NAMESPACE,
                description='robot namespace of the contract topics',
            ),
            DeclareLaunchArgument(
                'gui',
                default_value='false',
                choices=['true', 'false'],
                description='show the Webots window (false: headless, '
                '--no-rendering --batch --minimize)',
            ),
            DeclareLaunchArgument(
                'mode',
                default_value='realtime',
                choices=['realtime', 'fast'],
                description='Webots simulation mode',
            ),
            DeclareLaunchArgument(
                'world',
                default_value='spot_flat.wbt',
                description='world file: a name in share/spot_webots/worlds or an absolute path',
            ),
            OpaqueFunction(function=_webots_and_driver),
        ]
    )
