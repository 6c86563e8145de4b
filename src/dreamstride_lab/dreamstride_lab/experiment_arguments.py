# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The walking experiment's options, and the settings a run reads from them once.

``dreamstride experiment --help`` lists the options; ``settings`` turns parsed options
into what the run does (its duration, snapshots, evaluations and the nodes' parameters),
with the smoke run's shortcuts, and leaves the options as the user gave them.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dreamstride_agent.acting.observation import ORIENTATION_INPUTS
from dreamstride_bringup.cli import add_param_option
from dreamstride_bringup.graph import LEARNER_NODES, RECORDER_NODE, ROBOT_NODES
from dreamstride_lab.locomotion_metrics import WALK

# The nodes of the experiment's graph (MuJoCo backend), which -p may address.
TRAINING_NODES = (*ROBOT_NODES, RECORDER_NODE, *LEARNER_NODES)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the experiment's options to ``parser``."""
    _add_training_options(parser)
    _add_result_options(parser)
    _add_recipe_deviations(parser)
    _add_sitting_options(parser)
    add_param_option(
        parser,
        "override one node parameter of the training graph after the recipe's, e.g. "
        '-p agent:tracking_yaw_rate_sigma=0.15 (repeatable; recorded in summary.json, and '
        "the evaluating agent takes the agent's too)",
    )
    parser.add_argument(
        '--smoke',
        action='store_true',
        help='a short run with a tiny model that checks every output file',
    )


def _add_training_options(parser: argparse.ArgumentParser) -> None:
    """Add how long and how fast it trains, and with which learner."""
    parser.add_argument(
        '--duration',
        type=float,
        default=3600.0,
        help='seconds of wall-clock training (default: one hour)',
    )
    parser.add_argument(
        '--speed',
        type=float,
        default=1.0,
        help='simulation real-time factor (1: like a real robot)',
    )
    parser.add_argument(
        '--train-ratio',
        type=float,
        default=256.0,
        help='replayed steps per environment step, locked: the simulation '
        "pauses while the learner is behind (default 256, DayDreamer's "
        'A1 ratio; 0: no lock, the learner trains as fast as it can)',
    )
    parser.add_argument('--model', default=None, help='learner preset (default: from config)')


def _add_result_options(parser: argparse.ArgumentParser) -> None:
    """Add where the results go, how often snapshots are taken and how they are judged."""
    parser.add_argument('--results', type=Path, help='results directory')
    parser.add_argument(
        '--snapshot-every',
        type=float,
        default=300.0,
        help='seconds between checkpoint snapshots to evaluate',
    )
    parser.add_argument(
        '--eval-episodes',
        type=int,
        default=3,
        help='randomised starts per evaluation (the walk criterion wants at least 3)',
    )
    parser.add_argument('--seed', type=int, default=0)


def _add_recipe_deviations(parser: argparse.ArgumentParser) -> None:
    """Add the deliberate deviations from DayDreamer's setting (resets, orientation input)."""
    parser.add_argument(
        '--rescue-after',
        type=float,
        default=0.0,
        help='put the robot back on its belly (reset service, pose lying) '
        'after it has lain on its back this many simulated seconds; 0: '
        "never, DayDreamer's no-reset setting. The simulation withholds "
        'its sensors briefly on a reset, so the agent cuts the episode '
        'there (is_first) and no stored transition spans the jump. Our '
        "simulated Spot cannot right itself within the agent's action "
        'range (see docs/results.md)',
    )
    parser.add_argument(
        '--lie-down-every',
        type=float,
        default=0.0,
        help='put the robot on its belly (reset service, pose lying) every this many '
        'simulated seconds without a reset, whatever its pose; 0: never. A policy that '
        'stands makes almost no stand-ups for the data, while the evaluations start '
        "from lying. A deviation from DayDreamer's no-reset setting, cut as a rescue is",
    )
    parser.add_argument(
        '--orientation-input',
        choices=ORIENTATION_INPUTS,
        default=None,
        help="the agent's body orientation input (default: the agent's, 'gravity', "
        "continuous where roll wraps at +-pi, on the back; 'roll_pitch' is DayDreamer's "
        'two angles). The evaluations use the same',
    )


def _add_sitting_options(parser: argparse.ArgumentParser) -> None:
    """Add continuing a run in another sitting, or analysing it again."""
    parser.add_argument(
        '--resume',
        action='store_true',
        help='continue the run in --results (stopped, killed, or out of time) for another '
        '--duration seconds: the learner goes on from its checkpoint and the store, the '
        'ratio lock counts the steps stored, status.csv goes on, and the results cover '
        'every sitting; give the options the run was started with',
    )
    parser.add_argument(
        '--analyse-only',
        action='store_true',
        help='do not train: write the results again from the run already in --results '
        '(its status.csv, checkpoints/ and run/), e.g. after a crash; give the options '
        'the run was started with',
    )


@dataclass(frozen=True)
class Settings:
    """What a run of the experiment does, from its options; a smoke run shortens them.

    Read once from the parsed options, which stay as the user gave them.
    """

    duration: float  # s of wall-clock training
    snapshot_every: float  # s between checkpoint snapshots
    eval_episodes: int  # randomised starts per evaluation
    episode_length: int  # steps per evaluation episode
    overrides: dict[str, dict[str, Any]]  # the nodes' parameters, by node name


def settings(args: argparse.Namespace) -> Settings:
    """Return the settings of a run with the parsed options ``args``.

    Raises ValueError for a ``-p`` that names no node of the graph or no agent parameter.
    """
    overrides: dict[str, dict[str, Any]] = {
        'spot_mujoco': {'real_time_factor': args.speed, 'seed': args.seed + 1},
        'agent': {'seed': args.seed + 1},
        'learner': {'train_ratio': args.train_ratio, 'seed': args.seed + 1},
    }
    if args.orientation_input:
        overrides['agent']['orientation_input'] = args.orientation_input
    if args.model:
        overrides['learner']['model'] = args.model
    # Imported here: the agent's parameters import torch, and the dreamstride command
    # builds this parser for every subcommand, train and --help included.
    from dreamstride_agent.acting.agent_parameters import parameter_defaults

    for node, name, value in args.param:
        if node not in TRAINING_NODES:
            raise ValueError(
                f'-p {node}:{name}: the training graph has no node {node!r} '
                f'(it runs {", ".join(TRAINING_NODES)})'
            )
        if node == 'agent' and name not in parameter_defaults():
            # The node would ignore it, and the evaluations refuse it after the training.
            raise ValueError(f'-p agent:{name}: the agent has no parameter {name!r}')
        overrides.setdefault(node, {})[name] = value
    if not args.smoke:
        return Settings(
            args.duration, args.snapshot_every, args.eval_episodes, WALK.steps, overrides
        )
    overrides['learner'].update(
        {
            'model': 'tiny',
            'prefill_steps': 100,
            'sync_every': 3.0,
            'checkpoint_every': 5.0,
            'log_every': 1,  # a row in learner.csv from the few updates it makes
        }
    )
    overrides['spot_mujoco']['real_time_factor'] = max(args.speed, 2.0)
    return Settings(
        duration=min(args.duration, 45.0),
        snapshot_every=15.0,
        eval_episodes=1,
        episode_length=40,
        overrides=overrides,
    )


def evaluation_overrides(overrides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return the run's agent overrides that the in-process evaluating agent applies.

    Everything that shapes the agent's observation, actions and reward, so the evaluations
    observe what the training agent observed and score what it was paid for; not the
    node's own parameters (seed, camera, ...), which the in-process evaluation does not use.
    """
    from dreamstride_agent.acting.agent_parameters import NODE_PARAMETERS

    node_only = {p.name for p in NODE_PARAMETERS}
    return {k: v for k, v in overrides.get('agent', {}).items() if k not in node_only}


def observation_overrides(overrides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return the agent overrides that shape its observation, for the evaluating agent.

    The evaluations must observe what the training agent observed, or the policy's input
    has the wrong size and meaning.
    """
    return {k: v for k, v in overrides['agent'].items() if k == 'orientation_input'}
