# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Device and precision selection: explicit, and loud when the request cannot be met."""

from __future__ import annotations

import torch


def resolve_device(name: str | torch.device = 'auto') -> torch.device:
    """Map 'auto' | 'cpu' | 'cuda' | 'cuda:N' to a device; a missing CUDA is an error.

    'auto' picks CUDA when it is available and the CPU otherwise; asking for 'cuda' on a
    machine without it raises instead of silently training on the CPU.
    """
    name = str(name)
    if name == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    if name == 'cpu':
        return torch.device('cpu')
    if name == 'cuda' or name.startswith('cuda:'):
        if not torch.cuda.is_available():
            raise RuntimeError(
                f'device {name!r} was requested but CUDA is not available to this PyTorch '
                f'(torch {torch.__version__}, built with CUDA {torch.version.cuda}); '
                "install a CUDA build or set device 'cpu' explicitly"
            )
        device = torch.device(name)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise RuntimeError(
                f'device {name!r} requested but only '
                f'{torch.cuda.device_count()} CUDA devices exist'
            )
        return device
    raise ValueError(f"unknown device {name!r}; use 'auto', 'cpu' or 'cuda'")


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (AMX or AVX512-BF16)."""
    capabilities = getattr(torch.cpu, 'get_capabilities', None)
    if capabilities is None:
        return False
    try:
        found = capabilities()
    except RuntimeError:
        return False
    return bool(found.get('amx_bf16') or found.get('avx512_bf16'))


def resolve_precision(precision: str, device: torch.device) -> torch.dtype:
    """Matmul dtype for training: 'auto' uses bfloat16 where the hardware makes it fast."""
    if precision == 'float32':
        return torch.float32
    if precision == 'bfloat16':
        return torch.bfloat16
    if precision != 'auto':
        raise ValueError(f'unknown precision {precision!r}')
    if device.type == 'cuda':
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    return torch.bfloat16 if cpu_has_fast_bf16() else torch.float32
