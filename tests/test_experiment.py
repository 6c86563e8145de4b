# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The experiment command's smoke mode produces every output file, with real content,
also when it is stopped with Ctrl-C."""

import csv
import json
import signal
import subprocess
import sys
import time

from dreamstride_lab.experiment import OUTPUTS


def test_experiment_smoke_writes_every_output(tmp_path, ros_env):
    results = tmp_path / 'results'
    proc = subprocess.Popen(
        [
            sys.executable,
            '-m',
            'dreamstride_bringup.cli',
            'experiment',
            '--smoke',
            '--results',
            str(results),
            # The reset path (ResetSchedule -> the simulation's reset service) runs too.
            '--lie-down-every',
            '2',
        ],
        env=ros_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Ctrl-C once the learner has made a few updates: the experiment stops its nodes and
    # still writes every result (an interrupted run must not lose its analysis).
    deadline = time.monotonic() + 120.0
    status = results / 'status.csv'
    while time.monotonic() < deadline and proc.poll() is None:
        rows = list(csv.DictReader(open(status))) if status.is_file() else []
        if rows and int(rows[-1]['train_step'] or 0) >= 3:
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(1.0)
    try:
        output, _ = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
    assert 'Traceback' not in output, output[-3000:]
    assert proc.returncode == 0, output[-3000:]
    for name in OUTPUTS:
        assert (results / name).stat().st_size > 0, name
    summary = json.loads((results / 'summary.json').read_text())
    assert summary['smoke'] and summary['env_steps'] > 100
    assert summary['learner']['updates'] > 0
    assert summary['lie_down_every_s'] == 2.0 and summary['lie_downs'] >= 1, summary
    # Ticks the policy did not choose are counted (at least the wait for the recorder at
    # the start), and the agent's self-rights (often none in a smoke run).
    assert isinstance(summary['self_rights'], int)
    assert summary['ticks_not_chosen_by_the_policy'] > 0, summary
    assert summary['machine']['cpus'] and summary['daydreamer_a1']['first_episode_12'] == 57900
    curve = list(csv.DictReader(open(results / 'curve.csv')))
    assert curve and 0.0 <= float(curve[0]['mean_reward']) <= 14.0
    evals = list(csv.DictReader(open(results / 'eval.csv')))
    assert evals[-1]['policy'] == 'random' and len(evals) >= 2
    # The evaluations measure physics, not only the reward (locomotion_metrics).
    from dreamstride_lab.experiment_summary import EVAL_COLUMNS
    from dreamstride_lab.locomotion_metrics import WALK

    for row in evals:
        assert set(EVAL_COLUMNS) <= set(row), row
        assert 0.0 <= float(row['upright_share']) <= 1.0
        assert 0.0 <= float(row['non_foot_contact_share']) <= 1.0
        assert abs(float(row['net_speed_along_command'])) < 2.0
        assert row['walked'] == ''  # 40-step smoke evaluations are not the criterion's
    assert set(EVAL_COLUMNS) <= set(summary['final_eval'])
    assert summary['walk_criterion']['min_net_speed'] == WALK.min_net_speed
    assert list((results / 'checkpoints').glob('update_*.safetensors'))
    learner = list(csv.DictReader(open(results / 'learner.csv')))
    assert learner and 0.0 < float(learner[-1]['actor_std']) <= 1.0  # tiny's max_std
    assert (results / 'curve.png').read_bytes()[:4] == b'\x89PNG'
    # The final policy evaluates on its own, as `dreamstride eval --policy` loads it.
    from dreamstride_lab.evaluate import load_policy

    slot, version = load_policy(results / 'final_policy.safetensors', 0)
    assert slot.active is not None and version == summary['learner']['updates']
    # The evaluating agent is recorded whole, so a later default cannot change the verdicts.
    assert 'velocity_command.heading_hold_gain' in summary['evaluation_agent']
    # The snapshot that walked best is one of eval.csv's, exported and filmed.
    best = summary['best_snapshot']
    assert best['policy'] in {row['policy'] for row in evals[:-1]}
    slot, version = load_policy(results / 'best_policy.safetensors', 0)
    assert slot.active is not None and version == best['train_step']
    # Runs compare against DayDreamer's curve in one figure.
    from dreamstride_lab.compare_runs import main as compare

    assert compare([str(results), '--out', str(tmp_path / 'seeds.png')]) == 0
    assert (tmp_path / 'seeds.png').read_bytes()[:4] == b'\x89PNG'
    # --resume goes on training in the same directory for another sitting, then writes
    # the results of every sitting from the files, as --analyse-only does.
    first_rows = list(csv.DictReader(open(results / 'status.csv')))
    for name in ('summary.json', 'eval.csv', 'learner.csv'):
        (results / name).unlink()
    again = subprocess.run(
        [
            sys.executable,
            '-m',
            'dreamstride_bringup.cli',
            'experiment',
            '--smoke',
            '--resume',
            '--duration',
            '25',
            '--results',
            str(results),
        ],
        env=ros_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert 'resuming' in again.stdout and 'steps stored' in again.stdout
    for name in OUTPUTS:
        assert (results / name).stat().st_size > 0, name
    rows = list(csv.DictReader(open(results / 'status.csv')))
    assert rows[: len(first_rows)] == first_rows and len(rows) > len(first_rows)
    resumed = rows[len(first_rows) :]
    # The clock and the step count go on from the first sitting's, not from 0.
    assert float(resumed[0]['wall_s']) > float(first_rows[-1]['wall_s'])
    assert int(resumed[-1]['env_steps']) > int(first_rows[-1]['env_steps'])
    resumed_summary = json.loads((results / 'summary.json').read_text())
    assert resumed_summary['learner']['updates'] > summary['learner']['updates']
