# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""In-process evaluation reads the agent's parameter files, --config and -p as a node would."""

from dreamstride_bringup import cli
from dreamstride_lab.evaluate import agent_parameter_values, evaluation_agent_config
import numpy as np
import pytest


def _write(path, text):
    path.write_text(text)
    return path


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

    from dreamstride_lab import experiment_arguments

    parser = argparse.ArgumentParser()
    experiment_arguments.add_arguments(parser)
    args = parser.parse_args(['--orientation-input', 'roll_pitch'])
    overrides = experiment_arguments.settings(args).overrides
    assert overrides['agent']['orientation_input'] == 'roll_pitch'
    observed = experiment_arguments.observation_overrides(overrides)
    config = evaluation_agent_config(overrides=observed)
    # DayDreamer's roll and pitch: two numbers where the default gravity vector has three.
    assert config.observation_spec().size == evaluation_agent_config().observation_spec().size - 1
    default = experiment_arguments.settings(parser.parse_args([])).overrides
    assert 'orientation_input' not in default['agent']
    with pytest.raises(SystemExit):
        parser.parse_args(['--orientation-input', 'quaternion'])


def test_experiment_param_reaches_training_and_evaluation():
    """-p NODE:NAME=VALUE overrides the graph's nodes; the evaluating agent takes the agent's."""
    import argparse

    from dreamstride_lab import experiment_arguments

    parser = argparse.ArgumentParser()
    experiment_arguments.add_arguments(parser)
    args = parser.parse_args(
        ['-p', 'agent:tracking_yaw_rate_sigma=0.15', '-p', 'learner:checkpoint_every=30']
    )
    overrides = experiment_arguments.settings(args).overrides
    assert overrides['agent']['tracking_yaw_rate_sigma'] == 0.15
    assert overrides['learner']['checkpoint_every'] == 30
    assert overrides['learner']['train_ratio'] == 256.0  # the experiment's own stay
    evaluated = experiment_arguments.evaluation_overrides(overrides)
    assert evaluated == {'tracking_yaw_rate_sigma': 0.15}  # not the node-only seed
    assert evaluation_agent_config(overrides=evaluated).reward.yaw_rate_sigma == 0.15
    for bad, named in (('simulator:x=1', "no node 'simulator'"), ('agent:yaw=1', "'yaw'")):
        with pytest.raises(ValueError, match=named):
            experiment_arguments.settings(parser.parse_args(['-p', bad]))
