# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Dreamer speed: training updates per second and batch-1 policy step latency.

    cd src/dreamstride_agent && python -m benchmarks.speed
    python -m benchmarks.speed --sizes daydreamer tiny --updates 10 --json speed.json
    python -m benchmarks.speed --sizes cpu --threads 1 --compile-rssm   # torch.compile
    python -m benchmarks.speed --sizes cpu --threads 1 --compile-mlps

Each update is a full ``DreamerLearner.train_step`` (world model, imagination, actor,
critic) on a random batch of the configured size (the numbers do not depend on the data).
The policy step is ``Policy.step`` for one observation under ``torch.inference_mode``;
loading is ``Policy.from_bytes`` (validation and construction), as on every push.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from typing import Any

from benchmarks.batches import random_batch
from dreamstride_agent.dreamer.config import load_config
from dreamstride_agent.dreamer.learner import DreamerLearner
import numpy as np
import torch


def seeded_learner(
    size: str, overrides: list[str], obs_dim: int, act_dim: int
) -> tuple[DreamerLearner, list[dict[str, np.ndarray]]]:
    """Build a CPU learner of ``size`` from seed 0, and three random batches of its shape."""
    config = load_config(size, ['run.device=cpu', *overrides])
    torch.manual_seed(0)
    learner = DreamerLearner(config, obs_dim, act_dim)
    rng = np.random.default_rng(0)
    B, T = config.train.batch, config.train.length
    return learner, [random_batch(B, T, obs_dim, act_dim, rng) for _ in range(3)]


def measure_updates(
    size: str, overrides: list[str], updates: int, obs_dim: int, act_dim: int
) -> dict[str, Any]:
    """Time ``updates`` training steps after two warm-up steps."""
    agent, batches = seeded_learner(size, overrides, obs_dim, act_dim)
    config = agent.config
    B, T = config.train.batch, config.train.length
    for batch in batches[:2]:
        agent.train_step(batch)
    times, cpu = [], time.process_time()
    for index in range(updates):
        start = time.perf_counter()
        agent.train_step(batches[index % 3])
        times.append(time.perf_counter() - start)
    cpu = (time.process_time() - cpu) / updates
    params = (
        sum(p.numel() for p in agent.wm.parameters())
        + sum(p.numel() for p in agent.ac.actor.parameters())
        + sum(p.numel() for p in agent.ac.critic.parameters())
    )
    median = statistics.median(times)
    return {
        'size': size,
        'overrides': overrides,
        'batch': B,
        'length': T,
        'precision': str(agent.dtype).replace('torch.', ''),
        'actor_grad': config.train.actor_grad,
        'imag_starts': config.train.imag_starts,
        'parameters': params,
        'updates_per_s': 1.0 / median,
        'median_s': median,
        'best_s': min(times),
        'cpu_s': cpu,
        'updates': updates,
        'threads': torch.get_num_threads(),
    }


def measure_policy(
    size: str, overrides: list[str], steps: int, obs_dim: int, act_dim: int, threads: int
) -> dict[str, Any]:
    """Latency of batch-1 policy steps (an exported and re-imported policy)."""
    from dreamstride_agent.dreamer.policy import Policy

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        config = load_config(size, ['run.device=cpu', *overrides])
        agent = DreamerLearner(config, obs_dim, act_dim)
        data, sha = agent.export_policy(1)
        policy = Policy.from_bytes(data, sha, seed=0)
        obs = np.random.default_rng(0).normal(size=(steps, obs_dim)).astype(np.float32)
        state = None
        for t in range(50):  # warm-up
            _, state = policy.step(obs[t % steps], state, t == 0)
        times = []
        for t in range(steps):
            start = time.perf_counter()
            _, state = policy.step(obs[t], state, False)
            times.append(time.perf_counter() - start)
        # What the agent's validation worker spends on one pushed policy (CPU time).
        loads = []
        for _ in range(5):
            start = time.process_time()
            Policy.from_bytes(data, sha, seed=0)
            loads.append(time.process_time() - start)
    finally:
        torch.set_num_threads(previous)
    times.sort()
    return {
        'size': size,
        'threads': threads,
        'bytes': len(data),
        'median_ms': 1e3 * times[len(times) // 2],
        'p99_ms': 1e3 * times[int(len(times) * 0.99)],
        'steps': steps,
        'load_cpu_ms': 1e3 * statistics.median(loads),
    }


# The RSSM functions that run once per time step (64 filtering and 15 imagination
# steps per update): where fusing small elementwise ops could pay, if anywhere.
RSSM_STEP_FUNCTIONS = ('_gru', '_img_in', '_post_logprobs', 'img_step')


def compile_rssm_steps() -> None:
    """Replace the RSSM's per-step methods with torch.compile'd ones (static shapes)."""
    from dreamstride_agent.dreamer.rssm import RSSM

    for name in RSSM_STEP_FUNCTIONS:
        setattr(RSSM, name, torch.compile(getattr(RSSM, name), dynamic=False))


def compile_mlps() -> None:
    """Replace every MLP's forward (encoder, decoders, heads, actor, critic) with a compiled one.

    Inductor fuses each block's LayerNorm and SiLU, and their backward, into one kernel;
    the batch-16 filtering loop is left as it is (``--compile-rssm`` measures that).
    """
    from dreamstride_agent.dreamer.nets import MLP

    MLP.forward = torch.compile(MLP.forward, dynamic=False)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print a table."""
    args = _parser().parse_args(argv)
    _apply_torch_options(args)
    machine = {
        'cpu': platform.processor() or platform.machine(),
        'threads': torch.get_num_threads(),  # as --threads left it
        'torch': torch.__version__,
    }
    updates = [_update_row(args, size) for size in args.sizes]
    policy = [_policy_row(args, threads) for threads in (1, torch.get_num_threads())]
    results: dict[str, Any] = {'machine': machine, 'updates': updates, 'policy': policy}
    if args.json:
        with open(args.json, 'w') as handle:
            json.dump(results, handle, indent=2)
    return results


def _parser() -> argparse.ArgumentParser:
    """Return the benchmark's command line."""
    parser = argparse.ArgumentParser(description='Dreamer update and policy speed')
    parser.add_argument('--sizes', nargs='+', default=['tiny', 'cpu', 'daydreamer'])
    parser.add_argument(
        '--set',
        action='append',
        default=[],
        metavar='KEY=VALUE',
        help='config override applied to every size',
    )
    parser.add_argument('--updates', type=int, default=10)
    parser.add_argument('--policy-size', default='daydreamer')
    parser.add_argument('--policy-steps', type=int, default=2000)
    parser.add_argument('--obs-dim', type=int, default=16, help='16: the A1 observation')
    parser.add_argument('--act-dim', type=int, default=12)
    parser.add_argument('--threads', type=int, default=0, help='torch threads (0: default)')
    parser.add_argument('--json', default=None, help='also write the results here')
    parser.add_argument(
        '--compile-rssm',
        action='store_true',
        help="measure with the RSSM's per-step functions under torch.compile (inductor)",
    )
    parser.add_argument(
        '--compile-mlps',
        action='store_true',
        help='measure with every MLP block under torch.compile (inductor)',
    )
    return parser


def _apply_torch_options(args: argparse.Namespace) -> None:
    """Compile what ``--compile-*`` asks for and set ``--threads``, before any measurement."""
    if args.compile_rssm:
        compile_rssm_steps()
    if args.compile_mlps:
        compile_mlps()
    if args.threads:
        torch.set_num_threads(args.threads)


def _update_row(args: argparse.Namespace, size: str) -> dict[str, Any]:
    """Measure and print the training updates of ``size``; return its row."""
    # Sizes that pin their own thread count (tiny) are measured on it.
    pinned = load_config(size).run.threads
    previous = torch.get_num_threads()
    if pinned and not args.threads:
        torch.set_num_threads(pinned)
    row = measure_updates(size, args.set, args.updates, args.obs_dim, args.act_dim)
    torch.set_num_threads(previous)
    print(
        f'update  {size:>11s}  batch {row["batch"]}x{row["length"]}  '
        f'{row["parameters"] / 1e6:5.2f}M params  {row["precision"]:>8s}  '
        f'{row["actor_grad"]:>9s}  {row["updates_per_s"]:6.2f} updates/s  '
        f'(median {1e3 * row["median_s"]:.0f} ms, best {1e3 * row["best_s"]:.0f} ms, '
        f'{row["cpu_s"]:.2f} CPU-s/update on {row["threads"]} threads)',
        flush=True,
    )
    return row


def _policy_row(args: argparse.Namespace, threads: int) -> dict[str, Any]:
    """Measure and print the batch-1 policy step on ``threads`` threads; return its row."""
    row = measure_policy(
        args.policy_size, args.set, args.policy_steps, args.obs_dim, args.act_dim, threads
    )
    print(
        f'policy  {row["size"]:>11s}  batch 1, {threads} thread(s)  '
        f'median {row["median_ms"]:.3f} ms  p99 {row["p99_ms"]:.3f} ms  '
        f'({row["bytes"] / 1e6:.1f} MB of weights; loading it: '
        f'{row["load_cpu_ms"]:.0f} ms of CPU)',
        flush=True,
    )
    return row


if __name__ == '__main__':
    main()
