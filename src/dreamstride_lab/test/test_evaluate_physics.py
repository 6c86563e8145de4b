# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The evaluator measures physics from randomised starts that really differ."""

import math

from dreamstride_bringup import cli
from dreamstride_lab.evaluate import _measure, evaluate
from dreamstride_lab.locomotion_metrics import WALK, LocomotionMeter, VelocityCommand
import pytest
from spot_mujoco.simulation import SpotSimulation


@pytest.mark.parametrize('yaw', [0.0, 2.0, -3.0])
def test_a_robot_standing_still_is_measured_as_standing_still(yaw):
    with SpotSimulation(seed=0) as sim:
        sim.reset('standing', yaw=yaw)
        substeps = round(0.05 / sim.timestep)
        meter = LocomotionMeter(0.05, sim.body_state().position, sim.body_yaw())
        for _ in range(40):
            sim.step(substeps)
            _measure(meter, sim)
    m = meter.result()
    assert m.time_to_stand == pytest.approx(0.05)
    assert m.upright_share == 1.0 and m.non_foot_contact_share == 0.0
    assert abs(m.net_speed_along_command) < 0.01 and abs(m.heading_drift_deg) < 1.0
    assert m.tracking_error == pytest.approx(0.3, abs=0.02)  # asked for 0.3, stood
    assert m.foot_slip < 0.02
    assert WALK.failures(m) == [
        f'net speed along the command {m.net_speed_along_command:.4f} < {WALK.min_net_speed} m/s'
    ]


def test_starts_differ_and_every_episode_is_measured():
    result = evaluate(None, episodes=3, episode_length=8, initial_pose='lying', seed=5)
    yaws = [e.start_yaw for e in result.episodes]
    assert (
        min(abs(math.remainder(a - b, 2 * math.pi)) for a in yaws for b in yaws if a != b) > 0.05
    )
    assert len(set(yaws)) == 3
    # Different starts, different episodes (from a fixed pose they were all one).
    assert len({round(e.mean_reward, 9) for e in result.episodes}) == 3
    summary = result.summary()
    assert summary['walked'] is None  # 8 steps: not the criterion's setting
    assert summary['command'] == {'vx': 0.3, 'vy': 0.0, 'wz': 0.0}
    for row in summary['per_episode']:
        assert row['steps'] == 8 and 0.0 <= row['upright_share'] <= 1.0
    again = evaluate(None, episodes=3, episode_length=8, initial_pose='lying', seed=5)
    assert [e.start_yaw for e in again.episodes] == yaws  # seeded
    turning = evaluate(
        None, episodes=1, episode_length=8, seed=5, command=VelocityCommand(wz=0.5)
    ).episodes[0]
    assert turning.physics.yaw_rate_error > 0.3  # measured against the command given


def test_eval_command_prints_the_physics_and_the_verdict(tmp_path, capsys):
    rc = cli.main(
        [
            'eval',
            '--run-dir',
            str(tmp_path),
            '--episodes',
            '2',
            '--episode-length',
            '6',
            '--command',
            '0.2',
            '0',
            '0.1',
            '--video',
            str(tmp_path / 'e.gif'),
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    assert 'command vx +0.20 m/s, vy +0.00 m/s, wz +0.10 rad/s; 2 starts from lying' in out
    assert out.count('net along command') == 2 and 'heading drift' in out
    assert 'walked: not judged' in out
    assert 'distance' not in out  # world-x distance is no measure of progress
    assert cli.main(['eval', '--run-dir', str(tmp_path), '--command', 'nan', '0', '0']) == 2


def test_sampled_actions_are_an_option_and_the_mode_the_default(tmp_path, capsys):
    """--sample acts as training collects (sampled actions); by default the policy's mode."""
    from dreamstride_agent.dreamer.config import load_config
    from dreamstride_agent.dreamer.learner import DreamerLearner
    from dreamstride_lab.evaluate import evaluation_agent_config

    config = evaluation_agent_config()
    learner = DreamerLearner(load_config('tiny'), config.observation_spec().size, 12, device='cpu')
    learner.observation_keys = config.observation_spec().describe()
    data, _ = learner.export_policy(1)
    policy = tmp_path / 'policy.safetensors'
    policy.write_bytes(data)

    def rewards(**kwargs) -> list[float]:
        result = evaluate(policy, episodes=1, episode_length=20, seed=3, **kwargs)
        return [result.summary()['sampled_actions'], result.episodes[0].mean_reward]

    mode = rewards()
    assert mode == rewards() and mode[0] is False  # the mode: the same start, the same run
    sampled = rewards(sample_actions=True)
    assert sampled[0] is True and sampled[1] != mode[1]
    args = ['eval', '--run-dir', str(tmp_path), '--policy', str(policy), '--episodes', '1']
    args += ['--episode-length', '4', '--video', str(tmp_path / 'e.gif'), '--sample']
    assert cli.main(args) == 0
    assert 'steps (' + str(policy) + ', sampled actions)' in capsys.readouterr().out
