# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Measure whether the simulated Spot can right itself, and how soon random actions flip it.

    python -m dreamstride_lab.self_right_probe [--trials 60]

Prints five measurements (they explain the walking experiment's limits, see
docs/results.md):
1. from its back: random full-range joint-target sequences (8 per trial, held 0.5-1 s
   each); how many trials end upright (body z axis up > 0.5);
2. from random drops: the same;
3. from lying on its belly: uniformly random agent actions through the agent's own
   command path (standing-pose mapping, 1.5 Hz filter, step limit) at 20 Hz; after how
   many control steps the robot first lies on its back (body z axis up < -0.5);
4. from its back: uniformly random agent actions through the same path for 10 s; the
   lowest and highest up_z (body z axis, world z component) per seed;
5. from its back: the scripted self-right (spot_description.self_right.SELF_RIGHT_KEY_POSES)
   at the agent's max_step; up_z every 0.25 s.
"""

from __future__ import annotations

import argparse

from dreamstride_agent.acting.command_filter import CommandConfig, CommandFilter
import numpy as np
from spot_description.self_right import (
    SELF_RIGHT_SETTLE_TICKS,
    SELF_RIGHT_TICKS,
    self_right_poses,
)
from spot_description.spot import JOINT_LOWER, JOINT_UPPER
from spot_mujoco.simulation import SpotSimulation

CONTROL_STEPS = 25  # physics steps (2 ms) per 50 ms agent tick


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
    rng = np.random.default_rng(seed)
    sim.reset('lying', seed=seed)
    command = CommandFilter()
    command.reset(sim.joints().position)
    for step in range(limit):
        sim.set_position_targets(command(rng.uniform(-1.0, 1.0, 12)))
        sim.step(CONTROL_STEPS)
        if sim.body_z_axis()[2] < -0.5:
            return step + 1
    return None


def random_actions_from_back(
    sim: SpotSimulation, seed: int, seconds: float = 10.0
) -> tuple[float, float]:
    """Lowest and highest up_z under uniformly random agent actions, starting on its back."""
    rng = np.random.default_rng(seed)
    sim.reset('on_back', seed=seed)
    sim.step(250)
    command = CommandFilter()
    command.reset(sim.joints().position)
    up = []
    for _ in range(round(seconds * command.config.control_rate)):
        sim.set_position_targets(command(rng.uniform(-1.0, 1.0, 12)))
        sim.step(CONTROL_STEPS)
        up.append(sim.body_z_axis()[2])
    return float(min(up)), float(max(up))


def scripted_self_right(sim: SpotSimulation) -> np.ndarray:
    """up_z per 50 ms tick of the scripted self-right from its back, at the agent's max_step."""
    sim.reset('on_back')
    sim.step(100)
    max_step = CommandConfig().max_step
    poses = self_right_poses()
    up = [
        sim.move_to(
            pose, SELF_RIGHT_SETTLE_TICKS if i == len(poses) - 1 else SELF_RIGHT_TICKS, max_step
        )
        for i, pose in enumerate(poses)
    ]
    return np.concatenate(up)


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--trials', type=int, default=60)
    parser.add_argument('--flip-trials', type=int, default=6)
    parser.add_argument('--back-seeds', type=int, default=4)
    args = parser.parse_args()
    with SpotSimulation(seed=0) as sim:
        n = random_targets_upright(sim, 'on_back', args.trials, 0)
        print(f'from its back: {n}/{args.trials} trials end upright')
        n = random_targets_upright(sim, 'random', args.trials // 3, 1)
        print(f'from random drops: {n}/{args.trials // 3} trials end upright')
        flips = [steps_until_on_back(sim, seed) for seed in range(args.flip_trials)]
        print(
            f'from lying down, random agent actions put it on its back after {flips} '
            'control steps (20 Hz)'
        )
        for seed in range(args.back_seeds):
            low, high = random_actions_from_back(sim, seed)
            print(
                f'from its back, 10 s of random agent actions (seed {seed}): '
                f'up_z {low:.2f} to {high:.2f}'
            )
        up = scripted_self_right(sim)
        print(
            f'scripted self-right from its back, up_z every 0.25 s: '
            f'{np.round(up[::5], 2).tolist()} (final {up[-1]:.2f})'
        )


if __name__ == '__main__':
    main()
