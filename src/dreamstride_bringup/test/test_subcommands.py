# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Other packages' commands reach `dreamstride` through entry points; bringup imports none."""

from importlib.metadata import EntryPoint

from dreamstride_bringup import cli, subcommands
from dreamstride_bringup.subcommands import ENTRY_POINT_GROUP, Command
import pytest

PLUGIN = """
from dreamstride_bringup.subcommands import Command


def add_arguments(parser):
    parser.add_argument('--name', default='world')


def run(args):
    print(f'hello {args.name} ({args.mode})')
    return 0


def main(argv):
    print(f'raw {argv}')
    return 3


HELLO = Command(help='says hello', add_arguments=add_arguments, run=run)
RAW = Command(help='parses its own arguments', main=main)
EVAL = Command(help='an evaluation', run=run, add_arguments=add_arguments)
TRAIN = Command(help='not bringup\\'s train', main=main)
NOT_A_COMMAND = 42
"""


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """Install a fake package's entry points (and nothing else) for the command."""
    (tmp_path / 'fake_lab_commands.py').write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))

    def install(*names):
        points = [
            EntryPoint(name, value, ENTRY_POINT_GROUP)
            for name, value in (
                ('hello', 'fake_lab_commands:HELLO'),
                ('raw', 'fake_lab_commands:RAW'),
                ('eval', 'fake_lab_commands:EVAL'),
                ('train', 'fake_lab_commands:TRAIN'),
                ('missing', 'no_such_module_here:X'),
                ('wrong', 'fake_lab_commands:NOT_A_COMMAND'),
            )
            if name in names
        ]
        monkeypatch.setattr(subcommands, 'entry_points', lambda group: points)

    return install


def test_a_package_adds_commands(plugins, capsys):
    plugins('hello', 'raw')
    assert cli.main(['hello', '--name', 'lab']) == 0
    assert capsys.readouterr().out == 'hello lab (hello)\n'
    # A command with its own parser gets every argument after its name, --help included.
    assert cli.main(['raw', '--help', '-x']) == 3
    assert capsys.readouterr().out == "raw ['--help', '-x']\n"
    help_text = cli.build_parser().format_help()
    assert 'says hello' in help_text and 'parses its own arguments' in help_text
    assert 'dreamstride_lab' not in help_text  # the lab-missing note only without commands


def test_a_graph_mode_keeps_its_place_and_bringups_own_commands_win(plugins, capsys):
    plugins('hello', 'eval', 'train')
    usage = cli.build_parser().format_usage()
    assert '{train,eval,sim,hello}' in usage
    assert cli.main(['eval']) == 0
    assert capsys.readouterr().out == 'hello world (eval)\n'
    # A package cannot replace bringup's train: it stays the graph's.
    assert cli.main(['train', '--backend', 'webots']) == 2
    assert 'launch_ros' in capsys.readouterr().err


def test_a_broken_command_says_why_and_leaves_the_others(plugins, capsys):
    plugins('hello', 'missing', 'wrong')
    help_text = cli.build_parser().format_help()
    assert 'cannot be loaded' in help_text and 'says hello' in help_text
    assert cli.main(['missing']) == 2
    err = capsys.readouterr().err
    assert "command 'missing'" in err and 'no_such_module_here' in err
    assert cli.main(['wrong']) == 2
    assert 'is not a dreamstride_bringup.subcommands.Command' in capsys.readouterr().err
    assert cli.main(['hello']) == 0


def test_without_the_lab_its_commands_are_explained(plugins, capsys):
    plugins()
    for command in ('experiment', 'eval', 'benchmark'):
        assert cli.main([command, '--help']) == 2
        err = capsys.readouterr().err
        assert f"no command '{command}'" in err and 'dreamstride_lab' in err, err
    help_text = cli.build_parser().format_help()
    assert '{train,sim}' in help_text and 'dreamstride_lab' in help_text
    assert cli.main(['train', '--backend', 'webots']) == 2  # bringup's own still work
    # An unknown command with the lab present is argparse's usual error.
    plugins('hello')
    with pytest.raises(SystemExit) as exit_:
        cli.main(['nosuchcommand'])
    assert exit_.value.code == 2 and 'invalid choice' in capsys.readouterr().err


def test_a_command_has_one_way_to_run():
    with pytest.raises(ValueError):
        Command(help='neither')
    with pytest.raises(ValueError):
        Command(help='both', run=lambda args: 0, main=lambda argv: 0)
    with pytest.raises(ValueError):
        Command(help='own parser', main=lambda argv: 0, add_arguments=lambda parser: None)
