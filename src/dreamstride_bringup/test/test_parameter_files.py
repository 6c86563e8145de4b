# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Each agent and learner default is defined once; parameter files hold deliberate
deviations only."""

import dataclasses
from pathlib import Path
import subprocess
import sys

from dreamstride_agent.acting.agent_core import AgentConfig
from dreamstride_agent.acting.agent_parameters import (
    agent_config_from_parameters,
    agent_parameters,
    parameter_defaults,
)
from dreamstride_agent.acting.velocity_command import VelocityCommandConfig
from dreamstride_agent.config_fields import description_of
from dreamstride_agent.learning.learner_core import (
    LearnerSettings,
    learner_parameters,
    learner_settings_from_parameters,
)
from dreamstride_bringup.parameter_files import read_parameter_files
import pytest
import yaml

CONFIG = Path(__file__).resolve().parents[1] / 'config'

# The agent's ROS parameter names, as launch files, scripts and users know them.
AGENT_PARAMETER_NAMES = {
    'control_rate',
    'episode_length',
    'max_sensor_age',
    'hold_mode',
    'dry_run',
    'joint_velocities',
    'orientation_input',
    'camera',
    'filter_cutoff',
    'max_step',
    'action_scale_hip_x',
    'action_scale_hip_y',
    'action_scale_knee',
    'velocity_target',
    'reward_gate',
    'max_policy_bytes',
    'seed',
    'robot_name',
    'policy_checkpoint',
    'wait_for_recorder',
    'policy_sample',
    'odometry_twist_frame',
    'self_right_after',
    'command_input',
    'yaw_rate_input',
    'velocity_reward',
    'tracking_linear_scale',
    'tracking_yaw_rate_sigma',
    'tracking_average_time',
    *(f'velocity_command.{f.name}' for f in dataclasses.fields(VelocityCommandConfig)),
}

# Every agent value a parameter file sets, with why it differs from the default. A value
# that drifts in a file, or a default that drifts onto (or away from) it, fails the test.
DEVIATIONS = {
    'agent.yaml': {
        'velocity_command.heading_hold_gain': (
            0.5,
            'a straight command means a straight path: run 10 walked straight with it',
        ),
    },
    'real_spot.yaml': {
        'hold_mode': ('none', 'never command a posture the robot did not ask for'),
        'dry_run': (True, 'nothing is sent until a person decides to'),
        'max_step': (0.05, 'conservative rate limit on the real robot'),
        'action_scale_hip_x': (0.15, 'conservative action range on the real robot'),
        'action_scale_hip_y': (0.3, 'conservative action range on the real robot'),
        'action_scale_knee': (0.3, 'conservative action range on the real robot'),
        'max_sensor_age': (0.1, 'the robot publishes over the network'),
        'odometry_twist_frame': ('odom', "spot_driver's odometry twist is in the odom frame"),
        'self_right_after': (0.0, 'a real Spot rights itself with its own controller'),
    },
    'daydreamer_walk.yaml': {
        'max_sensor_age': (0.15, 'scheduling jitter on a busy 2-core machine'),
        'velocity_command.source': ('sampler', 'training draws its own commands'),
    },
}

LEARNER_DEVIATIONS = {
    'learner.yaml': {
        'model': ('cpu', "sized for a CPU learner; 'daydreamer' needs a GPU to keep up"),
        'torch_threads': (1, 'more threads oversubscribe a shared 2-core machine'),
    },
    'daydreamer_walk.yaml': {
        'model': ('cpu', 'the experiment runs on a CPU learner'),
        'train_ratio': (256.0, "DayDreamer's A1 ratio, locked"),
        'checkpoint_every': (60.0, 'snapshots for the learning curve'),
        'torch_threads': (1, 'more threads oversubscribe a shared 2-core machine'),
        'prefill_policy': (True, 'the untrained actor collects the prefill'),
        'model_overrides': (
            ['train.entropy=0.0', 'train.actor_grad=reinforce', 'model.action_std_offset=-3.555'],
            'no entropy bonus and REINFORCE: the runs that kept standing; initial actor '
            'std 0.125: run 10, the first walking gait',
        ),
    },
}

# DayDreamer's A1 settings (Wu et al., CoRL 2022), which the walking experiment reproduces.
DAYDREAMER = {
    'control_rate': 20.0,
    'episode_length': 250,
    'joint_velocities': False,
    'filter_cutoff': 1.5,
    'velocity_target': 0.3,
    'reward_gate': 0.7,
}
DAYDREAMER_LEARNER = {'prefill_steps': 5000, 'sync_every': 20.0, 'train_ratio': 256.0}


def _agent_values(path: Path, node: str = 'agent') -> dict:
    """Return the node's values in ``path`` as rcl names them (groups as ``a.b``)."""
    return read_parameter_files([path], f'/spot/{node}')


def test_parameter_names_and_descriptions():
    specs = agent_parameters()
    assert [s.name for s in specs if s.name in AGENT_PARAMETER_NAMES] == [s.name for s in specs]
    assert {s.name for s in specs} == AGENT_PARAMETER_NAMES
    for spec in specs:
        assert spec.description.strip(), f'{spec.name} has no description'
        assert type(spec.default) in (bool, int, float, str), spec


@pytest.mark.parametrize(
    'cls', [AgentConfig, type(AgentConfig().command), type(AgentConfig().reward)]
)
def test_every_config_field_is_described(cls):
    for f in dataclasses.fields(cls):
        assert description_of(cls, f.name).strip()


def test_defaults_build_the_default_config():
    assert agent_config_from_parameters(parameter_defaults()) == AgentConfig()
    assert agent_config_from_parameters({}) == AgentConfig()


@pytest.mark.parametrize('name', sorted(DEVIATIONS))
def test_parameter_files_set_only_deliberate_deviations(name):
    defaults = parameter_defaults()
    values = _agent_values(CONFIG / name)
    deviations = {k: v for k, (v, _reason) in DEVIATIONS[name].items()}
    assert values == deviations, f'{name}: values differ from its listed deviations'
    for key, value in values.items():
        assert value != defaults[key], f'{name}: {key}: {value!r} is the default, drop it'
        assert type(value) is type(defaults[key]), f'{name}: {key}: {value!r} has another type'
    assert agent_config_from_parameters({**defaults, **values})  # and they are valid


def test_walking_experiment_runs_daydreamer_settings():
    values = {
        **parameter_defaults(),
        **_agent_values(CONFIG / 'agent.yaml'),
        **_agent_values(CONFIG / 'daydreamer_walk.yaml'),
    }
    assert {k: values[k] for k in DAYDREAMER} == DAYDREAMER


def test_learner_parameters_come_from_its_settings():
    specs = learner_parameters()
    assert all(s.description.strip() for s in specs)
    for f in dataclasses.fields(LearnerSettings):
        assert description_of(LearnerSettings, f.name).strip()
    defaults = {s.name: s.default for s in specs}
    assert learner_settings_from_parameters(defaults) == LearnerSettings()
    assert defaults['model_overrides'] == ['']  # a typed (string array) default


@pytest.mark.parametrize('name', sorted(LEARNER_DEVIATIONS))
def test_learner_files_set_only_deliberate_deviations(name):
    defaults = {s.name: s.default for s in learner_parameters()}
    values = _agent_values(CONFIG / name, 'learner')
    assert values == {k: v for k, (v, _reason) in LEARNER_DEVIATIONS[name].items()}, name
    for key, value in values.items():
        assert value != defaults[key], f'{name}: {key}: {value!r} is the default, drop it'
        assert type(value) is type(defaults[key]), f'{name}: {key}: {value!r} has another type'


def test_walking_experiment_learns_with_daydreamer_settings():
    values = {
        **{s.name: s.default for s in learner_parameters()},
        **_agent_values(CONFIG / 'learner.yaml', 'learner'),
        **_agent_values(CONFIG / 'daydreamer_walk.yaml', 'learner'),
    }
    assert {k: values[k] for k in DAYDREAMER_LEARNER} == DAYDREAMER_LEARNER


def test_the_simulation_publishes_once_per_default_control_period():
    from dreamstride_agent.acting.command_filter import CommandConfig
    from dreamstride_bringup.graph import SIM_RATES_OF_CONTROL

    sim = yaml.safe_load((CONFIG / 'spot_mujoco.yaml').read_text())['/**']['ros__parameters']
    for name in SIM_RATES_OF_CONTROL:
        assert sim[name] == CommandConfig().control_rate, name


def test_a_control_rate_in_a_config_file_reaches_the_simulation(tmp_path):
    from dreamstride_bringup.graph import node_graph

    def sim_parameters(text: str, **kwargs) -> dict:
        config = tmp_path / 'rate.yaml'
        config.write_text(text)
        nodes = node_graph('train', 'mujoco', config=config, **kwargs)
        return {n.key: n.parameters for n in nodes if n.name == 'spot_mujoco'}

    agent_50 = '/**/agent:\n  ros__parameters:\n    control_rate: 50\n'
    (one,) = sim_parameters(agent_50).values()
    assert one['publish_rate'] == one['clock_rate'] == 50.0
    # A rate the file sets for the simulation itself is kept.
    both = agent_50 + '/**/spot_mujoco:\n  ros__parameters:\n    clock_rate: 100.0\n'
    (kept,) = sim_parameters(both).values()
    assert kept['publish_rate'] == 50.0 and 'clock_rate' not in kept
    # A section naming the robot's namespace, and every robot of a multi-robot run.
    named = sim_parameters('/spot/agent:\n  ros__parameters:\n    control_rate: 40.0\n')
    assert [p['publish_rate'] for p in named.values()] == [40.0]
    robots = sim_parameters(agent_50, robots=2)
    assert len(robots) == 2 and all(p['clock_rate'] == 50.0 for p in robots.values())
    # Without a rate in any file the simulation keeps its own defaults.
    (plain,) = sim_parameters('/**/learner:\n  ros__parameters:\n    seed: 3\n').values()
    assert 'publish_rate' not in plain and 'clock_rate' not in plain


def test_an_overridden_control_rate_reaches_the_simulation():
    from dreamstride_bringup.graph import follow_control_rate, node_graph

    nodes = node_graph('train', 'mujoco')
    given = {'agent': {'control_rate': 50.0}, 'spot_mujoco': {'clock_rate': 100.0}}
    result = follow_control_rate(nodes, given)
    assert result['spot_mujoco'] == {'clock_rate': 100.0, 'publish_rate': 50.0}
    assert given['spot_mujoco'] == {'clock_rate': 100.0}  # the caller's dict is unchanged
    assert follow_control_rate(nodes, {'learner': {'seed': 1}}) == {'learner': {'seed': 1}}
    real = node_graph('train', 'real')  # no simulation to follow it
    assert follow_control_rate(real, {'agent': {'control_rate': 50.0}}) == {
        'agent': {'control_rate': 50.0}
    }


def _write_file(path, text):
    path.write_text(text)
    return path


def test_parameter_files_merge_as_rcl_merges_them(tmp_path, ros_env):
    """The same files give the same values here and in an rclpy node."""
    first = _write_file(
        tmp_path / 'a.yaml',
        (
            '/**:\n  ros__parameters:\n    a: 1\n    b: 1\n    c: 1\n'
            '/**/agent:\n  ros__parameters:\n    b: 2\n    nested: {x: 5}\n'
            '/**/learner:\n  ros__parameters:\n    c: 9\n'
        ),
    )
    second = _write_file(
        tmp_path / 'b.yaml',
        (
            '/**:\n  ros__parameters:\n    b: 3\n    c: 3\n'
            '/other/agent:\n  ros__parameters:\n    a: 8\n'
            '/spot/agent:\n  ros__parameters:\n    d: 4\n'
        ),
    )
    ours = read_parameter_files([first, second], '/spot/agent')
    # Later files win, node sections beat /** whichever file they are in, others ignored.
    assert ours == {'a': 1, 'b': 2, 'c': 3, 'd': 4, 'nested.x': 5}
    script = (
        'import rclpy, sys; rclpy.init(args=sys.argv[1:]); '
        'n = rclpy.create_node("agent", namespace="spot"); '
        'print({k: n.declare_parameter(k, 0).value for k in "abcd"}, '
        'n.declare_parameter("nested.x", 0).value)'
    )
    out = subprocess.run(
        [
            sys.executable,
            '-c',
            script,
            '--ros-args',
            '--params-file',
            str(first),
            '--params-file',
            str(second),
        ],
        env=ros_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == f'{ {k: ours[k] for k in "abcd"} } 5', out.stderr
