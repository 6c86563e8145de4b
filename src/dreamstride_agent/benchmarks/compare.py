# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
r"""Update speed of two source trees in one process, update by update: CPU-s, medians.

    cd src/dreamstride_agent
    git worktree add /tmp/main main
    python -m benchmarks.compare /tmp/main/src/dreamstride_agent . --updates 30 \
        --set train.actor_grad=reinforce --set train.precision=float32

Imports ``dreamstride_agent`` from each tree in turn (renaming the first tree's modules
out of the way), builds a learner of each with the same seed and data, and alternates
their ``train_step`` calls, timing each with the thread's CPU clock. On a machine shared
with other work, separate runs see different neighbours; updates that alternate within
one process see the same ones, so their medians compare the code, not the load.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import statistics
import sys
import time
from typing import Any

from benchmarks.batches import random_batch
import numpy as np
import torch

PACKAGE = 'dreamstride_agent'


def build_learner(tree: str, alias: str, size: str, overrides: list[str], dims: tuple) -> Any:
    """Build a learner from one tree's code; its modules move to ``alias`` afterwards.

    The learner is built before the move: the configuration resolves its type hints
    through the module's registered name.
    """
    sys.path.insert(0, tree)
    try:
        try:
            agent = importlib.import_module(f'{PACKAGE}.dreamer.learner')
        except ModuleNotFoundError:  # a tree from before dreamer/agent.py was renamed
            agent = importlib.import_module(f'{PACKAGE}.dreamer.agent')
        config = importlib.import_module(f'{PACKAGE}.dreamer.config')
        torch.manual_seed(0)
        learner = agent.DreamerLearner(
            config.load_config(size, ['run.device=cpu', *overrides]), *dims
        )
    finally:
        sys.path.remove(tree)
    print(f'tree {alias}: {agent.__file__}', flush=True)
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + '.')]:
        sys.modules[alias + name[len(PACKAGE) :]] = sys.modules.pop(name)
    return learner


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Alternate the trees' updates and print the median CPU-seconds per update of each."""
    parser = argparse.ArgumentParser(description='Compare update speed of two trees')
    parser.add_argument('trees', nargs=2, help='src/dreamstride_agent of each tree')
    parser.add_argument('--size', default='cpu')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE')
    parser.add_argument('--updates', type=int, default=30, help='timed updates per tree')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--obs-dim', type=int, default=16)
    parser.add_argument('--act-dim', type=int, default=12)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    dims = (args.obs_dim, args.act_dim)
    learners = [
        build_learner(tree, f'_tree{index}_{PACKAGE}', args.size, args.set, dims)
        for index, tree in enumerate(args.trees)
    ]
    B, T = learners[0].config.train.batch, learners[0].config.train.length
    rng = np.random.default_rng(0)
    batches = [random_batch(B, T, args.obs_dim, args.act_dim, rng) for _ in range(3)]
    for learner in learners:  # warm-up
        for batch in batches[:2]:
            learner.train_step(batch)
    cpu: list[list[float]] = [[], []]
    for step in range(args.updates):
        # Alternate which tree goes first, so neither always follows the other.
        for index in (0, 1) if step % 2 == 0 else (1, 0):
            start = time.thread_time()
            learners[index].train_step(batches[step % 3])
            cpu[index].append(time.thread_time() - start)
    medians = [statistics.median(c) for c in cpu]
    print(
        f'{args.size} {" ".join(args.set)}, {args.threads} thread(s), {args.updates} updates '
        f'each, on {platform.processor() or platform.machine()}\n'
        f'median CPU-s/update: {args.trees[0]} {medians[0]:.3f}, {args.trees[1]} '
        f'{medians[1]:.3f} ({medians[0] / medians[1]:.2f}x)'
    )
    return {'trees': args.trees, 'cpu_s': cpu, 'median_cpu_s': medians}


if __name__ == '__main__':
    main()
