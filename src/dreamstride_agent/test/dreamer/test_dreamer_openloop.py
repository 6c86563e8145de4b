# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The open-loop prediction figure: its layout, the context mark, and odd inputs."""

from __future__ import annotations

from dreamstride_agent.dreamer.openloop import render_open_loop
import numpy as np
import pytest

RED = [230, 30, 30]


def series(b: int = 2, t: int = 32, d: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(b, t, d)).astype(np.float32)


def test_one_block_of_three_panels_per_sequence_one_column_block_per_step():
    true = series()
    image = render_open_loop(true, true + 0.1, context=8)
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    col, row = 12, 10  # per step and per channel: 384 // 32 and 160 // 5, capped at 10
    assert image.shape[1] == 32 * col
    assert image.shape[0] == 2 * (3 * (5 * row + 2) + 6)  # panels, gaps, block gap


def test_the_context_is_marked_in_red_in_every_panel():
    true = series(b=1, t=16, d=4)
    image = render_open_loop(true, true, context=5)
    col = min(12, 384 // 16)  # columns per step
    mark = image[:, 5 * col - 1 : 5 * col + 1]
    rows_marked = np.all(mark == RED, axis=(1, 2))
    assert rows_marked.sum() == 3 * 4 * 10  # three panels of 4 channels x 10 rows
    assert not np.all(image[:, 0] == RED, axis=1).any()


def test_the_error_panel_shows_the_difference():
    true = series(b=1, t=16, d=4)
    exact = render_open_loop(true, true, context=4)
    wrong = render_open_loop(true, true + 1.0, context=4)
    panel = 4 * 10 + 2  # rows of one panel and its gap
    assert np.array_equal(exact[:panel], wrong[:panel])  # the truth is the same
    assert not np.array_equal(exact[2 * panel :], wrong[2 * panel :])
    # A perfect prediction: the error panel is one colour (zero) outside the mark.
    error = exact[2 * panel : 3 * panel - 2]
    assert len(np.unique(error[:, :10].reshape(-1, 3), axis=0)) == 1


@pytest.mark.parametrize('value', [np.nan, np.inf])
def test_non_finite_predictions_and_flat_channels_still_give_a_figure(value):
    true = np.zeros((1, 8, 3), np.float32)  # flat: no range to scale by
    pred = np.full_like(true, value)
    with np.errstate(invalid='ignore'):
        image = render_open_loop(true, pred, context=2)
    assert image.dtype == np.uint8 and image.shape[1] == 8 * 12


def test_images_add_truth_prediction_and_error_strips():
    true = series(b=1, t=20, d=2)
    frames = np.random.default_rng(1).integers(0, 255, (1, 20, 8, 10, 3), dtype=np.uint8)
    plain = render_open_loop(true, true, context=5)
    image = render_open_loop(true, true, context=5, images=(frames, frames), frames=4)
    assert image.shape[0] == plain.shape[0] + 3 * (8 + 2)
    assert image.shape[1] == max(plain.shape[1], 4 * 10)
    strips = image[plain.shape[0] :]
    assert np.array_equal(strips[:8, :10], frames[0, 0])  # the first frame, as given
    assert not strips[2 * (8 + 2) : 2 * (8 + 2) + 8, :40].any()  # same frames: zero error
