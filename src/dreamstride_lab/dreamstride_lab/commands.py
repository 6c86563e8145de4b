# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The lab's subcommands of ``dreamstride``: eval, experiment and benchmark.

setup.py registers them in the entry-point group ``dreamstride.commands``, where
bringup's cli finds them (dreamstride_bringup.subcommands). Each command's module loads
only when the command parses its options or runs.
"""

from __future__ import annotations

import argparse

from dreamstride_bringup.subcommands import Command


def _eval_arguments(parser: argparse.ArgumentParser) -> None:
    from dreamstride_lab.eval_command import add_arguments

    add_arguments(parser)


def _eval(args: argparse.Namespace) -> int:
    from dreamstride_lab.eval_command import run

    return run(args)


def _experiment_arguments(parser: argparse.ArgumentParser) -> None:
    from dreamstride_lab.experiment_arguments import add_arguments

    add_arguments(parser)


def _experiment(args: argparse.Namespace) -> int:
    from dreamstride_lab.experiment import run_experiment

    return run_experiment(args)


def _benchmark(argv: list[str]) -> int:
    from dreamstride_lab.train_benchmark import main

    return main(argv)


EVAL = Command(
    help='backend + agent acting with a saved policy, no learning',
    add_arguments=_eval_arguments,
    run=_eval,
)
EXPERIMENT = Command(
    help="DayDreamer's walking experiment: train, evaluate, plot",
    add_arguments=_experiment_arguments,
    run=_experiment,
)
BENCHMARK = Command(
    help='the training graph for N minutes: steps stored, holds, timing, CPU',
    main=_benchmark,
)
