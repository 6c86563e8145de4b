"""The ``dreamstride`` command: start DreamStride's node graph without launch_ros."""

from __future__ import annotations

import argparse
import sys

BACKENDS = ('mujoco', 'webots', 'real')


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``dreamstride`` command."""
    parser = argparse.ArgumentParser(
        prog='dreamstride',
        description='Train, evaluate or simulate a Dreamer agent on Spot through ROS 2.')
    sub = parser.add_subparsers(dest='command', required=True)
    for name, text in (('train', 'backend + agent + replay recorder + learner'),
                       ('eval', 'run a saved policy without learning'),
                       ('sim', 'the simulation backend only')):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument('--backend', choices=BACKENDS, default='mujoco')
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dreamstride`` command."""
    args = build_parser().parse_args(argv)
    print(f'dreamstride {args.command}: not yet implemented (the node graph lands with the '
          'learning-system and bringup issues).', file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
