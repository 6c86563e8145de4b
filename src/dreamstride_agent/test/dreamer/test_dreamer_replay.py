# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Replay: incremental adds keyed by (run_id, seq), windows inside one run, eviction."""

from dreamstride_agent.dreamer.replay import Replay
import numpy as np
import pytest


def make_step(run: int, seq: int, is_first: bool = False, is_last: bool = False) -> dict:
    # obs encodes (run, seq) so that every sampled step can be traced back.
    return {
        'obs': np.array([run, seq], np.float32),
        'action': np.array([seq], np.float32),
        'reward': float(seq),
        'is_first': is_first,
        'is_last': is_last,
        'is_terminal': False,
    }


def check_windows(batch: dict, length: int) -> None:
    obs = batch['obs']
    assert obs.shape[1] == length
    assert np.all(obs[:, :, 0] == obs[:, :1, 0]), 'a window mixes runs'
    np.testing.assert_array_equal(np.diff(obs[:, :, 1], axis=1), 1.0)
    assert batch['is_first'][:, 0].all()


def test_duplicates_are_ignored_and_has_reports_them():
    replay = Replay(10_000, 2, 1, max_length=8, block_size=64)
    for seq in range(20):
        assert replay.add(make_step(0, seq, is_first=seq == 0), key=('run-a', seq))
    assert len(replay) == 20
    assert replay.has(('run-a', 5)) and replay.has(('run-a', 19))
    assert not replay.has(('run-a', 20)) and not replay.has(('run-b', 0))
    # Re-reading the same recording after a restart adds nothing.
    for seq in range(20):
        assert not replay.add(make_step(0, seq), key=('run-a', seq))
    assert len(replay) == 20 and replay.ignored == 20
    assert replay.add(make_step(0, 20), key=('run-a', 20))
    assert len(replay) == 21


def test_interleaved_runs_sample_contiguous_windows_across_blocks():
    replay = Replay(100_000, 2, 1, max_length=16, block_size=64)
    rng = np.random.default_rng(0)
    for seq in range(300):
        for run in range(3):
            replay.add(make_step(run, seq, is_first=seq == 0), key=(f'run-{run}', seq))
    assert len(replay) == 900
    for length in (1, 5, 16):
        # Every window of every run exactly once.
        assert replay.num_windows(length) == 3 * (300 - length + 1)
        check_windows(replay.sample(256, length, rng), length)
    # Windows that cross a block boundary are drawn as often as the others.
    batch = replay.sample(20_000, 16, rng)
    starts = batch['obs'][:, 0, 1].astype(int)
    counts = np.bincount(starts, minlength=285)
    assert counts.min() > 0 and counts.max() < 3 * counts.mean()
    np.testing.assert_array_equal(batch['reward'], batch['obs'][:, :, 1])


def test_episode_starts_inside_a_window_are_kept_and_the_first_step_is_marked():
    replay = Replay(1000, 2, 1, max_length=10, block_size=64)
    for seq in range(40):
        replay.add(
            make_step(0, seq, is_first=seq % 10 == 0, is_last=seq % 10 == 9), key=('r', seq)
        )
    batch = replay.sample(500, 10, np.random.default_rng(1))
    seqs = batch['obs'][:, :, 1].astype(int)
    np.testing.assert_array_equal(batch['is_first'][:, 1:], (seqs % 10 == 0)[:, 1:])
    assert batch['is_first'][:, 0].all()
    np.testing.assert_array_equal(batch['is_last'], seqs % 10 == 9)


def test_a_gap_in_seq_becomes_an_episode_start():
    replay = Replay(1000, 2, 1, max_length=4, block_size=16)
    for seq in [0, 1, 2, 3, 7, 8, 9]:
        replay.add(make_step(0, seq, is_first=seq == 0), key=('r', seq))
    batch = replay.sample(400, 4, np.random.default_rng(2))
    seqs = batch['obs'][:, :, 1].astype(int)
    assert np.all(batch['is_first'][seqs == 7])
    assert not batch['is_first'][(seqs == 8) | (seqs == 9)].any()


def test_oldest_blocks_are_evicted_and_never_re_added():
    replay = Replay(256, 2, 1, max_length=8, block_size=64)  # 4 blocks
    for seq in range(1000):
        replay.add(make_step(0, seq), key=('r', seq))
    assert len(replay) <= 256
    batch = replay.sample(1000, 8, np.random.default_rng(3))
    check_windows(batch, 8)
    assert batch['obs'][:, 0, 1].min() >= 1000 - 256 - 8
    assert not replay.add(make_step(0, 3), key=('r', 3))  # evicted long ago
    assert replay.num_windows(8) > 0


def test_images_and_errors():
    replay = Replay(100, 2, 1, image_shape=(8, 8, 3), max_length=4, block_size=16)
    with pytest.raises(ValueError, match='no window'):
        replay.sample(1, 4, np.random.default_rng(0))
    for seq in range(6):
        step = make_step(0, seq)
        step['image'] = np.full((8, 8, 3), seq, np.uint8)
        replay.add(step)  # local stream, sequential keys
    batch = replay.sample(8, 4, np.random.default_rng(0))
    assert batch['image'].shape == (8, 4, 8, 8, 3) and batch['image'].dtype == np.uint8
    np.testing.assert_array_equal(batch['image'][:, :, 0, 0, 0], batch['obs'][:, :, 1])
    with pytest.raises(ValueError, match='length'):
        replay.sample(1, 5, np.random.default_rng(0))
