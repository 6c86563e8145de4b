# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The walking experiment: train on the MuJoCo Spot, then write curves, video and summary.

    dreamstride experiment --duration 3600 --seed 0   # an hour of wall clock, ratio 256
    dreamstride experiment --train-ratio 0            # no ratio lock: train as fast as it can
    dreamstride experiment --smoke                    # a one-minute check of every output

Runs the training graph with config/daydreamer_walk.yaml, watches the agent and learner
status, snapshots the learner's checkpoint every ``--snapshot-every`` seconds, and
afterwards writes into the results directory:

    curve.csv, curve.png   reward per step and forward velocity against environment
                           steps and wall-clock time (training data, evaluations of the
                           snapshots, the random-policy baseline, DayDreamer's numbers)
    eval.csv               evaluation of every snapshot and of the random policy: the
                           reward and the physical measures of locomotion_metrics (net
                           speed along the command, heading drift, non-foot contact,
                           upright share, walked by the criterion), from randomised starts
    final.mp4              the final policy, from lying down
    final_policy.safetensors  the final policy as the agent loads it (dreamstride eval
                           --policy final_policy.safetensors evaluates it)
    summary.json           command, configuration, machine, timing, first stood / walked,
                           the final policy's evaluation (as in eval.csv), walk criterion
    status.csv             agent and learner status every few seconds during the run
    learner.csv            the learner's curves per logged update (actor std and entropy,
                           imagined reward, return and value, world-model loss)
    run/                   the training run itself (logs, replay store, TensorBoard)
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
import shutil
import time

from dreamstride_lab.experiment_arguments import Settings, observation_overrides, settings
from dreamstride_lab.experiment_plots import plot_curves
from dreamstride_lab.experiment_status import StatusWatcher, read_status_rows
from dreamstride_lab.experiment_summary import eval_numbers, run_summary
import numpy as np
from spot_description.contract import DEFAULT_NAMESPACE

START_POSE = 'lying'  # as in config/daydreamer_walk.yaml
STAND_HOLD_STEPS = 20  # standing for 1 s at 20 Hz counts as having stood
OUTPUTS = (
    'curve.csv',
    'curve.png',
    'eval.csv',
    'final.mp4',
    'summary.json',
    'status.csv',
    'final_policy.safetensors',
    'learner.csv',
)


def _analyse_existing(
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
    report = _analyse(args, run, results, run_dir, snapshots, rows, wall, config)
    print(f'results: {results} (first stood at step {report["first_stood_step"]})')
    return 0


def run_experiment(args: argparse.Namespace) -> int:
    """Run the experiment described by parsed ``args``; return the exit code."""
    from dreamstride_bringup.graph import TRAIN_RECIPE, config_dir, node_graph, ros_environment
    from dreamstride_bringup.process_supervisor import Supervisor

    results = args.results or Path('results') / f'walk-{time.strftime("%Y%m%d-%H%M%S")}'
    results = results.expanduser().resolve()
    run_dir = results / 'run'
    (results / 'checkpoints').mkdir(parents=True, exist_ok=True)
    config = config_dir() / TRAIN_RECIPE  # every train graph applies it; recorded below
    run = settings(args)
    overrides = run.overrides
    if args.analyse_only:
        return _analyse_existing(args, run, results, run_dir, config)
    earlier: list[dict] = []
    if args.resume:
        status = results / 'status.csv'
        if not (run_dir / 'learner').is_dir() or not status.is_file():
            print(
                f'dreamstride experiment: --resume: no run in {results} (run/learner, status.csv)'
            )
            return 2
        earlier = read_status_rows(status)
    nodes = node_graph('train', 'mujoco', run_dir=run_dir)
    if args.resume:
        from dreamstride_bringup.cli import resume_steps

        stored = resume_steps(nodes, run_dir, overrides)
        print(
            f'[dreamstride] resuming {results}: {stored} steps stored, '
            f'{earlier[-1]["wall_s"] if earlier else 0:.0f} s of wall clock so far'
        )
    supervisor = Supervisor(nodes, DEFAULT_NAMESPACE, run_dir, ros_environment(), overrides)
    import signal

    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    supervisor.say(f'experiment: {run.duration:g} s at speed {args.speed:g}, results in {results}')
    started = time.time()
    supervisor.start()
    watcher = StatusWatcher(
        results / 'status.csv', args.rescue_after, args.lie_down_every, earlier=earlier
    )
    snapshots: list[dict] = []
    code = 0
    try:
        deadline = time.monotonic() + run.duration
        next_snapshot = time.monotonic() + run.snapshot_every
        while time.monotonic() < deadline and not supervisor.stop_requested:
            watcher.spin(1.0)
            dead = [r for r in supervisor.running if r.proc.poll() is not None]
            if dead:
                supervisor.say(
                    f'{dead[0].spec.name} died (code {dead[0].proc.returncode}); '
                    f'see {dead[0].log_path}'
                )
                code = 1
                break
            if time.monotonic() >= next_snapshot:
                snap = _snapshot(run_dir, results, watcher, time.time() - started)
                if snap:
                    snapshots.append(snap)
                next_snapshot += run.snapshot_every
    finally:
        supervisor.stop()
        watcher.close()
    wall = time.time() - started
    final = _snapshot(run_dir, results, watcher, wall, final=True)
    if final:
        snapshots.append(final)
    if code:
        return code
    supervisor.say('training done; evaluating snapshots and writing results')
    if args.resume:  # the snapshots of every sitting, from the files
        return _analyse_existing(args, run, results, run_dir, config)
    report = _analyse(args, run, results, run_dir, snapshots, watcher.rows, wall, config)
    missing = [name for name in OUTPUTS if not (results / name).is_file()]
    if missing:
        supervisor.say(f'missing outputs: {", ".join(missing)}')
        return 1
    supervisor.say(
        f'results: {results} (first stood at step {report["first_stood_step"]}, '
        f'first walked in episode starting at step {report["first_walked_step"]})'
    )
    return 0


def _snapshot(
    run_dir: Path, results: Path, watcher: StatusWatcher, wall: float, final: bool = False
) -> dict | None:
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


def _training_curve(
    run_dir: Path, status_rows: list[dict], bin_steps: int
) -> tuple[list[dict], dict]:
    from dreamstride_agent.replay_store import stored_steps
    from dreamstride_agent.reward import stood as stood_terms

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
    # First stood: STAND_HOLD_STEPS consecutive standing steps. First walked: an episode
    # standing > 90% of its steps at a mean forward velocity >= 0.3 m/s.
    first_stood = None
    run = 0
    for i, s in enumerate(stood):
        run = run + 1 if s else 0
        if run >= STAND_HOLD_STEPS:
            first_stood = i - STAND_HOLD_STEPS + 1
            break
    first_walked = None
    episodes: dict[tuple[str, int], list[int]] = {}
    index = 0
    for r in records:
        if r.is_first:
            continue
        episodes.setdefault((r.run_id, r.episode_id), []).append(index)
        index += 1
    for idx in episodes.values():
        if len(idx) >= 200 and stood[idx].mean() > 0.9 and speed[idx].mean() >= 0.3:
            first_walked = idx[0]
            break
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


def _analyse(
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
    from dreamstride_lab.evaluate import evaluate, evaluation_agent_config
    from dreamstride_lab.learner_curve import write_learner_curve

    agent_config = evaluation_agent_config(overrides=observation_overrides(run.overrides))

    curve, stats = _training_curve(run_dir, status_rows, bin_steps=100 if args.smoke else 1000)
    _write_csv(results / 'curve.csv', curve)
    write_learner_curve(run_dir / 'learner', results / 'learner.csv')
    evals, baseline = _evaluate_snapshots(args, run, snapshots, agent_config)
    _write_csv(results / 'eval.csv', evals)
    final_ckpt = snapshots[-1]['checkpoint'] if snapshots else None
    final = evaluate(
        final_ckpt,
        episodes=1,
        episode_length=run.episode_length,
        initial_pose=START_POSE,
        agent_config=agent_config,
        seed=args.seed + 100,
        video=results / 'final.mp4',
    )
    plot_curves(results / 'curve.png', curve, evals, args)
    if final_ckpt is not None:
        _export_policy(Path(final_ckpt), results / 'final_policy.safetensors')
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
    )
    (results / 'summary.json').write_text(json.dumps(summary, indent=2))
    return summary


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
    from dreamstride_agent.dreamer.checkpoint import write_atomic
    from dreamstride_agent.policy_file import read_policy_file

    write_atomic(path, read_policy_file(checkpoint).data)


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, 'w', newline='') as f:
        if not rows:
            f.write('')
            return
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
