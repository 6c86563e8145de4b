# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Open-loop prediction figure: true vs dreamed observations, as a plain uint8 image.

Pure numpy (no plotting library): each observation channel is a row, each time step a
column; panels show the truth, the prediction and their difference, with a red line where
the model stops seeing observations and continues from actions alone.
"""

from __future__ import annotations

import numpy as np

# Anchor colours of a viridis-like map, from low to high.
_ANCHORS = np.array(
    [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float32
)
_MARK = np.array([230, 30, 30], dtype=np.uint8)


def _colour(values: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] (any shape) to RGB uint8 (shape + (3,))."""
    x = np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0) * (len(_ANCHORS) - 1)
    low = np.floor(x).astype(int).clip(0, len(_ANCHORS) - 2)
    frac = (x - low)[..., None]
    return ((1 - frac) * _ANCHORS[low] + frac * _ANCHORS[low + 1]).astype(np.uint8)


def _upscale(panel: np.ndarray, rows: int, cols: int) -> np.ndarray:
    return np.repeat(np.repeat(panel, rows, axis=0), cols, axis=1)


def _pad_width(image: np.ndarray, width: int) -> np.ndarray:
    pad = width - image.shape[1]
    return np.pad(image, ((0, 0), (0, pad), (0, 0)), constant_values=255) if pad else image


def render_open_loop(
    true: np.ndarray,
    pred: np.ndarray,
    context: int,
    images: tuple[np.ndarray, np.ndarray] | None = None,
    frames: int = 8,
) -> np.ndarray:
    """Return an (H, W, 3) uint8 figure for true and predicted obs (B, T, D).

    ``images`` optionally holds true and predicted uint8 frames (B, T, H, W, C); up to
    ``frames`` time steps of the first sequence are shown as truth, prediction, error.
    """
    B, T, D = true.shape
    col = max(2, min(12, 384 // T))
    row = max(2, min(10, 160 // max(D, 1)))
    blocks = []
    for b in range(B):
        low = true[b].min(0, keepdims=True)
        span = np.maximum(true[b].max(0, keepdims=True) - low, 1e-6)
        panels = [(true[b] - low) / span, (pred[b] - low) / span, np.abs(pred[b] - true[b]) / span]
        for panel in panels:
            rgb = _upscale(_colour(panel.T), row, col)
            rgb[:, context * col - 1 : context * col + 1] = _MARK
            blocks.append(rgb)
            blocks.append(np.full((2, rgb.shape[1], 3), 255, np.uint8))
        blocks.append(np.full((6, T * col, 3), 255, np.uint8))
    if images is not None:
        true_img, pred_img = images
        steps = np.unique(np.linspace(0, T - 1, min(frames, T)).astype(int))
        strips = []
        for frame_set in (true_img[0, steps], pred_img[0, steps]):
            strips.append(np.concatenate(list(frame_set[..., :3]), axis=1))
        error = np.abs(strips[0].astype(np.int16) - strips[1].astype(np.int16))
        strips.append(error.astype(np.uint8))
        for strip in strips:
            if strip.shape[-1] == 1:
                strip = np.repeat(strip, 3, axis=-1)
            blocks.append(strip.astype(np.uint8))
            blocks.append(np.full((2, strip.shape[1], 3), 255, np.uint8))
    width = max(block.shape[1] for block in blocks)
    return np.concatenate([_pad_width(block, width) for block in blocks], axis=0)
