# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""What a learner checkpoint's actor does, and what moves it, on a run's own replay.

    python -m dreamstride_lab.actor_diagnosis RESULTS_DIR CHECKPOINT [CHECKPOINT ...]

For each checkpoint (a learner checkpoint with world model and critic, e.g. a snapshot
in ``RESULTS_DIR/checkpoints/``) and a few batches of the run's replay
(``RESULTS_DIR/run/replay``), it prints:

- the actor's mean action per joint over the replayed states, its mean absolute value
  and the mean std: an actor that has left the standing targets (zero actions) shows it
  here;
- the imagined reward per step of the horizon from those states: the world model's
  belief about where the actor leads;
- which loss term moves the std: the change of the mean std one gradient-descent step
  of size 1 would make, from the return term and from the entropy term separately.

The walking experiment's results (docs/results.md) quote these numbers.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
import tempfile
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # for annotations only: torch and the agent load when a diagnosis runs
    from dreamstride_agent.dreamer.learner import DreamerLearner
    from dreamstride_agent.learning.learner_core import LearnerCore
    from torch import Tensor


def _flat_dot(a, b) -> float:
    return float(sum((x * y).sum() for x, y in zip(a, b, strict=True)))


def diagnose(results: Path, checkpoints: list[Path], batches: int = 3, seed: int = 0) -> list:
    """Return one dict of measurements per checkpoint (see the module docstring)."""
    from dreamstride_agent.dreamer.learner import DreamerLearner

    core = _replay_core(results)
    rng = np.random.default_rng(seed)
    report = []
    for checkpoint in checkpoints:
        learner = DreamerLearner.from_checkpoint(checkpoint, device='cpu')
        t = learner.config.train
        rows = []
        for _ in range(batches):
            data = learner._to_tensors(core.replay.sample(t.batch, t.length, rng))
            rows.append(_measure_batch(learner, data, torch_seed=len(rows)))
        report.append(
            {
                'checkpoint': str(checkpoint),
                'update': int(learner.step),
                **{key: np.mean([r[key] for r in rows], axis=0) for key in rows[0]},
            }
        )
    return report


def _replay_core(results: Path) -> LearnerCore:
    """Return a LearnerCore holding the run's replay (``results/run/replay``).

    Its log directory is a throwaway one: the diagnosis only reads the replay.
    """
    from dreamstride_agent.learning.learner_core import LearnerCore, LearnerSettings

    core = LearnerCore(
        LearnerSettings(results / 'run' / 'replay', Path(tempfile.mkdtemp()), model='cpu'),
        log=lambda level, message: None,
    )
    if not core.scan_store():
        raise ValueError(f'no replay steps in {results / "run" / "replay"}')
    return core


def _measure_batch(learner: DreamerLearner, data: dict[str, Tensor], torch_seed: int) -> dict:
    """Return the actor's actions, std, std drivers and imagined reward on one replay batch."""
    from dreamstride_agent.dreamer.world_model import features
    import torch

    actor = learner.ac.actor
    params = list(actor.parameters())
    deter, stoch, start_cont = _imagination_starts(learner, data)
    with_entropy, returns_only = _loss_gradients(
        learner, params, deter, stoch, start_cont, torch_seed
    )
    feat = features(deter, stoch).detach()
    mean, std = actor(feat)
    std_grad = _gradient(std.mean(), params)
    entropy_part = [a - b for a, b in zip(with_entropy, returns_only, strict=True)]
    with torch.no_grad():
        traj = learner.ac.imagine(learner.wm, deter, stoch)
        reward = learner.ac.twohot.mean(learner.wm.reward(traj['feat']))
    return {
        'mean_action': mean.detach().float().mean(0).numpy(),
        'mean_abs_action': float(mean.detach().abs().mean()),
        'std': float(std.detach().mean()),
        # Descent moves the parameters by -grad: d(std) = -grad(std) . grad(loss).
        'dstd_returns': -_flat_dot(std_grad, returns_only),
        'dstd_entropy': -_flat_dot(std_grad, entropy_part),
        'imagined_reward': reward.float().mean(1).squeeze(-1).numpy(),
    }


def _imagination_starts(
    learner: DreamerLearner, data: dict[str, Tensor]
) -> tuple[Tensor, Tensor, Tensor]:
    """Return the posterior states of ``data`` as imagination starts: deter, stoch, continue.

    As in training, at most ``train.imag_starts`` of them, drawn at random.
    """
    import torch

    t = learner.config.train
    with torch.no_grad():
        _, _, states = learner.wm.loss(data)
    deter = states['deter'].flatten(0, 1)
    stoch = states['stoch'].flatten(0, 1)
    start_cont = (~data['is_terminal']).flatten().float()
    if 0 < t.imag_starts < deter.shape[0]:
        index = torch.randperm(deter.shape[0])[: t.imag_starts]
        deter, stoch, start_cont = deter[index], stoch[index], start_cont[index]
    return deter, stoch, start_cont


def _loss_gradients(
    learner: DreamerLearner,
    params: list[Tensor],
    deter: Tensor,
    stoch: Tensor,
    start_cont: Tensor,
    torch_seed: int,
) -> tuple[list[Tensor], list[Tensor]]:
    """Return the actor's loss gradients with and without the entropy term.

    Both from the same imagination (the same torch seed), so that their difference is
    the entropy term's part alone.
    """
    import torch

    t = learner.config.train
    entropy_scale = t.entropy
    grads = {}
    for scale in (entropy_scale, 0.0):
        t.entropy = scale
        torch.manual_seed(torch_seed)
        loss, metrics = learner.ac.loss(learner.wm, deter, stoch, start_cont)
        grads[scale] = _gradient(loss, params)
    t.entropy = entropy_scale
    return grads[entropy_scale], grads[0.0]


def _gradient(value: Tensor, params: list[Tensor]) -> list[Tensor]:
    """Return d(value)/d(params), zeros for the parameters ``value`` does not depend on."""
    import torch

    return [
        torch.zeros_like(p) if x is None else x
        for p, x in zip(params, torch.autograd.grad(value, params, allow_unused=True), strict=True)
    ]


def main(argv: list[str] | None = None) -> int:
    """Entry point: print the diagnosis of each checkpoint."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('results', type=Path, help='walking experiment results directory')
    parser.add_argument('checkpoints', type=Path, nargs='+', help='learner checkpoints')
    parser.add_argument('--batches', type=int, default=3)
    args = parser.parse_args(argv)
    try:
        report = diagnose(args.results, args.checkpoints, args.batches)
    except (OSError, ValueError) as exc:
        print(f'actor_diagnosis: {exc}', file=sys.stderr)
        return 2
    np.set_printoptions(precision=2, suppress=True, linewidth=120)
    for r in report:
        print(f'update {r["update"]} ({Path(r["checkpoint"]).name})')
        print(f'  mean action per joint {r["mean_action"]}')
        print(f'  |mean action| {r["mean_abs_action"]:.2f}, std {r["std"]:.3f}')
        print(
            f'  std change per descent step: returns {r["dstd_returns"]:+.2e}, '
            f'entropy {r["dstd_entropy"]:+.2e}'
        )
        print(f'  imagined reward per horizon step {r["imagined_reward"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
