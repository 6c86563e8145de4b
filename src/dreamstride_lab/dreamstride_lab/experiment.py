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
    best.mp4, best_policy.safetensors  the snapshot that walked best by the criterion
                           (most starts walked, then the fastest worst start), a
                           selection among snapshots: eval.csv shows its neighbours
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
from typing import TYPE_CHECKING

from dreamstride_lab.experiment_analysis import analyse, analyse_existing, snapshot
from dreamstride_lab.experiment_arguments import Settings, settings
from dreamstride_lab.experiment_status import StatusWatcher, read_status_rows
from spot_description.contract import DEFAULT_NAMESPACE

if TYPE_CHECKING:  # for annotations only: the bringup side is imported when a run starts
    from dreamstride_bringup.process_supervisor import Supervisor

OUTPUTS = (
    'curve.csv',
    'curve.png',
    'eval.csv',
    'final.mp4',
    'summary.json',
    'status.csv',
    'final_policy.safetensors',
    'best.mp4',
    'best_policy.safetensors',
    'learner.csv',
)


def run_experiment(args: argparse.Namespace) -> int:
    """Run the experiment described by parsed ``args``; return the exit code."""
    from dreamstride_bringup.graph import TRAIN_RECIPE, config_dir, node_graph

    results = _results_dir(args)
    run_dir = results / 'run'
    (results / 'checkpoints').mkdir(parents=True, exist_ok=True)
    config = config_dir() / TRAIN_RECIPE  # every train graph applies it; recorded below
    try:
        run = settings(args)
    except ValueError as error:
        print(f'dreamstride experiment: {error}', file=sys.stderr)
        return 2
    if args.analyse_only:
        return analyse_existing(args, run, results, run_dir, config)
    earlier = _earlier_rows(args, results, run_dir)
    if earlier is None:
        return 2
    nodes = node_graph('train', 'mujoco', run_dir=run_dir)
    if args.resume:
        _announce_resume(nodes, run_dir, run.overrides, results, earlier)
    supervisor = _supervisor(nodes, run_dir, run.overrides)
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
    return _check_outputs(supervisor, results, report)


def _results_dir(args: argparse.Namespace) -> Path:
    """Return the absolute results directory: ``--results`` or a new dated one."""
    results = args.results or Path('results') / f'walk-{time.strftime("%Y%m%d-%H%M%S")}'
    return results.expanduser().resolve()


def _earlier_rows(args: argparse.Namespace, results: Path, run_dir: Path) -> list[dict] | None:
    """Return the status rows of earlier sittings ([] without --resume); None: nothing to resume.

    A resumed run goes on with the earlier sittings' clock and steps, so it needs their
    learner directory and status.csv; without them it says so and the run exits with 2.
    """
    if not args.resume:
        return []
    status = results / 'status.csv'
    if not (run_dir / 'learner').is_dir() or not status.is_file():
        print(f'dreamstride experiment: --resume: no run in {results} (run/learner, status.csv)')
        return None
    return read_status_rows(status)


def _announce_resume(
    nodes: list, run_dir: Path, overrides: dict, results: Path, earlier: list[dict]
) -> None:
    """Point the graph at the stored run (resume_steps) and say how far it had got."""
    from dreamstride_bringup.cli import resume_steps

    stored = resume_steps(nodes, run_dir, overrides)
    print(
        f'[dreamstride] resuming {results}: {stored} steps stored, '
        f'{earlier[-1]["wall_s"] if earlier else 0:.0f} s of wall clock so far'
    )


def _supervisor(nodes: list, run_dir: Path, overrides: dict) -> Supervisor:
    """Return the training graph's supervisor, which Ctrl-C and SIGTERM ask to stop.

    The signals only request a stop so that _train still stops every node and the
    results of an interrupted run are still written.
    """
    from dreamstride_bringup.graph import ros_environment
    from dreamstride_bringup.process_supervisor import Supervisor

    supervisor = Supervisor(nodes, DEFAULT_NAMESPACE, run_dir, ros_environment(), overrides)
    import signal

    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    return supervisor


def _check_outputs(supervisor: Supervisor, results: Path, report: dict) -> int:
    """Return 1 if an output file is missing, else say where the results are and return 0."""
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
