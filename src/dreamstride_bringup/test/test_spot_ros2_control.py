# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The controllers file shipped for spot_ros2_control and its generator."""

from pathlib import Path

from dreamstride_bringup import spot_ros2_control as src
import pytest
from spot_description.spot import JOINT_NAMES
import yaml

SHIPPED = Path(__file__).resolve().parents[1] / 'config' / 'spot_ros2_controllers.yaml'


def test_shipped_file_is_the_generated_one():
    assert SHIPPED.read_text() == src.controllers_yaml('spot')


def test_trajectory_controller_on_the_twelve_prefixed_leg_joints():
    config = yaml.safe_load(SHIPPED.read_text())['/**']
    manager = config['controller_manager']['ros__parameters']
    assert (
        manager['joint_trajectory_controller']['type']
        == 'joint_trajectory_controller/JointTrajectoryController'
    )
    # spot_ros2_control.launch.py spawns these by name: they must be declared.
    assert set(src.BROADCASTERS) <= set(manager)
    params = config['joint_trajectory_controller']['ros__parameters']
    assert params['joints'] == [f'spot/{name}' for name in JOINT_NAMES]
    assert not any('arm' in joint for joint in params['joints'])
    assert params['command_interfaces'] == ['position']
    assert params['state_interfaces'] == ['position', 'velocity']


def test_without_a_spot_name_the_joints_are_bare():
    params = src.controllers_config('')['/**']['joint_trajectory_controller']['ros__parameters']
    assert params['joints'] == list(JOINT_NAMES)


@pytest.mark.parametrize('bad', ['a b', '1spot', 'spot/x', '/spot'])
def test_an_invalid_spot_name_is_refused(bad):
    with pytest.raises(ValueError, match='not a valid ROS name'):
        src.controllers_config(bad)


def test_command_prints_the_yaml(capsys):
    assert src.main(['--spot-name', 'robot2']) == 0
    out = yaml.safe_load(capsys.readouterr().out)
    assert (
        out['/**']['joint_trajectory_controller']['ros__parameters']['joints'][0]
        == 'robot2/front_left_hip_x'
    )
    assert src.main(['--spot-name', 'a b']) == 2
