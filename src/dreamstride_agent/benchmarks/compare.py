# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
r"""Update speed of two source trees, interleaved: CPU-seconds per update, medians.

    cd src/dreamstride_agent
    git worktree add /tmp/main main
    python -m benchmarks.compare /tmp/main/src/dreamstride_agent . --reps 5 -- \\
        --sizes cpu --threads 1 --set train.actor_grad=reinforce --set train.precision=float32

Runs ``python -m benchmarks.speed`` (the arguments after ``--``) in each tree in turn,
``--reps`` times, and reports the median process CPU time per update of each tree.
Process CPU time rather than wall time: on a machine shared with other work, wall time
measures the neighbours as much as the code; alternating the trees spreads what load
remains over both.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import statistics
import subprocess
import sys
import tempfile
from typing import Any


def run_speed(tree: Path, speed_args: list[str]) -> dict[str, Any]:
    """Run the speed benchmark of one tree in a fresh process; return its JSON results."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / 'speed.json'
        env = dict(os.environ, PYTHONPATH=str(tree))
        subprocess.run(
            [sys.executable, '-m', 'benchmarks.speed', *speed_args, '--json', str(out)],
            cwd=tree,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Alternate the trees and print the median CPU-seconds per update of each."""
    parser = argparse.ArgumentParser(description='Compare update speed of two trees')
    parser.add_argument('trees', nargs=2, type=Path, help='src/dreamstride_agent of each tree')
    parser.add_argument('--reps', type=int, default=5)
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after '--' goes to benchmarks.speed unchanged.
    split = argv.index('--') if '--' in argv else len(argv)
    args = parser.parse_args(argv[:split])
    speed_args = argv[split + 1 :] or ['--sizes', 'cpu']
    # The policy latency is not compared here; keep its part of each run short.
    speed_args += ['--policy-size', 'cpu', '--policy-steps', '200']
    cpu: dict[int, list[float]] = {0: [], 1: []}
    for rep in range(args.reps):
        # Alternate which tree goes first, so neither always runs on a warmer machine.
        for index in (0, 1) if rep % 2 == 0 else (1, 0):
            row = run_speed(args.trees[index].resolve(), speed_args)['updates'][0]
            cpu[index].append(row['cpu_s'])
            print(f'rep {rep}  tree {index}  {row["cpu_s"]:.3f} CPU-s/update', flush=True)
    medians = [statistics.median(cpu[i]) for i in (0, 1)]
    print(
        f'median CPU-s/update: {args.trees[0]} {medians[0]:.3f}, {args.trees[1]} '
        f'{medians[1]:.3f} ({medians[0] / medians[1]:.2f}x)'
    )
    return {'trees': [str(t) for t in args.trees], 'cpu_s': cpu, 'median_cpu_s': medians}


if __name__ == '__main__':
    main()
