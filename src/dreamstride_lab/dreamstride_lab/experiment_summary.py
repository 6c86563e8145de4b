# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""What the walking experiment reports: summary.json, and eval.csv's columns.

summary.json holds the run's command, configuration and settings, the machine, the
learner's pace, the first stood and walked steps, the final policy's and the random
policy's evaluations, the walk criterion and DayDreamer's published A1 numbers beside
them.
"""

from __future__ import annotations

from dataclasses import asdict
import os
from pathlib import Path
import platform
import sys
from typing import Any

from dreamstride_lab.experiment_arguments import Settings
from dreamstride_lab.locomotion_metrics import WALK
import numpy as np
from spot_description.contract import DEFAULT_NAMESPACE

# DayDreamer's A1 Dreamer curve (danijar/daydreamer, scores/a1_dreamer.json; see
# docs/dreamer.md): mean reward per step over ranges of environment steps, and the steps
# of the first episodes that averaged 10 and 12. 9 is standing still, 14 the maximum.
DAYDREAMER_A1 = {
    'reward_bins': [(0, 5000, 5.1), (25000, 30000, 7.2), (65000, 70000, 10.7)],
    'first_episode_10': 37700,
    'first_episode_12': 57900,
    'reward_max': 14.0,
}


def run_summary(
    args,
    run: Settings,
    *,
    config: Path,
    status_rows: list[dict],
    wall: float,
    snapshots: list[dict],
    stats: dict,
    evals: list[dict],
    final,
    baseline,
    best: dict | None = None,
    agent_values: dict[str, Any] | None = None,
) -> dict:
    """Return summary.json's content: the run's command and settings, machine, outcome.

    ``best`` is the eval.csv row of the snapshot best_policy.safetensors holds;
    ``agent_values`` every parameter value of the agent that evaluated the snapshots.
    """
    walking = [e for e in evals if e['policy'] != 'random' and e['walked'] is True]
    return {
        'command': ' '.join(['dreamstride', 'experiment', *sys.argv[2:]])
        if len(sys.argv) > 1
        else 'dreamstride experiment',
        'config_file': str(config),
        'config': config.read_text(),
        'overrides': run.overrides,
        # The evaluating agent's every value (reevaluate judges the policies with them).
        'evaluation_agent': agent_values,
        'smoke': args.smoke,
        'speed': args.speed,
        'train_ratio_target': args.train_ratio,
        'rescue_after_s': args.rescue_after,
        'rescues': status_rows[-1]['rescues'] if status_rows else 0,
        'lie_down_every_s': args.lie_down_every,
        'lie_downs': int(status_rows[-1].get('lie_downs') or 0) if status_rows else 0,
        'self_rights': int(status_rows[-1].get('self_rights') or 0) if status_rows else 0,
        'ticks_not_chosen_by_the_policy': (
            int(status_rows[-1].get('ticks_held') or 0) if status_rows else 0
        ),
        'wall_clock_s': round(wall, 1),
        'machine': _machine(run),
        'learner': _learner_numbers(snapshots, status_rows),
        **stats,
        'final_eval': eval_numbers(final.summary()),
        'random_baseline_eval': eval_numbers(baseline.summary()),
        # Walking judged by physics (eval.csv's 'walked'), not by the reward.
        'walk_criterion': asdict(WALK),
        'first_snapshot_walked_env_steps': walking[0]['env_steps'] if walking else None,
        # The snapshot that walked best (experiment_analysis.best_snapshot), as eval.csv has it.
        'best_snapshot': best,
        'daydreamer_a1': DAYDREAMER_A1,
    }


def _machine(run: Settings) -> dict:
    """Return the machine the run had: CPUs, processor, platform, torch, the learner's GPU."""
    import torch

    return {
        'cpus': os.cpu_count(),
        'processor': cpu_model(),
        'platform': platform.platform(),
        'torch': torch.__version__,
        'gpu': learner_on_gpu(run.overrides),
    }


def _learner_numbers(snapshots: list[dict], status_rows: list[dict]) -> dict:
    """Return the learner's updates and its mean update rate while training."""
    return {
        'updates': snapshots[-1]['train_step'] if snapshots else 0,
        'mean_updates_per_second': round(
            float(
                np.mean(
                    [
                        r['updates_per_second']
                        for r in status_rows
                        if r['learner_state'] == 'training'
                    ]
                    or [0]
                )
            ),
            3,
        ),
    }


# The evaluation's numbers in eval.csv and summary.json: the reward's, then the physical
# measures (see locomotion_metrics); 'walked' is empty unless the evaluation is the walk
# criterion's setting (from lying, 250 steps).
EVAL_COLUMNS = (
    'mean_reward_per_step',
    'mean_speed_along_heading',
    'stood_fraction',
    'net_speed_along_command',
    'min_net_speed_along_command',
    'net_displacement',
    'tracking_error',
    'yaw_rate_error',
    'max_abs_heading_drift_deg',
    'non_foot_contact_share',
    'max_non_foot_contact_share',
    'foot_slip',
    'upright_share',
    'min_upright_share',
    'max_time_to_stand',
    'walked_episodes',
    'episodes',
    'walked',
)


def eval_numbers(summary: dict) -> dict:
    """Return an evaluation's EVAL_COLUMNS from its summary, floats to 4 decimals."""
    return {
        k: round(summary[k], 4) if isinstance(summary[k], float) else summary[k]
        for k in EVAL_COLUMNS
    }


def learner_on_gpu(overrides: dict[str, dict[str, Any]]) -> bool:
    """Whether the run's learner trained on a GPU: its device as the learner reads it.

    The training graph's parameter files for the learner, then the run's overrides, then
    LearnerSettings' default; 'auto' means CUDA where this machine has it.
    """
    from dreamstride_agent.learning.learner_core import LearnerSettings
    from dreamstride_bringup.graph import node_graph
    from dreamstride_bringup.parameter_files import read_parameter_files
    from dreamstride_bringup.process_supervisor import node_namespace
    import torch

    learner = next(n for n in node_graph('train', 'mujoco') if n.name == 'learner')
    namespace = node_namespace(learner, DEFAULT_NAMESPACE).strip('/')
    fqn = f'/{namespace}/{learner.name}' if namespace else f'/{learner.name}'
    given = {
        **read_parameter_files(learner.param_files, fqn),
        **learner.parameters,
        **overrides.get('learner', {}),
    }
    device = str(given.get('device', LearnerSettings().device))
    return device.startswith('cuda') or (device == 'auto' and torch.cuda.is_available())


def cpu_model() -> str:
    """Return this machine's processor name (Linux /proc/cpuinfo, else platform's)."""
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor()
