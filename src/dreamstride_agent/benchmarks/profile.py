# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Where a training update's time goes, and how far it is from the arithmetic floor.

    cd src/dreamstride_agent
    python -m benchmarks.profile --size cpu --threads 1 \
        --set train.actor_grad=reinforce --set train.precision=float32

Runs ``DreamerLearner.train_step`` three times over: unprofiled (the update's own CPU
time), under ``torch.profiler`` (the CPU time of each phase ``train_step`` names: world
model forward, backward and optimiser step; actor-critic forward with its imagination,
backward and step), and under the profiler with shapes and operation counts (the matrix
products). It prints the phases; the matrix products' share, floating-point operations and
rate; the rate of one large float32 product in the same process, the best this core does
here, and the time the update's products would take at it: a floor that removing overhead
cannot go below; and the operators that took the most time, by input shape.

The phases are the profiler's time ranges (wall clock, on the one thread that trains) and
their shares are of the update's profiled total. The profiler adds a few microseconds to
every operator, so the many small operators of the batch-16 filtering loop weigh more in
them than they do unprofiled.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from benchmarks.speed import seeded_learner
from dreamstride_agent.dreamer.learner import DreamerLearner
import torch
from torch.profiler import ProfilerActivity, profile

# The scopes DreamerLearner.train_step and ActorCritic.loss open, in order; the
# imagination is part of the actor-critic's forward pass.
NESTED = ('actor_critic.imagine',)
PHASES = (
    'world_model.forward',
    'world_model.backward',
    'world_model.step',
    'actor_critic.forward',
    'actor_critic.imagine',
    'actor_critic.backward',
    'actor_critic.step',
)
MATMULS = ('aten::mm', 'aten::addmm', 'aten::bmm', 'aten::baddbmm')
# A product of the size of the update's largest ones (heads over the imagined states).
PEAK_SHAPE = (4096, 768, 256)


def peak_matmul_gflops(shape: tuple[int, int, int] = PEAK_SHAPE, repeats: int = 20) -> float:
    """Best float32 rate (GFLOP/s) of one large matrix product, by the thread's CPU clock."""
    m, k, n = shape
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(3):
        a @ b
    best = float('inf')
    for _ in range(repeats):
        start = time.thread_time()
        a @ b
        best = min(best, time.thread_time() - start)
    return 2.0 * m * k * n / best / 1e9


def _timed(learner: DreamerLearner, batches: list, updates: int) -> float:
    start = time.thread_time()
    for index in range(updates):
        learner.train_step(batches[index % len(batches)])
    return (time.thread_time() - start) / updates


def profile_update(
    size: str, overrides: list[str], updates: int, obs_dim: int = 16, act_dim: int = 12
) -> dict[str, Any]:
    """Profile ``updates`` training steps of a learner of ``size`` on random batches."""
    learner, batches = seeded_learner(size, overrides, obs_dim, act_dim)
    config = learner.config
    B, T = config.train.batch, config.train.length
    _timed(learner, batches, 2)  # warm-up
    cpu = _timed(learner, batches, updates)
    with profile(activities=[ProfilerActivity.CPU]) as light:
        profiled = _timed(learner, batches, updates)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True, with_flops=True) as full:
        _timed(learner, batches, updates)
    phases = {
        event.key: event.cpu_time_total / 1e6 / updates
        for event in light.key_averages()
        if event.key in PHASES
    }
    matmuls = [event for event in full.key_averages() if event.key in MATMULS]
    operators = sorted(
        (e for e in full.key_averages(group_by_input_shape=True) if e.key not in PHASES),
        key=lambda event: event.self_cpu_time_total,
        reverse=True,
    )
    return {
        'size': size,
        'overrides': overrides,
        'batch': (B, T),
        'actor_grad': config.train.actor_grad,
        'precision': str(learner.dtype).replace('torch.', ''),
        'threads': torch.get_num_threads(),
        'cpu_s': cpu,
        'profiled_cpu_s': profiled,
        'phases_s': {name: phases[name] for name in PHASES if name in phases},
        'matmul_s': sum(e.self_cpu_time_total for e in matmuls) / 1e6 / updates,
        'matmul_gflop': sum(e.flops for e in matmuls) / 1e9 / updates,
        'operators': [
            (e.key, e.self_cpu_time_total / 1e6 / updates, e.count // updates, e.input_shapes)
            for e in operators
        ],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Profile the update and print the breakdown."""
    parser = argparse.ArgumentParser(description='Profile one Dreamer training update')
    parser.add_argument('--size', default='cpu')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE')
    parser.add_argument('--updates', type=int, default=5)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--rows', type=int, default=15, help='operators to list')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    result = profile_update(args.size, args.set, args.updates)
    result['peak_gflops'] = peak = peak_matmul_gflops()
    cpu, profiled = result['cpu_s'], result['profiled_cpu_s']
    B, T = result['batch']
    print(
        f'{args.size} size, batch {B} x {T}, {result["actor_grad"]}, {result["precision"]}, '
        f'{result["threads"]} thread(s), {args.updates} updates: {cpu:.3f} CPU-s per update '
        f'({profiled:.3f} under the profiler)'
    )
    phases = result['phases_s']
    total = sum(seconds for name, seconds in phases.items() if name not in NESTED)
    print(f'\n{"phase (profiled)":<24s} {"ms/update":>9s} {"share":>6s}')
    for name, seconds in phases.items():
        print(f'{name:<24s} {1e3 * seconds:9.1f} {seconds / total:6.0%}')
    gflop, mm = result['matmul_gflop'], result['matmul_s']
    print(
        f'\nmatrix products: {1e3 * mm:.0f} ms per update (profiled), {gflop:.1f} GFLOP, '
        f'{gflop / mm:.0f} GFLOP/s'
    )
    m, k, n = PEAK_SHAPE
    print(
        f'one float32 product {m}x{k} @ {k}x{n} here: {peak:.0f} GFLOP/s; at that rate '
        f"the update's products alone would take {gflop / peak:.3f} s"
    )
    print(f'\n{"operator":<24s} {"ms/update":>9s} {"calls":>6s}  input shapes')
    for key, seconds, calls, shapes in result['operators'][: args.rows]:
        print(f'{key:<24s} {1e3 * seconds:9.1f} {calls:6d}  {shapes}')
    return result


if __name__ == '__main__':
    main()
