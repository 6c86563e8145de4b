# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The ``dreamstride`` command: DreamStride's node graph without launch_ros.

    dreamstride train [--backend mujoco] [--robots N] [--duration S] [--run-dir DIR] ...
    dreamstride train --part robot|learner --discovery-range SUBNET   # two machines
    dreamstride eval --policy RUN_DIR/learner/checkpoint.safetensors
    dreamstride sim
    dreamstride benchmark [--minutes 10] [--rate 20]

It starts the same nodes, parameter files and remappings as
``ros2 launch dreamstride_bringup train.launch.py`` (both read dreamstride_bringup.graph),
puts everything of a run in one directory (logs/, replay/, learner/), stops every
node cleanly on Ctrl-C, and stops the run with a non-zero exit when a node dies.

Other packages add subcommands through entry points (subcommands.py): the lab adds
eval, experiment and benchmark. This module never imports them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
import os
from pathlib import Path
import shutil
import signal
import sys
from typing import Any

from dreamstride_agent.discovery import discovery_summary
from dreamstride_bringup.graph import (
    BACKENDS,
    DEFAULT_NAMESPACE,
    MODES,
    PARTS,
    RECORDER_SIDES,
    SPLIT_RUN_TRANSPORTS,
    NodeSpec,
    follow_control_rate,
    fresh_run_dir,
    node_graph,
    ros_environment,
)
from dreamstride_bringup.process_supervisor import GraphOccupiedError, Supervisor
from dreamstride_bringup.subcommands import Command, discover
import yaml

# The graph's modes whose commands bringup provides, with their help lines. The others
# (eval, the experiment, the benchmarks) are the lab's, found through entry points.
OWN_MODES = {
    'train': 'backend + agent + replay recorder + learner',
    'sim': 'the simulation backend only',
}
LAB_MISSING = (
    'The evaluation, experiment and benchmark commands come from the lab (the '
    'dreamstride_lab package), which is not installed here: scripts/setup, or colcon build '
    'in a ROS 2 workspace, builds it with the other packages.'
)


def add_param_option(parser: argparse.ArgumentParser, help: str) -> None:
    """Add ``-p NODE:NAME=VALUE`` (repeatable) to ``parser``, as ``args.param``."""
    parser.add_argument(
        '-p',
        '--param',
        action='append',
        default=[],
        type=_parse_param,
        metavar='NODE:NAME=VALUE',
        help=help,
    )


def _parse_param(text: str) -> tuple[str, str, Any]:
    node, sep, rest = text.partition(':')
    name, eq, value = rest.partition('=')
    if not sep or not eq or not node or not name:
        raise argparse.ArgumentTypeError(f'{text!r} is not NODE:NAME=VALUE')
    return node, name, yaml.safe_load(value)


def _parse_peers(text: str) -> list[str]:
    peers = [p.strip() for p in text.split(',') if p.strip()]
    if not peers:
        raise argparse.ArgumentTypeError(f'{text!r} names no address')
    return peers


def build_parser(commands: Mapping[str, Command] | None = None) -> argparse.ArgumentParser:
    """Return the argument parser of the ``dreamstride`` command.

    ``commands``: the other packages' commands (default: the installed ones, see
    subcommands); one that runs a mode of the graph (eval) keeps that mode's place.
    """
    commands = installed_commands() if commands is None else commands
    parser = argparse.ArgumentParser(
        prog='dreamstride',
        description='Train, evaluate or simulate a Dreamer agent on Spot through ROS 2.',
        epilog=None if commands else LAB_MISSING,
    )
    sub = parser.add_subparsers(dest='mode', required=True)
    names = [m for m in MODES if m in OWN_MODES or m in commands]
    for name in names + [n for n in commands if n not in names]:
        if name in OWN_MODES:
            add_graph_arguments(sub.add_parser(name, help=OWN_MODES[name]), name)
            continue
        command = commands[name]
        cmd = sub.add_parser(name, help=command.help, add_help=command.main is None)
        if command.add_arguments is not None:
            command.add_arguments(cmd)
    return parser


def add_graph_arguments(cmd: argparse.ArgumentParser, mode: str) -> None:
    """Add the options of a run of the node graph in ``mode`` to the command ``cmd``."""
    _add_robot_arguments(cmd)
    _add_run_arguments(cmd)
    _add_network_arguments(cmd)
    if mode == 'train':
        _add_split_arguments(cmd)
    cmd.add_argument(
        '--rviz',
        action='store_true',
        help='also start RViz (needs rviz2; only through ros2 launch)',
    )
    add_param_option(cmd, 'override one node parameter')
    if mode == 'train':
        _add_training_arguments(cmd)


def _add_robot_arguments(cmd: argparse.ArgumentParser) -> None:
    """Add which robot: backend, namespace, parameter file, clock."""
    cmd.add_argument(
        '--backend',
        choices=BACKENDS,
        default='mujoco',
        help='robot backend (default: mujoco, headless)',
    )
    cmd.add_argument(
        '--namespace', default=DEFAULT_NAMESPACE, help='robot namespace (default: spot)'
    )
    cmd.add_argument('--config', type=Path, help='extra parameter file applied after the defaults')
    cmd.add_argument(
        '--use-sim-time',
        choices=('true', 'false'),
        help='default: true on simulation backends',
    )


def _add_run_arguments(cmd: argparse.ArgumentParser) -> None:
    """Add where the run writes and how long it lasts."""
    cmd.add_argument(
        '--run-dir', type=Path, help='directory of this run (default: runs/<mode>-<time>)'
    )
    cmd.add_argument(
        '--duration',
        type=float,
        default=0.0,
        help='stop after this many seconds (default: until Ctrl-C)',
    )


def _add_network_arguments(cmd: argparse.ArgumentParser) -> None:
    """Add how the nodes find each other."""
    cmd.add_argument(
        '--discovery-range',
        default='LOCALHOST',
        choices=('LOCALHOST', 'SUBNET'),
        help='ROS_AUTOMATIC_DISCOVERY_RANGE; SUBNET only for a real robot or a '
        'run split across machines (--part) (default: LOCALHOST)',
    )
    cmd.add_argument(
        '--static-peers',
        type=_parse_peers,
        default=[],
        metavar='IP[,IP]',
        help='ROS_STATIC_PEERS: the other machines of a split run, discovered by '
        'unicast (works with LOCALHOST and where multicast does not pass)',
    )


def _add_split_arguments(cmd: argparse.ArgumentParser) -> None:
    """Add which side of a training run split across two machines runs here."""
    cmd.add_argument(
        '--part',
        choices=PARTS,
        default='all',
        help='run one side of the graph: robot (backend + agent) or learner '
        '(learner, and the recorder unless --recorder-on robot) (default: all)',
    )
    cmd.add_argument(
        '--recorder-on',
        choices=RECORDER_SIDES,
        default='learner',
        help='side of a split run that records the replay store (default: '
        'learner; robot needs the store shared with the learner machine)',
    )


def _add_training_arguments(cmd: argparse.ArgumentParser) -> None:
    """Add the training-only options: resuming, progress lines, several robots."""
    cmd.add_argument(
        '--resume',
        type=Path,
        metavar='RUN_DIR',
        help='continue a run that was stopped or killed: the learner goes on from '
        'its checkpoint and the store, and the ratio lock counts the steps stored',
    )
    cmd.add_argument(
        '--progress-every',
        type=float,
        default=30.0,
        metavar='S',
        help='print a progress line every S seconds and warn when the robot stays '
        "down (0: only the nodes' start and stop) (default: 30)",
    )
    cmd.add_argument(
        '--robots',
        type=int,
        default=1,
        help='simulated robots feeding the one learner, each in its own namespace '
        'NAMESPACE_0 ... (default: 1, in NAMESPACE; mujoco only)',
    )


def installed_commands() -> dict[str, Command]:
    """Return the other packages' commands (entry points), bringup's own names excepted."""
    return {n: c for n, c in discover().items() if n not in OWN_MODES}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dreamstride`` command."""
    argv = sys.argv[1:] if argv is None else argv
    commands = installed_commands()
    name = argv[0] if argv else ''
    try:
        if name in commands and commands[name].main is not None:
            return commands[name].main(argv[1:])
        if not commands and name and not name.startswith('-') and name not in OWN_MODES:
            print(f'dreamstride: no command {name!r} here. {LAB_MISSING}', file=sys.stderr)
            return 2
        args = build_parser(commands).parse_args(argv)
        if args.mode in commands:
            return commands[args.mode].run(args)
        return run_graph(args)
    except GraphOccupiedError as error:
        print(f'dreamstride: not started: {error}', file=sys.stderr)
        return 2


def run_graph(
    args: argparse.Namespace,
    in_process: Callable[[argparse.Namespace, Path], int] | None = None,
) -> int:
    """Run the node graph of ``args.mode`` until it ends or is stopped; the exit code.

    ``in_process(args, run_dir)``, where given, runs instead of the graph once the options
    are checked and the run directory exists (the in-process evaluation does).
    """
    part = getattr(args, 'part', 'all')
    if _options_refused(args, part) or _resume_refused(args):
        return 2
    run_dir = _run_dir(args)
    if in_process is not None:
        return in_process(args, run_dir)
    nodes = _graph_nodes(args, run_dir, part)
    if nodes is None:
        return 2
    overrides = _parameter_overrides(args, nodes)
    if overrides is None:
        return 2
    overrides = follow_control_rate(nodes, overrides)
    resumed = resume_steps(nodes, run_dir, overrides) if args.mode == 'train' else 0
    if args.backend == 'real':
        print(
            'dreamstride: backend real: start the spot_ros2 driver and spot_ros2_control '
            'first (see the README, "Real Spot"); the agent starts in dry_run.',
            file=sys.stderr,
        )
    env = ros_environment(
        args.discovery_range, static_peers=args.static_peers, transports=_transports(args, part)
    )
    supervisor = Supervisor(nodes, args.namespace, run_dir, env, overrides)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    _announce(supervisor, args, run_dir, nodes, env, part, resumed)
    supervisor.start()
    # A split run (--part) keeps exactly its nodes on the link: no extra participant.
    if args.mode != 'train' or args.progress_every <= 0 or part != 'all':
        return supervisor.watch(args.duration)
    return _train_with_progress(supervisor, args, env, run_dir)


def _options_refused(args: argparse.Namespace, part: str) -> bool:
    """Say why the backend or the discovery options cannot run here (True); note --rviz."""
    if args.backend == 'webots':
        print(
            'dreamstride: the webots backend runs Webots through webots_ros2_driver, which '
            'needs launch_ros; use `ros2 launch dreamstride_bringup train.launch.py '
            'backend:=webots` on a full ROS 2 install with webots_ros2.',
            file=sys.stderr,
        )
        return True
    if args.rviz and shutil.which('rviz2') is None:
        print(
            'dreamstride: --rviz skipped: rviz2 is not installed on this machine.', file=sys.stderr
        )
    if (args.discovery_range == 'SUBNET' or args.static_peers) and (
        args.backend != 'real' and part == 'all'
    ):
        # Anything wider than this host is an explicit choice for a multi-machine run.
        print(
            'dreamstride: --discovery-range SUBNET and --static-peers are only for a real '
            'robot or a run split across machines (--part robot|learner).',
            file=sys.stderr,
        )
        return True
    return False


def _resume_refused(args: argparse.Namespace) -> bool:
    """Say why ``--resume`` cannot go on (True); else make its directory the run's."""
    resume = getattr(args, 'resume', None)
    if resume is not None:
        if args.run_dir is not None:
            print(
                'dreamstride: --resume RUN_DIR names the run directory; drop --run-dir',
                file=sys.stderr,
            )
            return True
        if not (resume / 'learner').is_dir():
            print(
                f'dreamstride: --resume {resume}: no training run there (no learner/ directory)',
                file=sys.stderr,
            )
            return True
        args.run_dir = resume
    return False


def _run_dir(args: argparse.Namespace) -> Path:
    """Return the run directory, created: ``--run-dir`` or a fresh one for the mode."""
    if args.run_dir is None:
        return fresh_run_dir(args.mode)
    run_dir = args.run_dir.expanduser().resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


def _graph_nodes(args: argparse.Namespace, run_dir: Path, part: str) -> list[NodeSpec] | None:
    """Return the graph's nodes for the options; None, said why, if they make no graph."""
    if args.mode == 'eval' and args.policy is None:
        print('dreamstride: eval on a ROS backend needs --policy', file=sys.stderr)
        return None
    try:
        return node_graph(
            args.mode,
            args.backend,
            run_dir=run_dir,
            use_sim_time=None if args.use_sim_time is None else args.use_sim_time == 'true',
            config=args.config,
            policy=getattr(args, 'policy', None),
            part=part,
            recorder_on=getattr(args, 'recorder_on', 'learner'),
            robots=getattr(args, 'robots', 1),
            namespace=args.namespace,
        )
    except ValueError as exc:
        print(f'dreamstride: {exc}', file=sys.stderr)
        return None


def _parameter_overrides(
    args: argparse.Namespace, nodes: list[NodeSpec]
) -> dict[str, dict[str, Any]] | None:
    """Return the ``-p`` overrides by node; None, said why, if one names no node of the run."""
    overrides: dict[str, dict[str, Any]] = {}
    # By node name (every robot's node of that name) or by key (spot_1/agent: one robot's).
    known = {n.name for n in nodes} | {n.key for n in nodes}
    for node, name, value in args.param:
        if node not in known:
            print(
                f'dreamstride: -p {node}:{name}: no node {node!r} in this run '
                f'({", ".join(sorted(known))})',
                file=sys.stderr,
            )
            return None
        overrides.setdefault(node, {})[name] = value
    return overrides


def _transports(args: argparse.Namespace, part: str) -> str | None:
    """Return the Fast DDS transports of a split run (None: the default); note LOCALHOST."""
    transports = None
    if part != 'all':
        # Large policy pushes over TCP (graph.SPLIT_RUN_TRANSPORTS), unless the user
        # chose Fast DDS's transports; both machines must use the same.
        transports = None if 'FASTDDS_BUILTIN_TRANSPORTS' in os.environ else SPLIT_RUN_TRANSPORTS
        if args.discovery_range == 'LOCALHOST':
            print(
                'dreamstride: note: with --discovery-range LOCALHOST '
                + (
                    'rmw_fastrtps ignores FASTDDS_BUILTIN_TRANSPORTS, so policies go as UDP '
                    'fragments; --discovery-range SUBNET --static-peers ... avoids that.'
                    if args.static_peers
                    else 'and no --static-peers the other side must run on this machine.'
                ),
                file=sys.stderr,
            )
    return transports


def _announce(
    supervisor: Supervisor,
    args: argparse.Namespace,
    run_dir: Path,
    nodes: list[NodeSpec],
    env: dict[str, str],
    part: str,
    resumed: int,
) -> None:
    """Say what runs where before it starts: the run, a resume, a split side, TensorBoard."""
    robots = getattr(args, 'robots', 1)
    fleet = f' with {robots} robots' if robots > 1 else ''
    supervisor.say(f'{args.mode} on {args.backend}{fleet}, run directory {run_dir}')
    if resumed:
        supervisor.say(
            f'resuming: {resumed} steps already stored; the learner goes on from its '
            'checkpoint and the ratio lock counts them'
        )
    if part != 'all':
        supervisor.say(
            f'{part} side only ({", ".join(n.name for n in nodes)}); discovery '
            f'{discovery_summary(env)}'
        )
    if args.mode == 'train':
        supervisor.say(f'watch it: tensorboard --logdir {run_dir / "learner"}')


def resume_steps(nodes, run_dir: Path, overrides: dict[str, dict[str, Any]]) -> int:
    """Return the steps a run directory's store already holds; tell the simulations.

    Training again in a run directory resumes it: the learner loads its checkpoint and
    the store, and its env_step_budget counts every stored step, so each simulation's
    ratio lock must count them as taken (``ratio_lock.steps_before``), or the robot would
    collect them again before the learner trains.
    """
    from dreamstride_agent.recording.replay_store import stored_steps

    # stored_steps reads single- and multi-robot stores alike; an empty or new run: 0.
    steps = len(stored_steps(run_dir / 'replay'))
    if steps and any(n.name == 'spot_mujoco' for n in nodes):
        overrides.setdefault('spot_mujoco', {})['ratio_lock.steps_before'] = steps
    return steps


def _train_with_progress(
    supervisor: Supervisor, args: argparse.Namespace, env: dict[str, str], run_dir: Path
) -> int:
    """Watch a training run, printing progress lines and warnings, then a summary."""
    from dreamstride_bringup.progress import Progress, StatusMonitor

    progress = Progress(every=args.progress_every)
    monitor = StatusMonitor(args.namespace, progress, env)
    try:
        code = supervisor.watch(args.duration, poll=monitor.poll)
    finally:
        monitor.close()
    checkpoint = run_dir / 'learner' / 'checkpoint.safetensors'
    supervisor.say(f'summary: {progress.summary()}')
    supervisor.say(
        f'policy: {checkpoint if checkpoint.is_file() else "none written yet"}; '
        f'TensorBoard: tensorboard --logdir {run_dir / "learner"}; logs: {run_dir / "logs"}'
    )
    if checkpoint.is_file():
        supervisor.say(f'evaluate it: dreamstride eval --policy {checkpoint} --initial-pose lying')
    return code


if __name__ == '__main__':
    sys.exit(main())
