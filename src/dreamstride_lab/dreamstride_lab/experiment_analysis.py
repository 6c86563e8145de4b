# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The walking experiment's analysis: from a finished run to its result files.

Snapshots of the learner's checkpoint taken while it trains; afterwards the training
curve from the replay store (curve.csv), the learner's curves (learner.csv), the
evaluation of every snapshot and of the random policy from lying (eval.csv), the final
policy's video (final.mp4) and file (final_policy.safetensors), those of the snapshot
that walked best (best.mp4, best_policy.safetensors), the figure (curve.png) and
summary.json. A run already on disk is analysed the same way (--analyse-only, and
after every --resume sitting).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path
import shutil

from dreamstride_lab.experiment_arguments import Settings, evaluation_overrides
from dreamstride_lab.experiment_plots import plot_curves
from dreamstride_lab.experiment_status import StatusWatcher, read_status_rows
from dreamstride_lab.experiment_summary import eval_numbers, run_summary
import numpy as np

START_POSE = 'lying'  # as in config/daydreamer_walk.yaml


STAND_HOLD_STEPS = 20  # standing for 1 s at 20 Hz counts as having stood


def analyse_existing(
    args: argparse.Namespace, run: Settings, results: Path, run_dir: Path, config: Path
) -> int:
    """Write the results of a run already in ``results`` (``--analyse-only``)."""
    status = results / 'status.csv'
    if not status.is_file() or not (run_dir / 'replay').is_dir():
        print(f'dreamstride experiment: no run in {results} (status.csv, run/replay)')
        return 2
    rows = read_status_rows(status)
    latest = run_dir / 'learner' / 'checkpoint.safetensors'
    if latest.is_file():  # the learner's last checkpoint, written when it stopped
        from safetensors import safe_open

        with safe_open(str(latest), 'pt') as f:
            step = int(f.metadata()['step'])
        target = results / 'checkpoints' / f'update_{step:07d}.safetensors'
        if not target.is_file():
            shutil.copyfile(latest, target)
    snapshots = []
    for checkpoint in sorted((results / 'checkpoints').glob('update_*.safetensors')):
        step = int(checkpoint.stem.split('_')[1])
        # The status row when the learner had made that many updates.
        row = next((r for r in rows if r['train_step'] >= step), rows[-1] if rows else None)
        snapshots.append(
            {
                'wall_s': row['wall_s'] if row else 0.0,
                'env_steps': int(row['env_steps']) if row else 0,
                'train_step': step,
                'checkpoint': str(checkpoint),
            }
        )
    wall = rows[-1]['wall_s'] if rows else 0.0
    report = analyse(args, run, results, run_dir, snapshots, rows, wall, config)
    print(f'results: {results} (first stood at step {report["first_stood_step"]})')
    return 0


def snapshot(
    run_dir: Path, results: Path, watcher: StatusWatcher, wall: float, final: bool = False
) -> dict | None:
    """Copy the learner's checkpoint into checkpoints/; its row (None before the first)."""
    checkpoint = run_dir / 'learner' / 'checkpoint.safetensors'
    if not checkpoint.is_file():
        return None
    from safetensors import safe_open

    with safe_open(str(checkpoint), 'pt') as f:
        step = int(f.metadata()['step'])
    target = results / 'checkpoints' / f'update_{step:07d}.safetensors'
    shutil.copyfile(checkpoint, target)
    env_steps = watcher.rows[-1]['env_steps'] if watcher.rows else 0
    if final and watcher.agent is not None:
        env_steps = watcher.steps_before + watcher.agent.steps
    return {
        'wall_s': round(wall, 1),
        'env_steps': env_steps,
        'train_step': step,
        'checkpoint': str(target),
    }


def training_curve(
    run_dir: Path, status_rows: list[dict], bin_steps: int
) -> tuple[list[dict], dict]:
    """Return curve.csv's rows (per ``bin_steps`` stored steps) and the first stood/walked."""
    from dreamstride_agent.acting.reward import stood as stood_terms
    from dreamstride_agent.recording.replay_store import stored_steps

    records = stored_steps(run_dir / 'replay')
    reward = np.array([r.reward for r in records if not r.is_first])
    speed = np.array([r.forward_velocity for r in records if not r.is_first])
    stood = np.array(
        [bool(r.reward_terms) and stood_terms(r.reward_terms) for r in records if not r.is_first]
    )
    version = np.array([r.policy_version for r in records if not r.is_first])
    # Wall-clock time of each environment step, from the status log (agent step counts).
    walls = np.array([row['wall_s'] for row in status_rows] or [0.0])
    counts = np.array([row['env_steps'] for row in status_rows] or [0])
    rows = []
    for start in range(0, len(reward), bin_steps):
        end = min(start + bin_steps, len(reward))
        rows.append(
            {
                'env_step_start': start,
                'env_step_end': end,
                'wall_minutes': round(float(np.interp(end, counts, walls)) / 60, 2),
                'mean_reward': round(float(reward[start:end].mean()), 4),
                'mean_forward_velocity': round(float(speed[start:end].mean()), 4),
                'stood_fraction': round(float(stood[start:end].mean()), 4),
                'policy_version': int(version[end - 1]),
            }
        )
    first_stood = _first_stood(stood)
    first_walked = _first_walked(records, stood, speed)
    stats = {
        'env_steps': int(len(records)),
        'first_stood_step': first_stood,
        'first_walked_step': first_walked,
        'first_stood_minutes': None
        if first_stood is None
        else round(float(np.interp(first_stood, counts, walls)) / 60, 1),
        'first_walked_minutes': None
        if first_walked is None
        else round(float(np.interp(first_walked, counts, walls)) / 60, 1),
        'mean_reward_first_10k': round(float(reward[:10000].mean()), 3) if len(reward) else None,
        'mean_reward_last_10k': round(float(reward[-10000:].mean()), 3) if len(reward) else None,
    }
    return rows, stats


def _first_stood(stood: np.ndarray) -> int | None:
    """Return the first step of STAND_HOLD_STEPS consecutive standing steps, or None."""
    run = 0
    for i, s in enumerate(stood):
        run = run + 1 if s else 0
        if run >= STAND_HOLD_STEPS:
            return i - STAND_HOLD_STEPS + 1
    return None


def _first_walked(records: list, stood: np.ndarray, speed: np.ndarray) -> int | None:
    """Return the first step of the first walking episode, or None.

    Walking: an episode of at least 200 steps, standing > 90% of them at a mean forward
    velocity >= 0.3 m/s. ``stood`` and ``speed`` are indexed by the steps of ``records``
    that are not an episode's first.
    """
    episodes: dict[tuple[str, int], list[int]] = {}
    index = 0
    for r in records:
        if r.is_first:
            continue
        episodes.setdefault((r.run_id, r.episode_id), []).append(index)
        index += 1
    for idx in episodes.values():
        if len(idx) >= 200 and stood[idx].mean() > 0.9 and speed[idx].mean() >= 0.3:
            return idx[0]
    return None


def analyse(
    args,
    run: Settings,
    results: Path,
    run_dir: Path,
    snapshots: list[dict],
    status_rows,
    wall: float,
    config: Path,
) -> dict:
    """Write every result of a run: curves, evaluations, video, plot, policy and summary."""
    from dreamstride_agent.acting.agent_parameters import agent_config_from_parameters
    from dreamstride_lab.evaluate import agent_parameter_values, evaluate
    from dreamstride_lab.learner_curve import write_learner_curve

    # Every value the evaluating agent runs with, kept in summary.json: a later change of
    # a default or of agent.yaml must not change how this run's policies are judged.
    agent_values = agent_parameter_values(overrides=evaluation_overrides(run.overrides))
    agent_config = agent_config_from_parameters(agent_values)

    curve, stats = training_curve(run_dir, status_rows, bin_steps=100 if args.smoke else 1000)
    _write_csv(results / 'curve.csv', curve)
    write_learner_curve(run_dir / 'learner', results / 'learner.csv')
    evals, baseline = _evaluate_snapshots(args, run, snapshots, agent_config)
    _write_csv(results / 'eval.csv', evals)
    final_ckpt = snapshots[-1]['checkpoint'] if snapshots else None

    def film(checkpoint, video: str):
        # One episode from lying, filmed; the same start for the final and the best policy.
        return evaluate(
            checkpoint,
            episodes=1,
            episode_length=run.episode_length,
            initial_pose=START_POSE,
            agent_config=agent_config,
            seed=args.seed + 100,
            video=results / video,
        )

    final = film(final_ckpt, 'final.mp4')
    plot_curves(results / 'curve.png', curve, evals, args)
    if final_ckpt is not None:
        _export_policy(Path(final_ckpt), results / 'final_policy.safetensors')
    best = best_snapshot(evals)
    if best is not None:
        best_ckpt = next(
            s['checkpoint'] for s in snapshots if Path(s['checkpoint']).name == best['policy']
        )
        _export_policy(Path(best_ckpt), results / 'best_policy.safetensors')
        film(best_ckpt, 'best.mp4')
    summary = run_summary(
        args,
        run,
        config=config,
        status_rows=status_rows,
        wall=wall,
        snapshots=snapshots,
        stats=stats,
        evals=evals,
        final=final,
        baseline=baseline,
        best=best,
        agent_values=agent_values,
    )
    (results / 'summary.json').write_text(json.dumps(summary, indent=2))
    return summary


def best_snapshot(evals: list[dict]) -> dict | None:
    """Return the eval.csv row of the snapshot that walked best, None without snapshots.

    Best by the walk criterion's physics, not by the reward: the most starts walked, then
    the fastest worst start along the command. It is a selection among a run's snapshots
    (which swing from one to the next), so eval.csv shows its neighbours beside it.
    """
    rows = [e for e in evals if e['policy'] != 'random']
    if not rows:
        return None

    def rank(e: dict) -> tuple[int, float]:
        speed = float(e['min_net_speed_along_command'])
        return int(e['walked_episodes'] or 0), speed if math.isfinite(speed) else -math.inf

    return max(rows, key=rank)  # the earliest of equals


def _evaluate_snapshots(args, run: Settings, snapshots: list[dict], agent_config):
    """Evaluate every snapshot and the random policy; eval.csv's rows and the baseline."""
    from dreamstride_lab.evaluate import evaluate

    evals = []
    for snap in snapshots:
        r = evaluate(
            snap['checkpoint'],
            episodes=run.eval_episodes,
            episode_length=run.episode_length,
            initial_pose=START_POSE,
            agent_config=agent_config,
            seed=args.seed,
        )
        evals.append(
            {
                **{k: snap[k] for k in ('wall_s', 'env_steps', 'train_step')},
                'policy': Path(snap['checkpoint']).name,
                **eval_numbers(r.summary()),
            }
        )
    baseline = evaluate(
        None,
        episodes=max(run.eval_episodes, 2),
        episode_length=run.episode_length,
        initial_pose=START_POSE,
        agent_config=agent_config,
        seed=args.seed,
    )
    evals.append(
        {
            'wall_s': '',
            'env_steps': '',
            'train_step': 0,
            'policy': 'random',
            **eval_numbers(baseline.summary()),
        }
    )
    return evals, baseline


def _export_policy(checkpoint: Path, path: Path) -> None:
    """Write the checkpoint's policy as the agent loads it (a few MB, no optimiser state)."""
    from dreamstride_agent.acting.policy_file import read_policy_file
    from dreamstride_agent.dreamer.checkpoint import write_atomic

    write_atomic(path, read_policy_file(checkpoint).data)


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, 'w', newline='') as f:
        if not rows:
            f.write('')
            return
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
