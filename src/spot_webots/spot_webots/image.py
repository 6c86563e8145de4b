# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Webots camera images to the contract's small rgb8 images (plain numpy).

The Spot PROTO's cameras render 1080x720 BGRA; the contract wants rgb8 at a small size
(64x64 by default). The image is cropped to the output's aspect ratio about its centre and
then averaged over whole blocks of pixels, so the result is a proper area downsample
(no aliasing) and the field of view shrinks only by the crop.
"""

from __future__ import annotations

import math

import numpy as np


def downsample_bgra(
    data: bytes, width: int, height: int, out_width: int, out_height: int
) -> tuple[np.ndarray, tuple[int, int, int, int, int]]:
    """Crop and block-average a BGRA image to (out_height, out_width, 3) rgb uint8.

    Returns the image and the crop used: (left, top, crop width, crop height, block), where
    block is the side (pixels) of the square each output pixel averages.
    """
    if out_width < 1 or out_height < 1 or out_width > width or out_height > height:
        raise ValueError(f'cannot make {out_width}x{out_height} from {width}x{height}')
    pixels = np.frombuffer(data, dtype=np.uint8)
    if pixels.size != width * height * 4:
        raise ValueError(f'expected {width * height * 4} bytes of BGRA, got {pixels.size}')
    block = min(width // out_width, height // out_height)
    crop_w, crop_h = block * out_width, block * out_height
    left, top = (width - crop_w) // 2, (height - crop_h) // 2
    bgra = pixels.reshape(height, width, 4)[top : top + crop_h, left : left + crop_w]
    mean = bgra.reshape(out_height, block, out_width, block, 4).mean(axis=(1, 3))
    rgb = np.rint(mean[..., 2::-1]).astype(np.uint8)
    return rgb, (left, top, crop_w, crop_h, block)


def pinhole_matrix(
    horizontal_fov: float, width: int, height: int, crop: tuple[int, int, int, int, int]
) -> list[float]:
    """Row-major 3x3 camera matrix K of the downsampled image (square pixels, no distortion).

    ``horizontal_fov`` (rad) and ``width``/``height`` describe the Webots camera; ``crop`` is
    what :func:`downsample_bgra` returned.
    """
    left, top, crop_w, crop_h, block = crop
    focal = width / (2.0 * math.tan(horizontal_fov / 2.0)) / block
    cx = (width / 2.0 - left) / block
    cy = (height / 2.0 - top) / block
    return [focal, 0.0, cx, 0.0, focal, cy, 0.0, 0.0, 1.0]
