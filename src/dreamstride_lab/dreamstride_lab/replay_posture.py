# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""How much of a run's replay the robot spent on its back, and how often roll wrapped.

    python -m dreamstride_lab.replay_posture RESULTS_DIR [RESULTS_DIR ...]

Reads each run's replay (``RESULTS_DIR/run/replay``, every robot store under it) and
prints, per run:

- the steps stored, and the fraction with |roll| > 2.5 rad: on the back, where every
  step scores 5.0 whatever the action until the harness's rescue;
- the transitions inside an episode where the roll input jumps by more than pi: roll
  wraps at +-pi, so a robot rocking on its back reads +3.1 then -3.1 (issue 17's
  finding 7; the agent's ``orientation_input: gravity`` has no such jump).

Only runs whose observation starts with DayDreamer's layout (12 joint positions, then
roll and pitch) are read; the walking experiment's results (docs/results.md) quote it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import itertools
import math
from pathlib import Path

import numpy as np

ON_BACK_ROLL = 2.5  # rad: beyond this the robot lies on its back
ROLL_INDEX = 12  # the observation's roll, after the 12 joint positions


@dataclass
class Posture:
    """What :func:`posture` measured in one run's replay."""

    steps: int
    on_back_fraction: float
    roll_jumps: int  # inside episodes

    def line(self, name: str) -> str:
        """Return the printed summary of this run."""
        back = self.on_back_fraction * self.steps
        share = self.roll_jumps / back if back else 0.0
        return (
            f'{name}: {self.steps} steps, {self.on_back_fraction:.1%} on the back '
            f'(|roll| > {ON_BACK_ROLL}), {self.roll_jumps} transitions where roll jumps by '
            f'more than pi ({share:.1%} of the steps on the back)'
        )


def roll_statistics(roll: np.ndarray, is_first: np.ndarray) -> tuple[float, int]:
    """Return (fraction on the back, jumps > pi inside episodes) of one ordered sequence."""
    if roll.size == 0:
        return 0.0, 0
    jumps = (np.abs(np.diff(roll)) > math.pi) & ~is_first[1:]
    return float(np.mean(np.abs(roll) > ON_BACK_ROLL)), int(jumps.sum())


def posture(results: Path) -> Posture:
    """Measure one run's replay (see the module docstring)."""
    from dreamstride_agent.recording.replay_store import stored_steps

    records = stored_steps(results / 'run' / 'replay')
    if not records:
        raise ValueError(f'no replay steps in {results / "run" / "replay"}')
    keys = records[0].observation_keys
    if not keys.startswith('joint_position:12,roll_pitch:2'):
        raise ValueError(f'{results}: observation {keys!r} does not carry roll at index 12')
    # Each agent process (robot, restart) is its own ordered sequence.
    back_steps, jumps = 0.0, 0
    for _, own in itertools.groupby(records, key=lambda r: r.run_id):
        own = list(own)
        back, run_jumps = roll_statistics(
            np.array([r.observation[ROLL_INDEX] for r in own]),
            np.array([r.is_first for r in own]),
        )
        back_steps += back * len(own)
        jumps += run_jumps
    return Posture(len(records), back_steps / len(records), jumps)


def main(argv: list[str] | None = None) -> None:
    """Print the posture summary of each results directory."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('results', nargs='+', type=Path)
    args = parser.parse_args(argv)
    for results in args.results:
        print(posture(results).line(str(results)))


if __name__ == '__main__':
    main()
