# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The world, the driver's URDF, the launch file and what setup.py installs."""

import ast
import importlib
from pathlib import Path
import re
import xml.etree.ElementTree as ET

import pytest
from spot_description import contract
from spot_webots import conversion

PACKAGE = Path(__file__).resolve().parents[1]
WORLD = PACKAGE / 'worlds' / 'spot_flat.wbt'
URDF = PACKAGE / 'resource' / 'spot_webots.urdf'
LAUNCH = PACKAGE / 'launch' / 'spot_webots.launch.py'
SPOT_PROTO = (
    'https://raw.githubusercontent.com/cyberbotics/webots/R2025a/projects/robots/'
    'boston_dynamics/spot/protos/Spot.proto'
)
# Devices of the Spot PROTO (docs/spot_facts.md, Spot.proto): IMU parts and cameras.
PROTO_DEVICES = {
    'inertial unit',
    'gyro',
    'accelerometer',
    'left head camera',
    'right head camera',
    'left flank camera',
    'right flank camera',
    'rear camera',
    *conversion.MOTOR_NAMES,
    *conversion.SENSOR_NAMES,
}


def _node_block(text: str, node_type: str) -> str:
    """The body of the first top-level ``node_type { ... }`` of a .wbt file."""
    start = re.search(rf'^{node_type}\s*{{', text, re.MULTILINE)
    assert start, f'no {node_type} node'
    depth, i = 1, start.end()
    while depth:
        depth += {'{': 1, '}': -1}.get(text[i], 0)
        i += 1
    return text[start.end() : i - 1]


def test_world_has_the_spot_proto_as_an_extern_supervisor():
    text = WORLD.read_text()
    assert text.startswith('#VRML_SIM R2025a utf8')
    assert f'EXTERNPROTO "{SPOT_PROTO}"' in text
    assert text.count('{') == text.count('}')
    spot = _node_block(text, 'Spot')
    assert re.search(r'^\s*supervisor TRUE$', spot, re.MULTILINE)
    assert re.search(r'^\s*controller "<extern>"$', spot, re.MULTILINE)
    assert re.search(r'^\s*name "Spot"$', spot, re.MULTILINE)
    assert re.search(r'^\s*translation 0 0 0\.624$', spot, re.MULTILINE)


def test_world_time_step_divides_the_control_and_sensor_periods():
    info = _node_block(WORLD.read_text(), 'WorldInfo')
    step_ms = float(re.search(r'basicTimeStep\s+([\d.]+)', info).group(1))
    for period_ms in (50.0, 20.0):  # 20 Hz control, 50 Hz joint_states/odometry/imu
        assert (period_ms / step_ms).is_integer(), (period_ms, step_ms)


def test_world_has_a_ground():
    text = WORLD.read_text()
    assert re.search(r'boundingObject Plane', text)


def _plugins(root: ET.Element) -> dict[str, ET.Element]:
    return {p.get('type'): p for p in root.find('webots').findall('plugin')}


def test_urdf_configures_the_imu_and_our_plugin():
    root = ET.parse(URDF).getroot()
    assert root.tag == 'robot' and root.get('name') == 'Spot'
    plugins = _plugins(root)
    imu = plugins['webots_ros2_driver::Ros2IMU']
    assert imu.findtext('topicName') == contract.IMU
    assert imu.findtext('frameName') == contract.BODY_FRAME
    for tag in ('inertialUnitName', 'gyroName', 'accelerometerName'):
        assert imu.findtext(tag) in PROTO_DEVICES, tag
    for plugin in plugins.values():  # the driver reads every property's text
        for prop in plugin:
            assert prop.text and prop.text.strip(), f'{plugin.get("type")}: empty {prop.tag}'


def test_urdf_names_a_plugin_class_that_exists_with_known_properties():
    from spot_webots.plugin_config import PluginConfig

    plugins = _plugins(ET.parse(URDF).getroot())
    ours = [t for t in plugins if t.startswith('spot_webots.')]
    assert ours == ['spot_webots.spot_plugin.SpotPlugin']
    module_name, class_name = ours[0].rsplit('.', 1)
    plugin_class = getattr(importlib.import_module(module_name), class_name)
    assert callable(plugin_class.init) and callable(plugin_class.step)
    properties = {p.tag: p.text for p in plugins[ours[0]]}
    config = PluginConfig.from_properties(properties)
    assert not config.unknown
    assert config.camera_name in PROTO_DEVICES


def test_urdf_device_references_exist_on_the_proto():
    root = ET.parse(URDF).getroot()
    references = [d.get('reference') for d in root.find('webots').findall('device')]
    assert references, 'the head camera reference is expected'
    assert set(references) <= PROTO_DEVICES


def test_launch_file_declares_namespace_and_gui():
    tree = ast.parse(LAUNCH.read_text())
    declared = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, 'id', '') == 'DeclareLaunchArgument':
            name = node.args[0].value
            declared[name] = {k.arg: k.value for k in node.keywords}
    assert {'namespace', 'gui'} <= set(declared)
    assert ast.unparse(declared['namespace']['default_value']) == 'DEFAULT_NAMESPACE'
    assert declared['gui']['default_value'].value == 'false'
    text = LAUNCH.read_text()
    assert 'spot_webots.urdf' in text and 'ros2_supervisor=True' in text


def test_setup_installs_the_launch_world_and_urdf_files():
    """Where colcon has built the package, its share directory holds what bringup includes."""
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
    except ImportError:
        pytest.skip('ament_index_python is not installed')
    try:
        share = Path(get_package_share_directory('spot_webots'))
    except PackageNotFoundError:
        pytest.skip('spot_webots is not built (colcon build / scripts/setup)')
    for relative in (
        'launch/spot_webots.launch.py',
        'worlds/spot_flat.wbt',
        'resource/spot_webots.urdf',
        'package.xml',
    ):
        assert (share / relative).is_file(), relative
