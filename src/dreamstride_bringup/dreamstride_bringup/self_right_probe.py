"""Measure whether the simulated Spot can right itself, and how soon random actions flip it.

    python -m dreamstride_bringup.self_right_probe [--trials 60]

Prints three measurements (they explain the walking experiment's limits, see
docs/results.md):
1. from its back: random full-range joint-target sequences (8 per trial, held 0.5-1 s
   each); how many trials end upright (body z axis up > 0.5);
2. from random drops: the same;
3. from lying on its belly: uniformly random agent actions through the agent's own
   command path (standing-pose mapping, 1.5 Hz filter, step limit) at 20 Hz; after how
   many control steps the robot first lies on its back (body z axis up < -0.5).
"""

from __future__ import annotations

import argparse

import numpy as np
from spot_description.spot import JOINT_LOWER, JOINT_UPPER
from spot_mujoco.simulation import SpotSimulation


def random_targets_upright(sim: SpotSimulation, pose: str, trials: int, seed: int) -> int:
    """Count trials from ``pose`` that end upright after random full-range targets."""
    rng = np.random.default_rng(seed)
    upright = 0
    for trial in range(trials):
        sim.reset(pose, seed=trial)
        sim.step(250)
        for _ in range(8):
            sim.set_position_targets(rng.uniform(JOINT_LOWER, JOINT_UPPER))
            sim.step(int(rng.integers(250, 500)))
        upright += sim.body_z_axis()[2] > 0.5
    return upright


def steps_until_on_back(sim: SpotSimulation, seed: int, limit: int = 3000) -> int | None:
    """Control steps of random agent actions from lying down until it lies on its back."""
    from dreamstride_agent.commands import CommandFilter

    rng = np.random.default_rng(seed)
    sim.reset('lying', seed=seed)
    command = CommandFilter()
    command.reset(sim.joints().position)
    for step in range(limit):
        sim.set_position_targets(command(rng.uniform(-1.0, 1.0, 12)))
        sim.step(25)
        if sim.body_z_axis()[2] < -0.5:
            return step + 1
    return None


def main() -> None:
    """Run the three measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--trials', type=int, default=60)
    parser.add_argument('--flip-trials', type=int, default=6)
    args = parser.parse_args()
    with SpotSimulation(seed=0) as sim:
        n = random_targets_upright(sim, 'on_back', args.trials, 0)
        print(f'from its back: {n}/{args.trials} trials end upright')
        n = random_targets_upright(sim, 'random', args.trials // 3, 1)
        print(f'from random drops: {n}/{args.trials // 3} trials end upright')
        flips = [steps_until_on_back(sim, seed) for seed in range(args.flip_trials)]
        print(f'from lying down, random agent actions put it on its back after {flips} '
              'control steps (20 Hz)')


if __name__ == '__main__':
    main()
