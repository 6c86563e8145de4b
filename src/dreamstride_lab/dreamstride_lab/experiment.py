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

This module runs the training and the snapshots; the other jobs have modules of their
own: the options and the settings read from them (experiment_arguments), the status
watcher and reset client (experiment_status), the analysis of a finished run
(experiment_analysis), the figure (experiment_plots) and summary.json
(experiment_summary).
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
import time

from dreamstride_lab.experiment_analysis import analyse, analyse_existing, snapshot
from dreamstride_lab.experiment_arguments import Settings, settings
from dreamstride_lab.experiment_status import StatusWatcher, read_status_rows
from spot_description.contract import DEFAULT_NAMESPACE

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


def run_experiment(args: argparse.Namespace) -> int:
    """Run the experiment described by parsed ``args``; return the exit code."""
    from dreamstride_bringup.graph import TRAIN_RECIPE, config_dir, node_graph, ros_environment
    from dreamstride_bringup.process_supervisor import Supervisor

    results = args.results or Path('results') / f'walk-{time.strftime("%Y%m%d-%H%M%S")}'
    results = results.expanduser().resolve()
    run_dir = results / 'run'
    (results / 'checkpoints').mkdir(parents=True, exist_ok=True)
    config = config_dir() / TRAIN_RECIPE  # every train graph applies it; recorded below
    try:
        run = settings(args)
    except ValueError as error:
        print(f'dreamstride experiment: {error}', file=sys.stderr)
        return 2
    overrides = run.overrides
    if args.analyse_only:
        return analyse_existing(args, run, results, run_dir, config)
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
    code, snapshots, wall = _train(supervisor, watcher, run, run_dir, results, started)
    if code:
        return code
    supervisor.say('training done; evaluating snapshots and writing results')
    if args.resume:  # the snapshots of every sitting, from the files
        return analyse_existing(args, run, results, run_dir, config)
    report = analyse(args, run, results, run_dir, snapshots, watcher.rows, wall, config)
    missing = [name for name in OUTPUTS if not (results / name).is_file()]
    if missing:
        supervisor.say(f'missing outputs: {", ".join(missing)}')
        return 1
    supervisor.say(
        f'results: {results} (first stood at step {report["first_stood_step"]}, '
        f'first walked in episode starting at step {report["first_walked_step"]})'
    )
    return 0


def _train(
    supervisor, watcher: StatusWatcher, run: Settings, run_dir: Path, results: Path, started: float
) -> tuple[int, list[dict], float]:
    """Train until the deadline, a stop request or a node's death; snapshot on the way.

    Every node is stopped afterwards. Returns the exit code so far (1: a node died), the
    snapshots (the last checkpoint's included) and the wall-clock seconds since ``started``.
    """
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
                snap = snapshot(run_dir, results, watcher, time.time() - started)
                if snap:
                    snapshots.append(snap)
                next_snapshot += run.snapshot_every
    finally:
        supervisor.stop()
        watcher.close()
    wall = time.time() - started
    final = snapshot(run_dir, results, watcher, wall, final=True)
    if final:
        snapshots.append(final)
    return code, snapshots, wall
