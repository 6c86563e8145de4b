# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Pendulum-v1 learning benchmark: evaluation return against environment steps.

    cd src/dreamstride_agent && python -m benchmarks.pendulum --out pendulum.json

Trains with ``dreamer.gym_train`` (one process, the ``tiny`` size by default), evaluates
the policy's mode every ``--eval-every`` steps on ``--eval-episodes`` fresh episodes, and
prints and writes (JSON) the curve and the first step whose evaluation average exceeds
``--target`` (-300; random actions score about -1200). Stops at ``--steps`` environment
steps or ``--max-minutes`` of wall-clock time, whichever comes first.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from typing import Any

from dreamstride_agent.dreamer.config import DreamerConfig, load_config
from dreamstride_agent.dreamer.gym_train import TrainResult, train
import gymnasium as gym
import torch


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark."""
    args = _parser().parse_args(argv)
    config = _config(args)
    start = time.perf_counter()
    result = _train(config, args, deadline=start + 60.0 * args.max_minutes)
    summary = _summary(args, config, result, start)
    _print_summary(summary)
    with open(args.out, 'w') as handle:
        json.dump(summary, handle, indent=2)
    return summary


def _parser() -> argparse.ArgumentParser:
    """Return the benchmark's command line."""
    parser = argparse.ArgumentParser(description='Dreamer on Pendulum-v1')
    parser.add_argument('--config', default='tiny')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE')
    parser.add_argument('--steps', type=int, default=20_000)
    parser.add_argument('--eval-every', type=int, default=1000)
    parser.add_argument('--eval-episodes', type=int, default=5)
    parser.add_argument('--target', type=float, default=-300.0)
    parser.add_argument('--max-minutes', type=float, default=60.0)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--logdir', default=None, help='TensorBoard directory (optional)')
    parser.add_argument('--out', default='pendulum.json', help='JSON results file')
    return parser


def _config(args: argparse.Namespace) -> DreamerConfig:
    """Return the benchmark's Dreamer configuration; ``--set`` overrides come last."""
    return load_config(
        args.config,
        [
            'run.prefill=1000',
            'run.train_ratio=128',
            f'run.seed={args.seed}',
            f'run.eval_every={args.eval_every}',
            f'run.eval_episodes={args.eval_episodes}',
            'run.device=cpu',
            *args.set,
        ],
    )


def _train(config: DreamerConfig, args: argparse.Namespace, deadline: float) -> TrainResult:
    """Train on Pendulum-v1 for ``--steps`` environment steps or until ``deadline``."""

    def stop(entry: dict[str, float]) -> bool:
        return time.perf_counter() > deadline

    return train(
        lambda: gym.make('Pendulum-v1'), config, args.steps, args.logdir, verbose=True, stop=stop
    )


def _summary(
    args: argparse.Namespace, config: DreamerConfig, result: TrainResult, start: float
) -> dict[str, Any]:
    """Return the JSON summary: the curve, the first step above the target, the machine."""
    reached = next(
        (e['env_step'] for e in result.evaluations if e['eval_return'] > args.target), None
    )
    return {
        'env': 'Pendulum-v1',
        'config': config.to_dict(),
        'target': args.target,
        'first_step_above_target': reached,
        'best_eval_return': max((e['eval_return'] for e in result.evaluations), default=None),
        'final_eval_return': result.evaluations[-1]['eval_return'] if result.evaluations else None,
        'updates': result.agent.step if result.agent else 0,
        'wall_minutes': (time.perf_counter() - start) / 60.0,
        'machine': {
            'cpu': platform.processor() or platform.machine(),
            'torch_threads': torch.get_num_threads(),
            'torch': torch.__version__,
        },
        'evaluations': result.evaluations,
    }


def _print_summary(summary: dict[str, Any]) -> None:
    """Print the benchmark's one-line result."""
    reached = summary['first_step_above_target']
    print(
        f'[pendulum] first evaluation above {summary["target"]}: '
        f'{reached if reached is not None else "not reached"} env steps; best '
        f'{summary["best_eval_return"]}, final {summary["final_eval_return"]}, '
        f'{summary["updates"]} updates in {summary["wall_minutes"]:.1f} min',
        flush=True,
    )


if __name__ == '__main__':
    main()
