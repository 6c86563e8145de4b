# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Random training batches for the speed benchmarks (numpy only).

It imports nothing of dreamstride_agent, so benchmarks.compare can use it before it
imports each tree's package in turn.
"""

from __future__ import annotations

import numpy as np


def random_batch(
    batch: int, length: int, obs_dim: int, act_dim: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Return a random batch in the layout ``train_step`` expects."""
    is_first = np.zeros((batch, length), bool)
    is_first[:, 0] = True
    return {
        'obs': rng.normal(size=(batch, length, obs_dim)).astype(np.float32),
        'action': rng.uniform(-1, 1, (batch, length, act_dim)).astype(np.float32),
        'reward': rng.normal(size=(batch, length)).astype(np.float32),
        'is_first': is_first,
        'is_last': np.zeros((batch, length), bool),
        'is_terminal': np.zeros((batch, length), bool),
    }
