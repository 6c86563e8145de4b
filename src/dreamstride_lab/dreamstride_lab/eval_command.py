# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""``dreamstride eval`` on MuJoCo without ``--ros``: the in-process evaluation.

Its options (policy, starts, command, video) and what it prints and writes: the agent's
own tick logic against the simulation (evaluate.evaluate), judged by physics, with the
walk criterion's verdict (locomotion_metrics.WALK) or, with ``--omni``, the tracking of
eight commands (locomotion_metrics.TRACKING).
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
from typing import Any

from dreamstride_bringup.cli import add_graph_arguments, run_graph
from spot_description.spot import START_POSES
import yaml


def add_eval_arguments(cmd: argparse.ArgumentParser) -> None:
    """Add the evaluation's own options to ``cmd`` (after the graph's)."""
    cmd.add_argument(
        '--policy',
        type=Path,
        help='learner checkpoint (run_dir/learner/checkpoint.safetensors); '
        'without it the agent acts randomly (the baseline)',
    )
    cmd.add_argument('--episodes', type=int, default=3)
    cmd.add_argument(
        '--episode-length',
        type=int,
        help="steps per episode (default: the agent's episode_length)",
    )
    cmd.add_argument(
        '--initial-pose',
        default='lying',
        choices=START_POSES,
        help='pose each episode starts from, at a random heading with a little '
        'joint noise (default: lying, where the walk criterion applies)',
    )
    cmd.add_argument(
        '--command',
        nargs=3,
        type=float,
        metavar=('VX', 'VY', 'WZ'),
        default=None,
        help='body velocity (m/s, m/s, rad/s) the physical measures are taken '
        "against (default: DayDreamer's forward 0.3 0 0); the agent is not told it",
    )
    cmd.add_argument(
        '--omni',
        action='store_true',
        help='the omnidirectional mode: follow each of 8 commands (forward, '
        'backward, sideways, turning, diagonals) from standing; velocity and '
        'yaw-rate errors per command',
    )
    cmd.add_argument(
        '--long',
        action='store_true',
        help='add one 1,000-step run from standing (loops and slow falls show)',
    )
    cmd.add_argument(
        '--sample',
        action='store_true',
        help='act with actions sampled from the policy, as training collects its steps '
        "(default: the policy's mode, which the walk criterion judges)",
    )
    cmd.add_argument('--seed', type=int, default=0)
    cmd.add_argument(
        '--video', type=Path, help='video file (.mp4 or .gif; default RUN_DIR/eval.mp4)'
    )
    cmd.add_argument(
        '--ros',
        action='store_true',
        help='run the ROS graph (backend + agent) instead of the in-process MuJoCo evaluation',
    )


def _evaluate_omni(args: argparse.Namespace, run_dir: Path, config) -> int:
    """Evaluate every command of the omnidirectional mode; print and save the errors."""
    import json

    from dreamstride_lab.evaluate import evaluate
    from dreamstride_lab.locomotion_metrics import OMNI_COMMANDS, TRACKING

    rows = []
    for name, command in OMNI_COMMANDS.items():
        result = evaluate(
            args.policy,
            episodes=1,
            episode_length=TRACKING.steps,
            initial_pose=TRACKING.start_pose,
            seed=args.seed,
            agent_config=config,
            command=command,
            sample_actions=args.sample,
        )
        m = result.episodes[0].physics
        failures = TRACKING.failures(m)
        rows.append(
            {
                'command': name,
                'vx': command.vx,
                'vy': command.vy,
                'wz': command.wz,
                'tracking_error': m.tracking_error,
                'yaw_rate_error': m.yaw_rate_error,
                'followed': not failures,
                'failures': failures,
            }
        )
        print(
            f'{name:14s} ({command.vx:+.2f}, {command.vy:+.2f}, {command.wz:+.2f}): velocity '
            f'error {m.tracking_error:.3f} m/s, yaw-rate error {m.yaw_rate_error:.3f} rad/s'
            + ('' if not failures else f'  [{"; ".join(failures)}]')
        )
    followed = sum(r['followed'] for r in rows)
    print(
        f'followed {followed} of {len(rows)} commands (velocity error <= '
        f'{TRACKING.max_tracking_error} m/s and yaw-rate error <= '
        f'{TRACKING.max_yaw_rate_error} rad/s, {TRACKING.steps} steps from {TRACKING.start_pose})'
    )
    out = run_dir / 'omni.json'
    out.write_text(
        json.dumps({'policy': str(args.policy or 'random'), 'commands': rows}, indent=2)
    )
    print(f'results: {out}')
    return 0


def evaluate_in_process(args: argparse.Namespace, run_dir: Path) -> int:
    """Evaluate ``args.policy`` in-process into ``run_dir``; print it; the exit code."""
    from dreamstride_lab.evaluate import evaluation_agent_config

    if args.policy is not None and not args.policy.is_file():
        print(f'dreamstride: --policy {args.policy}: no such checkpoint file', file=sys.stderr)
        return 2
    overrides = _agent_overrides(args)
    if overrides is None:
        return 2
    try:
        config = evaluation_agent_config(args.config, overrides, args.namespace)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f'dreamstride: {exc}', file=sys.stderr)
        return 2
    from dreamstride_lab.locomotion_metrics import FORWARD_COMMAND, VelocityCommand

    try:
        command = VelocityCommand(*args.command) if args.command else FORWARD_COMMAND
    except ValueError as exc:
        print(f'dreamstride: --command: {exc}', file=sys.stderr)
        return 2
    if args.omni:
        return _evaluate_omni(args, run_dir, config)
    return _evaluate_walk(args, run_dir, config, command)


def _agent_overrides(args: argparse.Namespace) -> dict[str, Any] | None:
    """Return the agent's overrides from ``-p`` and the options; None after a bad ``-p``."""
    from dreamstride_agent.acting.agent_parameters import NODE_PARAMETERS

    overrides: dict[str, Any] = {}
    for node, name, value in args.param:
        if node != 'agent':
            print(
                f'dreamstride: -p {node}:{name}: the in-process evaluation runs only the '
                "agent's logic; use --ros to set other nodes' parameters",
                file=sys.stderr,
            )
            return None
        overrides[name] = value
    node_only = sorted(set(overrides) & {p.name for p in NODE_PARAMETERS})
    if node_only:
        print(
            f'dreamstride: -p agent:{", agent:".join(node_only)}: not used by the in-process '
            'evaluation (see --policy, --seed, --ros)',
            file=sys.stderr,
        )
    if args.episode_length is not None:  # the explicit option wins over -p and files
        overrides['episode_length'] = args.episode_length
    return overrides


def _evaluate_walk(args: argparse.Namespace, run_dir: Path, config, command) -> int:
    """Evaluate the starts (and the long run) against ``command``; print and save them."""
    import json

    from dreamstride_lab.evaluate import evaluate

    video = args.video or run_dir / 'eval.mp4'
    result = evaluate(
        args.policy,
        episodes=args.episodes,
        initial_pose=args.initial_pose,
        seed=args.seed,
        video=video,
        agent_config=config,
        command=command,
        sample_actions=args.sample,
    )
    summary = result.summary()
    print(
        f'command vx {command.vx:+.2f} m/s, vy {command.vy:+.2f} m/s, wz {command.wz:+.2f} '
        f'rad/s; {summary["episodes"]} starts from {args.initial_pose}, '
        f'{config.episode_length} steps ({summary["policy"]}'
        f'{", sampled actions" if args.sample else ""})'
    )
    for i, e in enumerate(result.episodes):
        _print_episode(f'start {i}', e)
    print(
        f'mean reward/step {summary["mean_reward_per_step"]:.2f}; net speed along the command '
        f'{summary["net_speed_along_command"]:+.3f} m/s; worst heading drift '
        f'{summary["max_abs_heading_drift_deg"]:.0f} deg; walked: {_walk_verdict(result, summary)}'
    )
    if args.long:
        summary['long_run'] = _evaluate_long_run(args, config, command)
    (run_dir / 'eval.json').write_text(json.dumps(summary, indent=2))
    print(f'video: {video}\nresults: {run_dir / "eval.json"}')
    return 0


def _walk_verdict(result, summary: dict[str, Any]) -> str:
    """Return the walk criterion's verdict on the starts, or why it was not judged."""
    from dreamstride_lab.locomotion_metrics import WALK

    walked = result.walked
    if walked is None:
        verdict = (
            f'not judged (the walk criterion needs {WALK.steps} steps from {WALK.start_pose})'
        )
    else:
        verdict = f'{"yes" if walked else "no"} ({summary["walked_episodes"]} of '
        verdict += f'{summary["episodes"]} starts pass)'
    return verdict


def _evaluate_long_run(args: argparse.Namespace, config, command) -> dict[str, Any]:
    """Evaluate one long run from standing; print it and return its summary."""
    from dreamstride_lab.evaluate import LONG_RUN_STEPS, evaluate

    long = evaluate(
        args.policy,
        episodes=1,
        episode_length=LONG_RUN_STEPS,
        initial_pose='standing',
        seed=args.seed,
        agent_config=config,
        command=command,
        sample_actions=args.sample,
    )
    _print_episode(f'long run ({LONG_RUN_STEPS} steps from standing)', long.episodes[0])
    return long.summary()


def _print_episode(label: str, e) -> None:
    """Print one episode's physical measures, the reward beside them."""
    m = e.physics
    stood = 'never' if m.time_to_stand is None else f'{m.time_to_stand:.2f} s'
    print(
        f'{label}: reward/step {e.mean_reward:5.2f}  '
        f'net along command {m.displacement_along_command:+.2f} m '
        f'({m.net_speed_along_command:+.3f} m/s)  heading drift {m.heading_drift_deg:+.0f} deg  '
        f'tracking error {m.tracking_error:.2f} m/s, yaw rate {m.yaw_rate_error:.2f} rad/s  '
        f'non-foot contact {m.non_foot_contact_share:4.0%}  slip {m.foot_slip:.3f} m/s  '
        f'upright {m.upright_share:4.0%}  stood {stood}  '
        f'(speed along its heading {e.speed_along_heading:+.3f} m/s)  '
        f'walked {"yes" if e.walked else "no: " + "; ".join(e.failures)}'
    )


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    """Add the options of ``dreamstride eval`` to ``cmd``: the graph's, then its own."""
    add_graph_arguments(cmd, 'eval')
    add_eval_arguments(cmd)


def run(args: argparse.Namespace) -> int:
    """Run ``dreamstride eval``: in-process on MuJoCo, else the eval graph (``--ros``)."""
    in_process = args.backend == 'mujoco' and not args.ros
    return run_graph(args, evaluate_in_process if in_process else None)
