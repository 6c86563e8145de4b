# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The lab's commands reach `dreamstride` through its entry points, as a user runs them."""

import subprocess
import sys

from dreamstride_bringup.subcommands import discover
from dreamstride_lab import commands
import pytest


def dreamstride(*args):
    return subprocess.run(
        [sys.executable, '-m', 'dreamstride_bringup.cli', *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_installed_lab_registers_its_commands():
    found = discover()
    assert found['eval'] is commands.EVAL
    assert found['experiment'] is commands.EXPERIMENT
    assert found['benchmark'] is commands.BENCHMARK


def test_dreamstride_help_lists_the_labs_commands():
    out = dreamstride('--help')
    assert out.returncode == 0, out.stderr
    assert '{train,eval,sim,benchmark,experiment}' in out.stdout
    assert "DayDreamer's walking experiment" in out.stdout
    assert 'dreamstride_lab' not in out.stdout  # no "lab missing" note


@pytest.mark.parametrize(
    'command,expected',
    [
        ('eval', '--episodes'),
        ('experiment', '--lie-down-every'),
        ('benchmark', 'usage: dreamstride benchmark'),
    ],
)
def test_each_lab_command_parses_its_options(command, expected):
    out = dreamstride(command, '--help')
    assert out.returncode == 0, out.stderr
    assert expected in out.stdout


def test_building_the_command_line_imports_no_torch():
    """`dreamstride train` and `--help` build every lab command's parser; none loads torch.

    torch takes seconds to import on a small machine and is the learner's, not the
    command line's; a lab module that imports it at the top would also make every
    subcommand fail where the learning stack is broken.
    """
    code = (
        'import sys\n'
        'from dreamstride_bringup.cli import build_parser, installed_commands\n'
        "build_parser(installed_commands()).parse_args(['experiment', '-p', 'agent:seed=3'])\n"
        "print(sorted(m for m in ('torch', 'mujoco') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == '[]'
