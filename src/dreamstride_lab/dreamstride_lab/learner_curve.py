# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The learner's own curves from its TensorBoard log, as rows for a CSV.

    python -m dreamstride_lab.learner_curve RUN_DIR/learner --out learner.csv

The walking experiment writes them as ``learner.csv`` beside its results, because what
the actor does between evaluations (its std growing, its imagined returns) is what
explains a policy that stops standing, and a run's TensorBoard directory is too large to
commit.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
import sys

# TensorBoard tag -> CSV column.
COLUMNS = {
    'train/actor_std': 'actor_std',
    'train/actor_entropy': 'actor_entropy',
    'train/imag_reward': 'imag_reward',
    'train/imag_return': 'imag_return',
    'train/imag_value': 'imag_value',
    'train/return_scale': 'return_scale',
    'train/world_model_loss': 'world_model_loss',
    'replay/mean_reward': 'replay_mean_reward',
}


def learner_curve(logdir: Path | str) -> list[dict]:
    """Return one row per logged update: ``update`` and every column of COLUMNS."""
    from tensorboard.backend.event_processing.event_accumulator import (
        SCALARS,
        EventAccumulator,
    )

    rows: dict[int, dict] = {}
    for events in sorted(Path(logdir).glob('events.out.tfevents.*')):
        # size_guidance 0: keep every scalar, not TensorBoard's sample of 10,000.
        accumulator = EventAccumulator(str(events), size_guidance={SCALARS: 0})
        accumulator.Reload()
        tags = set(accumulator.Tags()['scalars'])
        for tag, column in COLUMNS.items():
            if tag not in tags:
                continue
            for event in accumulator.Scalars(tag):
                rows.setdefault(event.step, {'update': event.step})[column] = event.value
    return [
        {'update': step, **{c: rows[step].get(c, '') for c in COLUMNS.values()}}
        for step in sorted(rows)
        if any(c in rows[step] for c in COLUMNS.values() if c != 'replay_mean_reward')
    ]


def write_learner_curve(logdir: Path | str, out: Path | str) -> int:
    """Write :func:`learner_curve` of ``logdir`` to the CSV ``out``; return its rows."""
    rows = learner_curve(logdir)
    with open(out, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=['update', *COLUMNS.values()])
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    """Entry point: write a learner log's curves to a CSV."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('logdir', type=Path, help="the learner's TensorBoard directory")
    parser.add_argument('--out', type=Path, required=True, help='CSV file to write')
    args = parser.parse_args(argv)
    if not args.logdir.is_dir():
        print(f'learner_curve: {args.logdir} is not a directory', file=sys.stderr)
        return 2
    print(f'{write_learner_curve(args.logdir, args.out)} rows -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
