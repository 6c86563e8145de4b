# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Subcommands that other packages add to ``dreamstride``, found through entry points.

Bringup sits below the packages that use it (lab -> bringup -> agent, simulation,
description), so it cannot import the lab to offer the lab's commands. A package adds
a command instead by naming a :class:`Command` in its setup.py::

    entry_points={
        'dreamstride.commands': ['experiment = dreamstride_lab.commands:EXPERIMENT'],
    }

and ``dreamstride`` lists it in its help and runs it. The command's own modules load only
when it runs or parses its options.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
import sys

ENTRY_POINT_GROUP = 'dreamstride.commands'


@dataclass(frozen=True)
class Command:
    """One subcommand of ``dreamstride`` that a package provides.

    ``help`` is its line in ``dreamstride --help``. Either ``add_arguments`` and ``run``:
    the command's options go into dreamstride's parser and ``run(args)`` gets the parsed
    arguments; or ``main``: the command parses its own (``main(argv)`` gets everything
    after its name), for a command with a parser of its own. Each returns the exit code.
    """

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    run: Callable[[argparse.Namespace], int] | None = None
    main: Callable[[list[str]], int] | None = None

    def __post_init__(self) -> None:
        if (self.run is None) == (self.main is None):
            raise ValueError('a Command has either run (with add_arguments) or main')
        if self.main is not None and self.add_arguments is not None:
            raise ValueError('a Command with main parses its own arguments: no add_arguments')


def discover(group: str = ENTRY_POINT_GROUP) -> dict[str, Command]:
    """Return the installed commands by name, in the order their packages declare them.

    A command that cannot be loaded is kept as one that says why when it runs (its help
    line says so too), so that one broken package leaves the other commands working.
    """
    commands: dict[str, Command] = {}
    for point in entry_points(group=group):
        if point.name not in commands:  # the first on the path wins, as for imports
            commands[point.name] = _load(point)
    return commands


def _load(point: EntryPoint) -> Command:
    try:
        command = point.load()
    except Exception as exc:  # noqa: BLE001 - any error of a plugin's import is reported, not raised
        return _unavailable(point, f'{type(exc).__name__}: {exc}')
    if not isinstance(command, Command):
        return _unavailable(point, f'{point.value} is not a {__name__}.Command')
    return command


def _unavailable(point: EntryPoint, reason: str) -> Command:
    package = point.dist.name if point.dist is not None else point.value.split('.')[0]

    def main(argv: list[str]) -> int:
        del argv
        print(
            f'dreamstride: the command {point.name!r} of {package} cannot be loaded '
            f'({point.value}): {reason}',
            file=sys.stderr,
        )
        return 2

    # argparse formats help lines with %: a reason may hold one.
    return Command(help=f'(cannot be loaded: {reason})'.replace('%', '%%'), main=main)
