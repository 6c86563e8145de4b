# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Re-evaluate every committed policy by physics, to say which of them walk.

    python -m dreamstride_lab.reevaluate docs/results

For each run directory (one with summary.json) and each of its final_policy and
best_policy files: the walk criterion's evaluation (locomotion_metrics.WALK: from lying,
3 randomised starts, 250 steps, forward 0.3 m/s) and one 1,000-step run from standing.
The evaluating agent observes what the run's training agent observed (its summary's
orientation_input). Rows go to RESULTS/reevaluation.csv as each policy finishes; a
Markdown table of them is printed at the end.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path
import sys
from typing import Any

POLICY_FILES = ('final_policy.safetensors', 'best_policy.safetensors')


# The agent of runs 1 to 7 (its defaults then): DayDreamer's roll and pitch unless the
# run said gravity, no yaw rate, no velocity command, and the heading reward they were
# trained on (the reward column; the physical measures do not depend on it).
RUNS_1_TO_7_OBSERVATION = {
    'orientation_input': 'roll_pitch',
    'command_input': False,
    'yaw_rate_input': False,
    'velocity_reward': 'heading',
}


# Runs whose summary.json does not record its evaluating agent (runs 1 to 11) ran with
# the heading hold off unless their overrides turned it on: agent.yaml turned it on for
# every graph only after run 10.
UNRECORDED_RUNS_AGENT = {'velocity_command.heading_hold_gain': 0.0}


def run_overrides(summary: dict[str, Any]) -> dict[str, Any]:
    """Return the agent values that evaluate a run's policies as the run evaluated them.

    A summary that records its evaluating agent (``evaluation_agent``) gives them all,
    but for node-only parameters and names the agent no longer declares; an older one
    gives its overrides over the agent of runs 1 to 7 with the heading hold off.
    """
    from dreamstride_agent.acting.agent_parameters import NODE_PARAMETERS, parameter_defaults
    from dreamstride_lab.experiment_arguments import evaluation_overrides, observation_overrides

    recorded = summary.get('evaluation_agent')
    if recorded:
        known = set(parameter_defaults()) - {p.name for p in NODE_PARAMETERS}
        return {k: v for k, v in recorded.items() if k in known}
    hold = {
        k: v
        for k, v in evaluation_overrides(summary['overrides']).items()
        if k in UNRECORDED_RUNS_AGENT
    }
    return {
        **RUNS_1_TO_7_OBSERVATION,
        **UNRECORDED_RUNS_AGENT,
        **observation_overrides(summary['overrides']),
        **hold,
    }


# The criterion evaluation's summary entries a row keeps (then the long run's measures).
SUMMARY_KEYS = (
    'mean_reward_per_step',
    'mean_speed_along_heading',
    'net_speed_along_command',
    'min_net_speed_along_command',
    'max_abs_heading_drift_deg',
    'non_foot_contact_share',
    'max_non_foot_contact_share',
    'upright_share',
    'min_upright_share',
    'foot_slip',
    'tracking_error',
    'yaw_rate_error',
    'max_time_to_stand',
    'walked_episodes',
    'episodes',
    'walked',
)


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) and math.isfinite(value) else value


def reevaluate_policy(
    policy: Path | None, overrides: dict[str, Any], starts: int, seed: int
) -> dict[str, Any]:
    """Return one CSV row: the criterion's evaluation and the long run of ``policy``."""
    from dreamstride_lab.evaluate import LONG_RUN_STEPS, evaluate, evaluation_agent_config
    from dreamstride_lab.locomotion_metrics import FORWARD_COMMAND, WALK

    config = evaluation_agent_config(overrides=overrides)
    judged = evaluate(
        policy,
        episodes=starts,
        episode_length=WALK.steps,
        initial_pose=WALK.start_pose,
        seed=seed,
        agent_config=config,
        command=FORWARD_COMMAND,
    )
    long = evaluate(
        policy,
        episodes=1,
        episode_length=LONG_RUN_STEPS,
        initial_pose='standing',
        seed=seed,
        agent_config=config,
        command=FORWARD_COMMAND,
    )
    s, run = judged.summary(), long.episodes[0]
    return {
        **{k: _round(s[k]) for k in SUMMARY_KEYS},
        'failures': ' | '.join(
            f'start {i}: {"; ".join(e.failures) or "walked"}'
            for i, e in enumerate(judged.episodes)
        ),
        'long_reward_per_step': _round(run.mean_reward),
        'long_displacement_along_command': _round(run.physics.displacement_along_command),
        'long_net_displacement': _round(run.physics.net_displacement),
        'long_heading_drift_deg': _round(run.physics.heading_drift_deg),
        'long_non_foot_contact_share': _round(run.physics.non_foot_contact_share),
        'long_upright_share': _round(run.physics.upright_share),
    }


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """Return the rows as the table in docs/results.md."""
    lines = [
        '| policy | reward per step | net speed along command (m/s), mean (worst) '
        '| heading drift, worst (deg) | non-foot contact, mean (worst) | upright, mean (worst) '
        '| walked | 1,000 steps from standing: m along command, drift (deg) |',
        '|---|---|---|---|---|---|---|---|',
    ]
    for r in rows:
        lines.append(
            f'| {r["policy"]} | {r["mean_reward_per_step"]:.2f} '
            f'| {r["net_speed_along_command"]:+.3f} ({r["min_net_speed_along_command"]:+.3f}) '
            f'| {r["max_abs_heading_drift_deg"]:.0f} '
            f'| {r["non_foot_contact_share"]:.0%} ({r["max_non_foot_contact_share"]:.0%}) '
            f'| {r["upright_share"]:.0%} ({r["min_upright_share"]:.0%}) '
            f'| {"**yes**" if r["walked"] else "no"} ({r["walked_episodes"]} of {r["episodes"]}) '
            f'| {r["long_displacement_along_command"]:+.2f}, {r["long_heading_drift_deg"]:+.0f} |'
        )
    return '\n'.join(lines)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Return the rows of a reevaluation CSV with numbers and flags typed again."""
    rows = []
    with open(path, newline='') as f:
        for raw in csv.DictReader(f):
            row: dict[str, Any] = {}
            for key, value in raw.items():
                try:
                    row[key] = float(value)
                except ValueError:
                    row[key] = value
            row['walked'] = raw['walked'] == 'True'
            row['walked_episodes'] = int(row['walked_episodes'])
            row['episodes'] = int(row['episodes'])
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Entry point: re-evaluate the policies under RESULTS and write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('results', type=Path, help='folder of run directories (docs/results)')
    parser.add_argument('--out', type=Path, help='CSV (default: RESULTS/reevaluation.csv)')
    parser.add_argument('--starts', type=int, default=3, help='randomised starts from lying')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--only', nargs='*', help='run directory names to do (default: all)')
    parser.add_argument(
        '--no-random', action='store_true', help='skip the random-policy baseline row'
    )
    parser.add_argument(
        '--table', action='store_true', help="only print the CSV's rows as a Markdown table"
    )
    args = parser.parse_args(argv)
    out = args.out or args.results / 'reevaluation.csv'
    if args.table:
        print(markdown_table(read_rows(out)))
        return 0
    jobs: list[tuple[str, Path | None, dict[str, Any]]] = []
    # Policies that record their observation layout are evaluated on it (evaluate() reads
    # it); the rest of the agent is the run's (run_overrides).
    for run in sorted(p for p in args.results.iterdir() if (p / 'summary.json').is_file()):
        if args.only and run.name not in args.only:
            continue
        overrides = run_overrides(json.loads((run / 'summary.json').read_text()))
        found = [name for name in POLICY_FILES if (run / name).is_file()]
        if not found:
            # docs/results keeps only the policies its claims name; the others are in git
            # history (docs/results.md, "Re-evaluated by physics", says which commit).
            print(f'reevaluate: {run.name}: no policy file here, skipped', file=sys.stderr)
        for name in found:
            jobs.append((f'{run.name}/{name.removesuffix(".safetensors")}', run / name, overrides))
    if not args.no_random:
        jobs.append(('random (no policy)', None, {}))
    rows = []
    for label, policy, overrides in jobs:
        row = {
            'policy': label,
            'orientation_input': overrides.get('orientation_input', 'default'),
            **reevaluate_policy(policy, overrides, args.starts, args.seed),
        }
        rows.append(row)
        print(f'{label}: walked {row["walked"]}; {row["failures"]}', flush=True)
        with open(out, 'w', newline='') as f:  # rewritten each time: a partial run keeps rows
            writer = csv.DictWriter(f, fieldnames=list(row))
            writer.writeheader()
            writer.writerows(rows)
    print(markdown_table(rows))
    print(f'results: {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
