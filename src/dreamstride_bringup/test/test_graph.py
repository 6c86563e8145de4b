# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""One node graph for the launch files and the dreamstride command."""

import ast
import importlib
import importlib.util
from pathlib import Path

from dreamstride_bringup.graph import (
    BACKENDS,
    REAL_SPOT_REMAPS,
    fresh_run_dir,
    node_graph,
    robot_namespaces,
)
from dreamstride_bringup.launch_common import rviz_config
from dreamstride_bringup.parameter_files import read_parameter_files
from dreamstride_bringup.process_supervisor import node_command, node_overrides
import pytest
import yaml

PKG = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    'backend,expected',
    [
        ('mujoco', ['spot_mujoco', 'agent', 'replay_recorder', 'learner']),
        ('webots', ['agent', 'replay_recorder', 'learner']),
        ('real', ['agent', 'replay_recorder', 'learner']),
    ],
)
def test_train_graph_per_backend(backend, expected, tmp_path):
    nodes = node_graph('train', backend, run_dir=tmp_path)
    assert [n.name for n in nodes] == expected
    by_name = {n.name: n for n in nodes}
    assert by_name['replay_recorder'].parameters['replay_dir'] == str(tmp_path / 'replay')
    assert by_name['learner'].parameters['replay_dir'] == str(tmp_path / 'replay')
    assert by_name['learner'].parameters['logdir'] == str(tmp_path / 'learner')
    sim_time = backend != 'real'
    assert all(n.parameters.get('use_sim_time', sim_time) == sim_time for n in nodes)
    agent = by_name['agent']
    if backend == 'real':
        assert agent.remappings == list(REAL_SPOT_REMAPS)
        assert agent.param_files[-1].name == 'real_spot.yaml'
    else:
        assert agent.remappings == []


def test_eval_and_sim_graphs(tmp_path):
    ckpt = tmp_path / 'checkpoint.pt'
    assert [n.name for n in node_graph('eval', 'mujoco', policy=ckpt)] == ['spot_mujoco', 'agent']
    assert node_graph('eval', 'mujoco', policy=ckpt)[1].parameters['policy_checkpoint'] == str(
        ckpt
    )
    assert [n.name for n in node_graph('sim', 'mujoco')] == ['spot_mujoco']
    with pytest.raises(ValueError, match='needs a policy'):
        node_graph('eval', 'mujoco')
    with pytest.raises(ValueError, match='simulation backend'):
        node_graph('sim', 'real')
    with pytest.raises(ValueError, match='unknown backend'):
        node_graph('train', 'gazebo')


def test_user_config_is_applied_last(tmp_path):
    extra = tmp_path / 'mine.yaml'
    extra.write_text('/**:\n  ros__parameters:\n    seed: 7\n')
    for node in node_graph('train', 'mujoco', config=extra):
        assert node.param_files[-1] == extra


def _declared(module: str) -> set[str]:
    return {p.name for p in importlib.import_module(module).PARAMS} | {'use_sim_time'}


@pytest.mark.parametrize('backend', BACKENDS)
def test_parameter_files_name_declared_parameters(backend):
    for node in node_graph('train', backend):
        if not node.module.startswith('dreamstride_agent'):
            continue
        declared = _declared(node.module)
        names = {n.name for b in BACKENDS for n in node_graph('train', b)}
        for path in node.param_files:
            data = yaml.safe_load(path.read_text())
            # /** for a node's own file; /**/NODE sections in a file for several nodes
            # (the training recipe).
            sections = {'/**'} | {f'/**/{name}' for name in names}
            assert set(data) <= sections, f'{path.name}: use /** or /**/NODE sections'
            keys = set(read_parameter_files([path], f'/spot/{node.name}'))
            assert keys <= declared, f'{path.name}: {sorted(keys - declared)} not declared'
        assert set(node.parameters) <= declared


def test_node_command_line(tmp_path):
    node = node_graph('train', 'real', run_dir=tmp_path)[0]
    cmd = node_command(
        node, 'spot', {'seed': 3, 'model_overrides': ['a=1', 'b=x:y']}, tmp_path / 'params'
    )
    assert cmd[1:3] == ['-m', 'dreamstride_agent.acting.agent_node']
    assert ['-r', '__node:=agent'] == cmd[4:6] and '__ns:=/spot' in cmd
    assert '-r' in cmd and 'joint_states:=low_level/joint_states' in cmd
    generated = yaml.safe_load((tmp_path / 'params' / 'agent.yaml').read_text())
    assert generated == {
        '/spot/agent': {
            'ros__parameters': {
                'seed': 3,
                'model_overrides': ['a=1', 'b=x:y'],
                'use_sim_time': False,
                'wait_for_recorder': True,
            }
        }
    }
    assert cmd[cmd.index(str(tmp_path / 'params' / 'agent.yaml')) - 1] == '--params-file'


def test_one_robot_is_the_graph_without_the_argument(tmp_path):
    plain = node_graph('train', 'mujoco', run_dir=tmp_path)
    one = node_graph('train', 'mujoco', run_dir=tmp_path, robots=1, namespace='spot')
    assert one == plain
    assert all(n.namespace is None and n.required and n.key == n.name for n in one)


def test_several_robots_each_in_its_namespace_and_one_learner(tmp_path):
    nodes = node_graph('train', 'mujoco', run_dir=tmp_path, robots=2)
    assert [n.key for n in nodes] == [
        'spot_0/spot_mujoco',
        'spot_0/agent',
        'spot_0/replay_recorder',
        'spot_1/spot_mujoco',
        'spot_1/agent',
        'spot_1/replay_recorder',
        'learner',
    ]
    by_key = {n.key: n for n in nodes}
    learner = by_key['learner']
    # The learner runs in the run's namespace, trains on the whole store and pushes
    # to every agent; it is the only node whose death stops the run.
    assert learner.namespace is None and learner.required
    assert learner.parameters['replay_dir'] == str(tmp_path / 'replay')
    assert learner.parameters['agents'] == ['/spot_0/load_policy', '/spot_1/load_policy']
    for ns in ('spot_0', 'spot_1'):
        robot = [n for n in nodes if n.namespace == ns]
        assert len(robot) == 3 and not any(n.required for n in robot)
        assert all(('/clock', f'/{ns}/clock') in n.remappings for n in robot)
        recorder = by_key[f'{ns}/replay_recorder']
        assert recorder.parameters['replay_dir'] == str(tmp_path / 'replay' / ns)
        sim = by_key[f'{ns}/spot_mujoco']
        # The ratio lock of every simulation counts all robots' steps.
        assert sim.parameters['ratio_lock.agent_status'] == [
            '/spot_0/agent/status',
            '/spot_1/agent/status',
        ]
        assert sim.parameters['ratio_lock.learner_status'] == '/spot/learner/status'
    cmd = node_command(by_key['spot_1/agent'], 'spot', {'seed': 4}, tmp_path / 'params')
    assert '__ns:=/spot_1' in cmd and '/clock:=/spot_1/clock' in cmd
    generated = yaml.safe_load((tmp_path / 'params' / 'spot_1' / 'agent.yaml').read_text())
    assert list(generated) == ['/spot_1/agent']


def test_robot_namespaces_and_their_limits():
    assert robot_namespaces('spot', 1) == ['spot']
    assert robot_namespaces('/fleet', 3) == ['fleet_0', 'fleet_1', 'fleet_2']
    with pytest.raises(ValueError, match='at least 1'):
        robot_namespaces('spot', 0)
    with pytest.raises(ValueError, match='need a namespace'):
        robot_namespaces('', 2)
    with pytest.raises(ValueError, match='need the mujoco backend'):
        node_graph('train', 'real', robots=2)


def test_overrides_by_node_name_reach_every_robot_and_by_key_one():
    nodes = {n.key: n for n in node_graph('train', 'mujoco', robots=2)}
    given = {'agent': {'seed': 1, 'control_rate': 10.0}, 'spot_1/agent': {'seed': 2}}
    assert node_overrides(nodes['spot_0/agent'], given) == {'seed': 1, 'control_rate': 10.0}
    assert node_overrides(nodes['spot_1/agent'], given) == {'seed': 2, 'control_rate': 10.0}
    assert node_overrides(nodes['learner'], given) == {}


def test_command_values_beat_node_specific_config_sections(tmp_path, ros_env):
    """rcl applies /**/node sections after /** ones; the command's values must still win."""
    import subprocess
    import sys

    extra = tmp_path / 'experiment.yaml'
    extra.write_text('/**/learner:\n  ros__parameters:\n    prefill_steps: 5000\n')
    node = [
        n
        for n in node_graph('train', 'mujoco', run_dir=tmp_path, config=extra)
        if n.name == 'learner'
    ][0]
    cmd = node_command(node, 'spot', {'prefill_steps': 100}, tmp_path / 'params')
    ros_args = cmd[cmd.index('--ros-args') :]
    script = (
        'import rclpy, sys; rclpy.init(args=sys.argv[1:]); '
        'n = rclpy.create_node("learner"); n.declare_parameter("prefill_steps", 0); '
        'print(n.get_parameter("prefill_steps").value)'
    )
    out = subprocess.run(
        [sys.executable, '-c', script, *ros_args],
        env=ros_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == '100', out.stderr


def test_launch_files_use_the_shared_graph():
    for path in sorted((PKG / 'launch').glob('*.launch.py')):
        tree = ast.parse(path.read_text())
        calls = {
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        assert 'generate_graph_launch_description' in calls, path.name
    assert {p.name for p in (PKG / 'launch').glob('*.launch.py')} == {
        'train.launch.py',
        'eval.launch.py',
        'sim.launch.py',
    }


@pytest.mark.skipif(
    importlib.util.find_spec('launch_ros') is None,
    reason='launch_ros is not installed (no ROS 2 apt install on this machine)',
)
@pytest.mark.parametrize('backend', ['mujoco', 'real'])
def test_launch_file_matches_the_command(backend, tmp_path):
    from launch import LaunchContext, LaunchDescription
    from launch.actions import OpaqueFunction
    from launch_ros.actions import Node

    spec = importlib.util.spec_from_file_location('train_launch', PKG / 'launch/train.launch.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description: LaunchDescription = module.generate_launch_description()
    context = LaunchContext()
    for entity in description.entities:
        if not isinstance(entity, OpaqueFunction):
            entity.visit(context)
    context.launch_configurations.update({'backend': backend, 'run_dir': str(tmp_path)})
    opaque = [e for e in description.entities if isinstance(e, OpaqueFunction)][0]
    actions = opaque.execute(context)
    launched = [a for a in actions if isinstance(a, Node)]
    assert [a.node_executable for a in launched] == [
        n.executable for n in node_graph('train', backend, run_dir=tmp_path)
    ]


@pytest.mark.parametrize(
    'namespace,prefix,topic_root',
    [('spot', '', '/spot'), ('/robot2', 'robot2/', '/robot2'), ('', '', '')],
)
def test_rviz_config_follows_the_namespace(namespace, prefix, topic_root):
    text = rviz_config(namespace, prefix, template=PKG / 'rviz/dreamstride.rviz.in')
    assert '@' not in text
    config = yaml.safe_load(text)
    manager = config['Visualization Manager']
    assert manager['Global Options']['Fixed Frame'] == f'{prefix}odom'
    assert manager['Views']['Current']['Target Frame'] == f'{prefix}body'
    topics = {
        d['Name']: d.get('Description Topic', d.get('Topic', {})).get('Value')
        for d in manager['Displays']
    }
    assert topics['RobotModel'] == f'{topic_root}/robot_description'
    assert topics['Odometry'] == f'{topic_root}/odometry'
    assert topics['Camera'] == f'{topic_root}/camera/image'
    classes = {d['Class'] for d in manager['Displays']}
    assert {
        'rviz_default_plugins/RobotModel',
        'rviz_default_plugins/TF',
        'rviz_default_plugins/Image',
    } <= classes


def test_fresh_run_dirs_never_repeat(tmp_path):
    first = fresh_run_dir('train', root=tmp_path)
    second = fresh_run_dir('train', root=tmp_path)
    assert first != second
    assert first.is_dir() and second.is_dir()
    assert first.name.startswith('train-') and second.parent == tmp_path.resolve()


def test_policy_outside_eval_is_refused(tmp_path):
    with pytest.raises(ValueError, match='only used in eval mode'):
        node_graph('train', 'mujoco', run_dir=tmp_path, policy=tmp_path / 'x.safetensors')


@pytest.mark.skipif(
    importlib.util.find_spec('launch_ros') is None,
    reason='launch_ros is not installed (no ROS 2 apt install on this machine)',
)
@pytest.mark.parametrize('backend,publishers', [('mujoco', 1), ('real', 0)])
def test_rviz_starts_robot_state_publisher_only_in_simulation(backend, publishers):
    from dreamstride_bringup.launch_common import _rviz

    actions = _rviz('spot', True, backend)
    executables = [a.node_executable for a in actions]
    assert executables.count('robot_state_publisher') == publishers
    assert executables.count('rviz2') == 1
