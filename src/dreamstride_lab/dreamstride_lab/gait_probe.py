# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Can the agent's action space walk at all? An open-loop trot, judged as a policy is.

A learned policy that does not walk leaves two explanations: the learning failed, or
walking is out of reach of what the agent may command (action scale around the standing
pose, the 1.5 Hz low-pass, the per-tick rate limit, the joint clamps). This probe rules
the second in or out. A scripted trot, diagonal leg pairs half a cycle apart, a sine on
each hip_y and a half-wave on each knee, in action units, goes through the agent's own
tick (AgentCore: observation, command path, gated reward) on the MuJoCo Spot, and is
measured by the evaluator exactly as a policy is (locomotion_metrics.WALK, randomised
starts). Beside it, the zero action (stand still) gives the reward of doing nothing.

    python -m dreamstride_lab.gait_probe                      # the default trot vs standing
    python -m dreamstride_lab.gait_probe --search             # a small grid of trots
    python -m dreamstride_lab.gait_probe --video trot.mp4
    python -m dreamstride_lab.gait_probe -p tracking_average_time=0   # run 8's reward
    python -m dreamstride_lab.gait_probe --noise 0.1 0.125 0.15 --length 1200  # exploration

The trot ignores its observations, so it walks along whatever heading it starts at; the
command it is measured against is the body's initial forward direction (the agent's fixed
forward command, which the agent expresses in the body frame).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
from spot_description.spot import JOINT_GROUPS, LEGS, NUM_JOINTS
import yaml

# Diagonal pairs: front-left with rear-right, front-right with rear-left (LEGS order).
TROT_PHASE = {'front_left': 0.0, 'rear_right': 0.0, 'front_right': math.pi, 'rear_left': math.pi}


@dataclass(frozen=True)
class Trot:
    """An open-loop trot in action units (1 = the agent's full action_scale offset).

    hip_y swings ``hip * sin(phase)``; the knee flexes ``knee * max(0, sin(phase +
    knee_phase))``, so a foot lifts during half of its cycle. The defaults walked fastest
    and straightest in ``--search`` (run from the MuJoCo Spot, standing, heading 0).
    """

    frequency: float = 1.5  # Hz, steps of each diagonal pair per second
    hip: float = 0.3
    knee: float = 0.4
    knee_phase: float = math.pi / 2

    def action(self, t: float) -> np.ndarray:
        """Return the action (NUM_JOINTS, in [-1, 1]) at ``t`` seconds into the gait."""
        action = np.zeros(NUM_JOINTS, dtype=np.float32)
        hip_y, knee = JOINT_GROUPS['hip_y'], JOINT_GROUPS['knee']
        for leg, (h, k) in enumerate(zip(hip_y, knee, strict=True)):
            phase = 2.0 * math.pi * self.frequency * t + TROT_PHASE[LEGS[leg]]
            action[h] = self.hip * math.sin(phase)
            action[k] = self.knee * max(0.0, math.sin(phase + self.knee_phase))
        return np.clip(action, -1.0, 1.0)


STAND = Trot(hip=0.0, knee=0.0)  # the zero action: hold the standing pose


@dataclass(frozen=True)
class Noise:
    """White Gaussian actions of ``std`` on every joint: what an untrained actor explores with.

    The robot presets' untrained actor has std 0.15 around the standing pose
    (dreamer/config.py ROBOT_INIT_STD); ``--noise`` shows how often such noise alone tips
    the standing robot over.
    """

    std: float
    seed: int = 0

    def action(self, t: float) -> np.ndarray:
        """Return the action at ``t`` s: a fresh draw per tick, the same for the same seed."""
        rng = np.random.default_rng((self.seed, round(t * 1000)))
        return np.clip(rng.normal(0.0, self.std, NUM_JOINTS), -1.0, 1.0).astype(np.float32)


class ScriptedPolicy:
    """A Policy look-alike for AgentCore: acts from the time since the episode began."""

    def __init__(self, gait: Trot | Noise, control_rate: float) -> None:
        self.gait = gait
        self.period = 1.0 / control_rate

    def step(self, obs, state, is_first, image=None, sample=False):
        """Return (action, ticks since the episode's first step)."""
        del obs, image, sample
        tick = 0 if is_first or state is None else int(state) + 1
        return self.gait.action(tick * self.period), tick


class ScriptedSlot:
    """Holds one scripted policy the way PolicySlot holds a pushed one."""

    def __init__(self, policy: ScriptedPolicy, name: str) -> None:
        self.active = policy
        self.active_version = 0
        self.name = name

    def swap(self) -> bool:
        """Nothing is ever pushed to a scripted slot."""
        return False

    def drop_active(self, reason: str) -> str:
        """Raise: a scripted gait cannot produce a bad action, so one is a bug here."""
        raise RuntimeError(f'scripted gait {self.name}: {reason}')


def probe(
    gait: Trot | Noise,
    episodes: int = 3,
    episode_length: int = 250,
    initial_pose: str = 'lying',
    seed: int = 0,
    video: Path | str | None = None,
    randomise: bool = True,
    overrides: dict | None = None,
):
    """Run ``gait`` as the evaluation agent; return the evaluator's EvaluationResult.

    ``overrides`` are agent parameters by name (``{'tracking_average_time': 0.0}``).
    """
    from dreamstride_lab.evaluate import evaluate, evaluation_agent_config

    config = evaluation_agent_config(overrides=overrides)
    slot = ScriptedSlot(ScriptedPolicy(gait, config.command.control_rate), describe(gait))
    return evaluate(
        episodes=episodes,
        episode_length=episode_length,
        initial_pose=initial_pose,
        seed=seed,
        video=video,
        agent_config=config,
        randomise=randomise,
        policies=slot,
    )


def describe(gait: Trot | Noise) -> str:
    """Name a gait by its parameters."""
    if isinstance(gait, Noise):
        return f'action noise, std {gait.std:g}'
    if gait == STAND:
        return 'stand (zero action)'
    return (
        f'trot {gait.frequency:g} Hz, hip {gait.hip:+.2f}, knee {gait.knee:+.2f}, '
        f'knee phase {gait.knee_phase:+.2f}'
    )


def row(result) -> str:
    """One line of the report for an EvaluationResult."""
    s = result.summary()
    return (
        f'{s["policy"]:<52} reward/step {s["mean_reward_per_step"]:6.2f}  '
        f'net speed {s["net_speed_along_command"]:+.3f} m/s (worst '
        f'{s["min_net_speed_along_command"]:+.3f})  drift <= '
        f'{s["max_abs_heading_drift_deg"]:4.0f} deg  non-foot {s["non_foot_contact_share"]:.2f}  '
        f'upright {s["upright_share"]:.2f}  walked {s["walked_episodes"]}/{s["episodes"]}'
    )


def search(steps: int = 120, initial_pose: str = 'standing') -> list[tuple[float, Trot]]:
    """Return (net speed along the command, trot) over a small grid, fastest first."""
    grid = itertools.product(
        (1.0, 1.5, 2.0, 2.5), (-0.3, -0.15, 0.15, 0.3), (-0.4, 0.4), (math.pi / 2, -math.pi / 2)
    )
    found = []
    for frequency, hip, knee, knee_phase in grid:
        gait = Trot(frequency, hip, knee, knee_phase)
        result = probe(gait, 1, steps, initial_pose, randomise=False)
        found.append((result.episodes[0].physics.net_speed_along_command, gait))
    found.sort(key=lambda item: -item[0])
    return found


def main() -> None:
    """Compare the trot the options describe with standing still, or rank a grid."""
    parser = _parser()
    args = parser.parse_args()
    overrides = _parameter_overrides(parser, args.parameters)
    if args.search:
        for speed, gait in search()[:8]:
            print(f'{speed:+.3f} m/s  {describe(gait)}')
        return
    if args.noise:
        _print_noise_rows(args, overrides)
        return
    _print_trot_rows(args, overrides)


def _parser() -> argparse.ArgumentParser:
    """Return the command line of the probe: the trot, the episodes and the other modes."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    defaults = Trot()
    parser.add_argument('--frequency', type=float, default=defaults.frequency)
    parser.add_argument('--hip', type=float, default=defaults.hip)
    parser.add_argument('--knee', type=float, default=defaults.knee)
    parser.add_argument('--knee-phase', type=float, default=defaults.knee_phase)
    parser.add_argument('--episodes', type=int, default=3, help='randomised starts')
    parser.add_argument('--length', type=int, default=250, help='steps per episode')
    parser.add_argument('--initial-pose', default='lying')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--video', type=Path, help='film the trot (.mp4 or .gif)')
    parser.add_argument(
        '-p',
        dest='parameters',
        action='append',
        default=[],
        metavar='NAME=VALUE',
        help='an agent parameter for both gaits, e.g. tracking_average_time=0 (repeatable)',
    )
    parser.add_argument(
        '--noise',
        type=float,
        nargs='+',
        metavar='STD',
        help='instead of a trot: white action noise of each STD from standing (how often '
        'exploration alone tips the robot over; try --length 1200)',
    )
    parser.add_argument(
        '--search', action='store_true', help='rank a small grid of trots (standing, 6 s each)'
    )
    return parser


def _parameter_overrides(parser: argparse.ArgumentParser, items: list[str]) -> dict[str, Any]:
    """Return the ``-p NAME=VALUE`` agent parameters by name, values read as YAML.

    A malformed item ends the command through ``parser.error``, as any bad option does.
    """
    overrides = {}
    for item in items:
        name, sep, value = item.partition('=')
        if not sep or not name:
            parser.error(f'-p {item!r}: expected NAME=VALUE')
        overrides[name] = yaml.safe_load(value)
    return overrides


def _print_noise_rows(args: argparse.Namespace, overrides: dict[str, Any]) -> None:
    """Print a row per ``--noise`` std: white action noise from standing."""
    for std in args.noise:
        result = probe(
            Noise(std, args.seed),
            args.episodes,
            args.length,
            'standing',
            args.seed,
            overrides=overrides,
        )
        print(row(result), flush=True)


def _print_trot_rows(args: argparse.Namespace, overrides: dict[str, Any]) -> None:
    """Print a row for standing still, then one for the trot the options describe."""
    gait = Trot(args.frequency, args.hip, args.knee, args.knee_phase)
    for candidate, video in ((STAND, None), (gait, args.video)):
        result = probe(
            candidate,
            args.episodes,
            args.length,
            args.initial_pose,
            args.seed,
            video,
            overrides=overrides,
        )
        print(row(result), flush=True)


if __name__ == '__main__':
    main()
