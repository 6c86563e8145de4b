# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""In-process evaluation reads the agent's parameter files, --config and -p as a node would."""

import subprocess
import sys

from dreamstride_bringup import cli
from dreamstride_bringup.evaluate import (
    agent_parameter_values,
    evaluation_agent_config,
    read_parameter_files,
)
import numpy as np
import pytest


def _write(path, text):
    path.write_text(text)
    return path


def test_parameter_files_merge_as_rcl_merges_them(tmp_path, ros_env):
    """The same files give the same values here and in an rclpy node."""
    first = _write(
        tmp_path / 'a.yaml',
        (
            '/**:\n  ros__parameters:\n    a: 1\n    b: 1\n    c: 1\n'
            '/**/agent:\n  ros__parameters:\n    b: 2\n    nested: {x: 5}\n'
            '/**/learner:\n  ros__parameters:\n    c: 9\n'
        ),
    )
    second = _write(
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


def test_config_file_and_overrides_reach_the_agent_config(tmp_path):
    mine = _write(
        tmp_path / 'mine.yaml',
        (
            '/**:\n  ros__parameters:\n    filter_cutoff: 0.0\n    max_step: 0.2\n    model: cpu\n'
            '/**/agent:\n  ros__parameters:\n    reward_gate: 0.5\n'
        ),
    )
    config = evaluation_agent_config(mine, {'max_step': 0.1})
    assert config.command.filter_cutoff == 0.0
    assert config.command.max_step == 0.1  # -p beats the file
    assert config.reward.gate == 0.5
    assert config.sample_actions is False  # the eval graph's own value
    assert evaluation_agent_config().command.max_step == 0.25
    assert agent_parameter_values(mine)['max_step'] == 0.2
    with pytest.raises(ValueError, match='max_stepp'):
        evaluation_agent_config(mine, {'max_stepp': 0.1})
    with pytest.raises(ValueError, match='max_step'):
        evaluation_agent_config(mine, {'max_step': 'fast'})


def test_eval_command_honours_config_and_p(tmp_path, monkeypatch, capsys):
    """`dreamstride eval --config F -p agent:max_step=0.1`: no command moves more per tick."""
    from spot_mujoco.simulation import SpotSimulation

    commands = []
    original = SpotSimulation.set_position_targets

    def record(self, targets):
        commands.append(np.array(targets, dtype=float))
        return original(self, targets)

    monkeypatch.setattr(SpotSimulation, 'set_position_targets', record)
    # No low-pass filter: random actions then jump far more than 0.1 rad per tick.
    mine = _write(tmp_path / 'mine.yaml', '/**:\n  ros__parameters:\n    filter_cutoff: 0.0\n')
    rc = cli.main(
        [
            'eval',
            '--run-dir',
            str(tmp_path),
            '--episodes',
            '1',
            '--episode-length',
            '20',
            '--initial-pose',
            'on_back',
            '--video',
            str(tmp_path / 'e.mp4'),
            '--config',
            str(mine),
            '-p',
            'agent:max_step=0.1',
        ]
    )
    assert rc == 0, capsys.readouterr()
    steps = np.abs(np.diff(np.array(commands), axis=0)).max(axis=1)
    assert len(commands) == 20
    assert steps.max() <= 0.1 + 1e-9
    assert np.isclose(steps.max(), 0.1)  # the limit bound, so 0.25 would have shown


def test_eval_command_refuses_bad_overrides(tmp_path, capsys):
    base = ['eval', '--run-dir', str(tmp_path), '--episodes', '1']
    assert cli.main([*base, '-p', 'agent:max_stepp=0.1']) == 2
    assert "no parameter 'max_stepp'" in capsys.readouterr().err
    assert cli.main([*base, '-p', 'learner:model=tiny']) == 2
    assert 'use --ros' in capsys.readouterr().err
    assert cli.main([*base, '--config', str(tmp_path / 'missing.yaml')]) == 2
    assert 'missing.yaml' in capsys.readouterr().err


def test_experiment_orientation_input_reaches_training_and_evaluation():
    """--orientation-input is an agent override, and the evaluations observe the same."""
    import argparse

    from dreamstride_bringup import experiment

    parser = argparse.ArgumentParser()
    experiment.add_arguments(parser)
    args = parser.parse_args(['--orientation-input', 'roll_pitch'])
    overrides, _ = experiment._overrides(args)
    assert overrides['agent']['orientation_input'] == 'roll_pitch'
    config = evaluation_agent_config(overrides=experiment._observation_overrides(overrides))
    # DayDreamer's roll and pitch: two numbers where the default gravity vector has three.
    assert config.observation_spec().size == evaluation_agent_config().observation_spec().size - 1
    default, _ = experiment._overrides(parser.parse_args([]))
    assert 'orientation_input' not in default['agent']
    with pytest.raises(SystemExit):
        parser.parse_args(['--orientation-input', 'quaternion'])
