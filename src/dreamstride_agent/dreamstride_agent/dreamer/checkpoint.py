# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Training checkpoints as one safetensors file: tensors plus JSON in its metadata.

No pickle: model weights, optimiser moments and RNG state are tensors; optimiser
hyper-parameters and counters are JSON strings in the safetensors metadata. Files are
written to a temporary file in the same directory, flushed, and renamed over the target,
so a crash never leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import tempfile
from typing import Any

import safetensors
import safetensors.torch
import torch


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write bytes to ``path`` atomically (temporary file, fsync, os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_tensors(
    path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]
) -> None:
    """Save tensors (copied to contiguous CPU memory) with string metadata, atomically."""
    cpu = {name: t.detach().to('cpu').contiguous() for name, t in tensors.items()}
    write_atomic(path, safetensors.torch.save(cpu, metadata))


def load_tensors(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Load every tensor and the metadata of a safetensors file."""
    with safetensors.safe_open(str(path), framework='pt') as handle:
        metadata = dict(handle.metadata() or {})
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    return tensors, metadata


def optimizer_state(
    optimizer: torch.optim.Optimizer, prefix: str
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimiser state dict into tensors and a JSON-serialisable rest."""
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict[str, Any]] = {}
    for index, entries in state['state'].items():
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f'{prefix}/{index}/{key}'] = value
            else:
                plain.setdefault(str(index), {})[key] = value
    return tensors, {'param_groups': state['param_groups'], 'plain': plain}


def load_optimizer_state(
    optimizer: torch.optim.Optimizer,
    tensors: dict[str, torch.Tensor],
    meta: dict[str, Any],
    prefix: str,
) -> None:
    """Inverse of :func:`optimizer_state`."""
    state: dict[int, dict[str, Any]] = {}
    for name, tensor in tensors.items():
        if name.startswith(prefix + '/'):
            index, key = name[len(prefix) + 1 :].split('/', 1)
            state.setdefault(int(index), {})[key] = tensor
    for index, entries in meta.get('plain', {}).items():
        state.setdefault(int(index), {}).update(entries)
    optimizer.load_state_dict({'state': state, 'param_groups': meta['param_groups']})


def dumps(value: Any) -> str:
    """Compact JSON for checkpoint metadata."""
    return json.dumps(value, sort_keys=True, separators=(',', ':'))
