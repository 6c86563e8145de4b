# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The walking experiment's figure, curve.png.

Reward per step (top) and speed (bottom) against environment steps (left) and wall-clock
minutes (right): the training data, the snapshots' evaluations from lying, the random
policy, DayDreamer's published A1 curve and the walk criterion's speed.
"""

from __future__ import annotations

from pathlib import Path

from dreamstride_lab.experiment_summary import DAYDREAMER_A1
from dreamstride_lab.locomotion_metrics import WALK


def plot_curves(path: Path, curve: list[dict], evals: list[dict], args) -> None:
    """Draw the training ``curve`` and the evaluations ``evals`` into ``path``."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    steps = [r['env_step_end'] for r in curve]
    minutes = [r['wall_minutes'] for r in curve]
    snaps = [e for e in evals if e['policy'] != 'random']
    random_row = next(e for e in evals if e['policy'] == 'random')
    for col, (xs, xlabel) in enumerate(
        ((steps, 'environment steps'), (minutes, 'wall-clock minutes'))
    ):
        ex = [e['env_steps'] for e in snaps] if col == 0 else [e['wall_s'] / 60 for e in snaps]
        _plot_reward(axes[0, col], xs, ex, curve, snaps, random_row, xlabel, per_step=col == 0)
        _plot_speed(axes[1, col], xs, ex, curve, snaps, random_row, xlabel)
    fig.suptitle(
        f'Spot (MuJoCo) learning to stand and walk, speed {args.speed:g}x'
        + (' (smoke run)' if args.smoke else '')
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _plot_reward(
    ax,
    xs: list[float],
    ex: list[float],
    curve: list[dict],
    snaps: list[dict],
    random_row: dict,
    xlabel: str,
    per_step: bool,
) -> None:
    """Draw reward per step against ``xs`` (training) and ``ex`` (evaluations) on ``ax``.

    ``per_step``: the x axis counts environment steps (else wall-clock minutes), which
    places DayDreamer's curve and adds the maximum reward.
    """
    ax.plot(xs, [r['mean_reward'] for r in curve], label='training (per 1000 steps)')
    ax.plot(
        ex,
        [e['mean_reward_per_step'] for e in snaps],
        'o-',
        label='evaluation from lying down',
    )
    ax.axhline(random_row['mean_reward_per_step'], color='grey', ls=':', label='random policy')
    # DayDreamer's A1 per environment step (and at its 20 Hz, per minute).
    scale = 1.0 if per_step else 1.0 / 1200.0
    for i, (start, end, value) in enumerate(DAYDREAMER_A1['reward_bins']):
        ax.hlines(
            value,
            start * scale,
            end * scale,
            colors='red',
            lw=3,
            label='DayDreamer A1 (published)' if i == 0 else None,
        )
    for key, level in (('first_episode_10', 10.0), ('first_episode_12', 12.0)):
        ax.plot(DAYDREAMER_A1[key] * scale, level, 'r^')
    if per_step:
        ax.axhline(
            DAYDREAMER_A1['reward_max'],
            color='red',
            ls='--',
            lw=0.8,
            label='maximum reward 14',
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel('reward per step')
    ax.legend(fontsize=8)


def _plot_speed(
    ax,
    xs: list[float],
    ex: list[float],
    curve: list[dict],
    snaps: list[dict],
    random_row: dict,
    xlabel: str,
) -> None:
    """Draw speed against ``xs`` (training) and ``ex`` (evaluations) on ``ax``."""
    ax.plot(xs, [r['mean_forward_velocity'] for r in curve], label='training, along heading')
    ax.plot(
        ex,
        [e['mean_speed_along_heading'] for e in snaps],
        'o:',
        label='evaluation, along heading (what the reward pays)',
    )
    ax.plot(
        ex,
        [e['net_speed_along_command'] for e in snaps],
        'o-',
        label='evaluation, net along the command',
    )
    ax.axhline(random_row['net_speed_along_command'], color='grey', ls=':', label='random')
    ax.axhline(0.3, color='red', ls='--', lw=0.8, label='target 0.3 m/s')
    ax.axhline(WALK.min_net_speed, color='red', ls=':', lw=0.8, label='walk criterion')
    ax.set_xlabel(xlabel)
    ax.set_ylabel('speed (m/s)')
    ax.legend(fontsize=8)
