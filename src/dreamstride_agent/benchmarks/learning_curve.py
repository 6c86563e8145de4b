# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
r"""Learning curve of the DriveRight task (test_dreamer_learning's), several seeds.

    cd src/dreamstride_agent && python -m benchmarks.learning_curve --out new.json
    # The same curve on another tree's code (this script, that tree's package):
    PYTHONPATH=/tmp/main/src/dreamstride_agent \\
        python benchmarks/learning_curve.py --out old.json

Shows that a change meant to make the learner faster leaves its learning alone: the
evaluation return (policy mode, 10 episodes) against environment steps, per seed, for
the ``tiny`` size with REINFORCE (or ``--set train.actor_grad=dynamics``). Two trees'
curves should agree within the spread between seeds; their seeds do not give the same
numbers bit for bit (float sums in another order grow apart over hundreds of updates).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from dreamstride_agent.dreamer.config import load_config
from dreamstride_agent.dreamer.gym_train import train
import gymnasium as gym
import numpy as np


class DriveRight(gym.Env):
    """A point on [-1, 1] moved by the action; the reward is its position.

    Random actions average about 0.7 per 10-step episode; driving right at full speed
    earns about 8 (the same task as test_dreamer_learning's).
    """

    def __init__(self, length: int = 10) -> None:
        self.observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.length = length

    def reset(
        self, seed: int | None = None, options: dict | None = None
    ) -> tuple[np.ndarray, dict]:
        """Start at a random point in [-0.5, 0.5]."""
        super().reset(seed=seed)
        self.x, self.t = float(self.np_random.uniform(-0.5, 0.5)), 0
        return np.array([self.x], np.float32), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Move by 0.2 x the clipped action; the reward is the new position."""
        self.x = float(np.clip(self.x + 0.2 * float(np.clip(action[0], -1, 1)), -1, 1))
        self.t += 1
        return np.array([self.x], np.float32), self.x, False, self.t >= self.length, {}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train each seed and print the evaluation returns per environment step."""
    parser = argparse.ArgumentParser(description='Dreamer learning curve on DriveRight')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3])
    parser.add_argument('--steps', type=int, default=600)
    parser.add_argument('--eval-every', type=int, default=100)
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE')
    parser.add_argument('--out', default=None, help='JSON results file')
    args = parser.parse_args(argv)
    curves: dict[int, list[dict[str, float]]] = {}
    start = time.process_time()
    for seed in args.seeds:
        config = load_config(
            'tiny',
            [
                'run.prefill=200',
                'run.train_ratio=128',
                f'run.eval_every={args.eval_every}',
                'run.eval_episodes=10',
                f'run.seed={seed}',
                'run.device=cpu',
                'train.horizon=10',
                'train.actor_grad=reinforce',
                *args.set,
            ],
        )
        result = train(DriveRight, config, steps=args.steps, logdir=None, verbose=False)
        curves[seed] = [
            {'env_step': e['env_step'], 'eval_return': e['eval_return']}
            for e in result.evaluations
        ]
        row = '  '.join(f'{e["eval_return"]:5.2f}' for e in curves[seed])
        print(f'seed {seed}: {row}', flush=True)
    steps = [e['env_step'] for e in curves[args.seeds[0]]]
    means = [
        statistics.mean(curves[s][i]['eval_return'] for s in args.seeds) for i in range(len(steps))
    ]
    print('steps  ' + '  '.join(f'{s:5d}' for s in steps))
    print('mean   ' + '  '.join(f'{m:5.2f}' for m in means))
    summary = {
        'overrides': args.set,
        'curves': curves,
        'steps': steps,
        'mean': means,
        'cpu_s': time.process_time() - start,
    }
    if args.out:
        with open(args.out, 'w') as handle:
            json.dump(summary, handle, indent=2)
    return summary


if __name__ == '__main__':
    main()
