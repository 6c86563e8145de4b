# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Plot several walking-experiment runs against DayDreamer's published A1 curve.

    python -m dreamstride_lab.compare_runs docs/results/walk-seed0 docs/results/walk-seed1 \
        --out docs/results/seeds.png

Reads each run's curve.csv (reward per step and forward velocity of the training data,
per 1000 environment steps) and eval.csv (evaluations of the snapshots from lying, mode
of the policy), and draws them per environment step beside DayDreamer's A1 numbers.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
import sys

from dreamstride_lab.experiment_summary import DAYDREAMER_A1


def _rows(path: Path) -> list[dict]:
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def plot(runs: list[Path], out: Path) -> None:
    """Write the comparison figure of ``runs`` to ``out``."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, (reward_ax, speed_ax) = plt.subplots(1, 2, figsize=(13, 4.5))
    for i, run in enumerate(runs):
        _plot_run(reward_ax, speed_ax, run, f'C{i}')
    _finish_reward_axis(reward_ax)
    speed_ax.axhline(0.3, color='grey', ls='--', lw=0.8, label='velocity target 0.3 m/s')
    speed_ax.set_xlabel('environment steps')
    speed_ax.set_ylabel('forward velocity (m/s, heading frame)')
    speed_ax.legend(fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def _plot_run(reward_ax, speed_ax, run: Path, color: str) -> None:
    """Draw one run's training curve and evaluations from lying, in ``color``."""
    curve = _rows(run / 'curve.csv')
    steps = [float(r['env_step_end']) for r in curve]
    reward_ax.plot(
        steps,
        [float(r['mean_reward']) for r in curve],
        color=color,
        label=f'{run.name}: training data',
    )
    speed_ax.plot(
        steps,
        [float(r['mean_forward_velocity']) for r in curve],
        color=color,
        label=f'{run.name}: training data',
    )
    evals = [e for e in _rows(run / 'eval.csv') if e['policy'] != 'random']
    if evals:
        xs = [float(e['env_steps']) for e in evals]
        reward_ax.plot(
            xs,
            [float(e['mean_reward_per_step']) for e in evals],
            'o--',
            color=color,
            label=f'{run.name}: evaluation from lying',
        )
        speed_ax.plot(
            xs,
            # speed along the heading: eval.csv's name since the physical
            # measures came, and before them
            [
                float(e.get('mean_speed_along_heading') or e['mean_forward_velocity'])
                for e in evals
            ],
            'o--',
            color=color,
            label=f'{run.name}: evaluation from lying',
        )


def _finish_reward_axis(reward_ax) -> None:
    """Add DayDreamer's published A1 curve, the reward's landmarks, labels and legend."""
    for j, (start, end, value) in enumerate(DAYDREAMER_A1['reward_bins']):
        reward_ax.hlines(
            value,
            start,
            end,
            colors='red',
            lw=3,
            label='DayDreamer A1 (published)' if j == 0 else None,
        )
    reward_ax.plot(
        DAYDREAMER_A1['first_episode_10'],
        10.0,
        'r^',
        label='DayDreamer: first episodes at 10 and 12',
    )
    reward_ax.plot(DAYDREAMER_A1['first_episode_12'], 12.0, 'r^')
    reward_ax.axhline(9.0, color='grey', ls=':', lw=0.8, label='standing still (9)')
    reward_ax.axhline(14.0, color='grey', ls='--', lw=0.8, label='maximum (14)')
    reward_ax.set_xlabel('environment steps')
    reward_ax.set_ylabel('reward per step')
    reward_ax.legend(fontsize=7)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('runs', type=Path, nargs='+', help='experiment results directories')
    parser.add_argument('--out', type=Path, required=True, help='figure file (.png)')
    args = parser.parse_args(argv)
    missing = [r for r in args.runs if not (r / 'curve.csv').is_file()]
    if missing:
        print(f'compare_runs: no curve.csv in {", ".join(map(str, missing))}', file=sys.stderr)
        return 2
    plot(args.runs, args.out)
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
