# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""reevaluate finds every committed policy, evaluates it as it was trained, and writes a CSV."""

import json

from dreamstride_lab import reevaluate


def test_every_policy_is_found_and_observes_what_it_trained_on(tmp_path, monkeypatch, capsys):
    for run, agent in (
        ('gravity-seed0', {'seed': 1, 'orientation_input': 'gravity'}),
        ('long-seed1', {'seed': 2}),
    ):
        (tmp_path / run).mkdir()
        (tmp_path / run / 'summary.json').write_text(json.dumps({'overrides': {'agent': agent}}))
        (tmp_path / run / 'final_policy.safetensors').write_bytes(b'')
    (tmp_path / 'long-seed1' / 'best_policy.safetensors').write_bytes(b'')
    (tmp_path / 'plots').mkdir()  # no summary.json: not a run
    calls = []

    def fake(policy, overrides, starts, seed):
        """reevaluate_policy's summary keys, and the long run measures the table shows."""
        calls.append((policy, overrides, starts))
        walked = policy is not None and 'best' in policy.name
        return {
            **{k: 0.1 for k in reevaluate.SUMMARY_KEYS},
            'long_displacement_along_command': 0.1,
            'long_heading_drift_deg': 0.1,
            'walked_episodes': starts if walked else 0,
            'episodes': starts,
            'walked': walked,
            'failures': '',
        }

    monkeypatch.setattr(reevaluate, 'reevaluate_policy', fake)
    assert reevaluate.main([str(tmp_path), '--starts', '4']) == 0
    # Runs 1 to 7's agent, heading hold off, with each run's own orientation input over it.
    old = {**reevaluate.RUNS_1_TO_7_OBSERVATION, 'velocity_command.heading_hold_gain': 0.0}
    assert [(c[0] and c[0].relative_to(tmp_path).as_posix(), c[1], c[2]) for c in calls] == [
        ('gravity-seed0/final_policy.safetensors', {**old, 'orientation_input': 'gravity'}, 4),
        ('long-seed1/final_policy.safetensors', old, 4),
        ('long-seed1/best_policy.safetensors', old, 4),
        (None, {}, 4),
    ]
    assert old['orientation_input'] == 'roll_pitch' and old['command_input'] is False
    rows = reevaluate.read_rows(tmp_path / 'reevaluation.csv')
    assert [r['policy'] for r in rows] == [
        'gravity-seed0/final_policy',
        'long-seed1/final_policy',
        'long-seed1/best_policy',
        'random (no policy)',
    ]
    assert [r['walked'] for r in rows] == [False, False, True, False]
    capsys.readouterr()
    assert reevaluate.main([str(tmp_path), '--table']) == 0
    table = capsys.readouterr().out
    assert '| long-seed1/best_policy | 0.10 |' in table and '**yes** (4 of 4)' in table


def test_a_run_is_judged_with_the_agent_it_recorded_or_its_own_overrides():
    from dreamstride_agent.acting.agent_parameters import parameter_defaults

    # Run 10 set the heading hold on the command line; its summary records no agent.
    run10 = {'overrides': {'agent': {'seed': 3, 'velocity_command.heading_hold_gain': 0.5}}}
    assert reevaluate.run_overrides(run10)['velocity_command.heading_hold_gain'] == 0.5
    assert 'seed' not in reevaluate.run_overrides(run10)  # a node-only parameter
    # A summary that records its evaluating agent is judged with exactly that agent, even
    # where today's defaults or agent.yaml differ; names gone since are dropped.
    recorded = {
        **parameter_defaults(),
        'velocity_command.heading_hold_gain': 0.25,
        'reward_gate': 0.6,
        'a_parameter_since_removed': 1.0,
    }
    got = reevaluate.run_overrides({'overrides': {'agent': {}}, 'evaluation_agent': recorded})
    assert got['velocity_command.heading_hold_gain'] == 0.25 and got['reward_gate'] == 0.6
    assert 'a_parameter_since_removed' not in got and 'seed' not in got
