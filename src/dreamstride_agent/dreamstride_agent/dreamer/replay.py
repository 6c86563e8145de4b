# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Replay of fixed-length sequences from streams of steps that keep growing.

Steps arrive one at a time, each with a stable identity ``(run_id, seq)`` (the ROS Step
message's fields): ``seq`` counts the steps of one agent run. A key that was already added,
or that is not newer than the last step added for its run, is ignored, so re-reading
recorded bag segments after a restart never duplicates data.

Storage is a set of fixed-size blocks in preallocated numpy arrays. Each run (stream)
writes into its own current block; when a block fills up, the stream continues in a new
block that starts with a copy of the last ``max_length - 1`` steps of the previous one, so
every window of up to ``max_length`` consecutive steps lies inside one block and sampling
is one vectorised gather. Windows made only of copied steps are never drawn, so each
window of a stream is equally likely. When all blocks are in use the oldest is evicted.

Episode boundaries: a window may contain ``is_first`` steps in the middle (the RSSM resets
its state there), and the first step of every sampled window is marked ``is_first`` so the
RSSM starts from its initial state (the sampled window usually starts mid-episode). A gap
in ``seq`` (lost steps) is stored as an ``is_first`` step, because the transition across
the gap is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

_FLAGS = ('is_first', 'is_last', 'is_terminal')


class Replay:
    """Uniform replay of sequences, fed step by step from any number of runs."""

    def __init__(
        self,
        capacity: int,
        obs_dim: int,
        act_dim: int,
        image_shape: tuple[int, int, int] | None = None,
        max_length: int = 64,
        block_size: int = 1024,
    ) -> None:
        if max_length < 1 or block_size < 2 * max_length:
            raise ValueError('need max_length >= 1 and block_size >= 2 * max_length')
        self.max_length = int(max_length)
        self.block_size = int(block_size)
        self.num_blocks = max(2, -(-int(capacity) // self.block_size))
        size = self.num_blocks * self.block_size
        self.obs_dim, self.act_dim = int(obs_dim), int(act_dim)
        self.image_shape = tuple(image_shape) if image_shape else None
        self.data: dict[str, np.ndarray] = {
            'obs': np.zeros((size, obs_dim), np.float32),
            'action': np.zeros((size, act_dim), np.float32),
            'reward': np.zeros(size, np.float32),
            **{flag: np.zeros(size, bool) for flag in _FLAGS},
        }
        if self.image_shape:
            self.data['image'] = np.zeros((size, *self.image_shape), np.uint8)
        self.fill = np.zeros(self.num_blocks, np.int64)  # steps written (copies included)
        self.copied = np.zeros(self.num_blocks, np.int64)  # leading steps copied over
        self.order = np.full(self.num_blocks, -1, np.int64)  # allocation time, -1 free
        self.owner: list[str | None] = [None] * self.num_blocks
        self._clock = 0
        self._current: dict[str, int] = {}  # stream -> its block being written
        self._last_seq: dict[str, int] = {}  # stream -> last seq added
        self._steps = 0
        self.ignored = 0  # steps refused as already added (or older than the last one)

    def __len__(self) -> int:
        """Return the number of distinct steps held."""
        return self._steps

    def has(self, key: tuple[str, int]) -> bool:
        """Whether ``(run_id, seq)`` was already added (it would now be ignored).

        Steps of a run must arrive in increasing ``seq``; any seq up to the last one added
        for that run counts as seen (including steps evicted since).
        """
        run_id, seq = key
        last = self._last_seq.get(str(run_id))
        return last is not None and int(seq) <= last

    def add(
        self, step: Mapping[str, np.ndarray | float | bool], key: tuple[str, int] | None = None
    ) -> bool:
        """Append one step; returns False when its key was already added.

        ``step`` holds 'obs', 'action', 'reward', 'is_first', 'is_last', 'is_terminal'
        (and 'image' when the replay has images). Without a key the step continues an
        internal local stream.
        """
        if key is None:
            stream = ''
            seq = self._last_seq.get(stream, -1) + 1
        else:
            stream, seq = str(key[0]), int(key[1])
        last = self._last_seq.get(stream)
        if last is not None and seq <= last:
            self.ignored += 1
            return False
        is_first = bool(step['is_first']) or (last is not None and seq != last + 1)
        block = self._block_for(stream)
        index = block * self.block_size + int(self.fill[block])
        data = self.data
        data['obs'][index] = step['obs']
        data['action'][index] = step['action']
        data['reward'][index] = step['reward']
        data['is_first'][index] = is_first
        data['is_last'][index] = bool(step['is_last'])
        data['is_terminal'][index] = bool(step['is_terminal'])
        if self.image_shape:
            data['image'][index] = step['image']
        self.fill[block] += 1
        self._last_seq[stream] = seq
        self._steps += 1
        return True

    def _block_for(self, stream: str) -> int:
        block = self._current.get(stream)
        if (
            block is not None
            and self.owner[block] == stream
            and self.fill[block] < self.block_size
        ):
            return block
        carry: dict[str, np.ndarray] = {}
        if block is not None and self.owner[block] == stream:
            # Continue the stream: carry its last max_length - 1 steps into the new block.
            count = min(self.max_length - 1, int(self.fill[block]))
            end = block * self.block_size + int(self.fill[block])
            carry = {k: v[end - count : end].copy() for k, v in self.data.items()}
        new = self._allocate()
        self.owner[new] = stream
        self._current[stream] = new
        count = len(carry['obs']) if carry else 0
        if count:
            start = new * self.block_size
            for k, v in carry.items():
                self.data[k][start : start + count] = v
        self.fill[new] = count
        self.copied[new] = count
        return new

    def _allocate(self) -> int:
        free = np.flatnonzero(self.order < 0)
        if len(free):
            block = int(free[0])
        else:
            block = int(np.argmin(self.order))
            self._steps -= int(self.fill[block] - self.copied[block])
            stream = self.owner[block]
            if stream is not None and self._current.get(stream) == block:
                del self._current[stream]
        self.order[block] = self._clock
        self._clock += 1
        self.fill[block] = 0
        self.copied[block] = 0
        return block

    def num_windows(self, length: int) -> int:
        """Return how many distinct windows of ``length`` steps :meth:`sample` draws from."""
        return int(self._window_counts(length)[1].sum())

    def _window_counts(self, length: int) -> tuple[np.ndarray, np.ndarray]:
        if not 1 <= length <= self.max_length:
            raise ValueError(f'length must be in 1..{self.max_length}, got {length}')
        # Windows of a continued block must include a step it did not copy.
        first = np.maximum(self.copied - length + 1, 0)
        last = self.fill - length
        counts = np.where(self.order >= 0, np.maximum(last - first + 1, 0), 0)
        return first, counts

    def sample(self, batch: int, length: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Draw ``batch`` windows of ``length`` steps uniformly; arrays (batch, length, ...).

        ``is_first`` is set on the first step of every window.
        """
        first, counts = self._window_counts(length)
        total = int(counts.sum())
        if total == 0:
            raise ValueError(f'replay holds no window of {length} steps yet')
        cumulative = np.cumsum(counts)
        draws = rng.integers(0, total, size=batch)
        blocks = np.searchsorted(cumulative, draws, side='right')
        offsets = draws - (cumulative[blocks] - counts[blocks])
        starts = blocks * self.block_size + first[blocks] + offsets
        index = starts[:, None] + np.arange(length)[None]
        out = {key: value[index] for key, value in self.data.items()}
        out['is_first'][:, 0] = True
        return out
