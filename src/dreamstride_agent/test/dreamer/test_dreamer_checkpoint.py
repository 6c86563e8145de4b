# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Checkpoint files: atomic writes, tensors with metadata, optimiser state round trips."""

from __future__ import annotations

import json

from dreamstride_agent.dreamer import checkpoint
import pytest
import torch


def test_write_atomic_replaces_the_file_and_leaves_nothing_else(tmp_path):
    target = tmp_path / 'deep' / 'dir' / 'file.bin'
    checkpoint.write_atomic(target, b'first')
    checkpoint.write_atomic(target, b'second')
    assert target.read_bytes() == b'second'
    assert [p.name for p in target.parent.iterdir()] == ['file.bin']


def test_a_failed_write_keeps_the_old_file_and_removes_its_temporary(tmp_path):
    target = tmp_path / 'file.bin'
    checkpoint.write_atomic(target, b'good')
    with pytest.raises(TypeError):
        checkpoint.write_atomic(target, 'not bytes')  # fails inside the write
    assert target.read_bytes() == b'good'
    assert [p.name for p in tmp_path.iterdir()] == ['file.bin']


def test_tensors_and_metadata_round_trip(tmp_path):
    tensors = {
        'w': torch.arange(12, dtype=torch.float32).reshape(3, 4).t(),  # not contiguous
        'step': torch.tensor([7], dtype=torch.int64),
    }
    path = tmp_path / 'c.safetensors'
    checkpoint.save_tensors(path, tensors, {'note': 'hello', 'n': '3'})
    loaded, metadata = checkpoint.load_tensors(path)
    assert metadata == {'note': 'hello', 'n': '3'}
    assert sorted(loaded) == ['step', 'w']
    assert torch.equal(loaded['w'], tensors['w']) and loaded['step'].dtype == torch.int64


def _trained(seed: int = 0) -> tuple[torch.nn.Linear, torch.optim.Adam]:
    torch.manual_seed(seed)
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(3):
        opt.zero_grad()
        net(torch.randn(5, 3)).square().sum().backward()
        opt.step()
    return net, opt


def test_the_optimiser_state_splits_into_tensors_and_json_and_back(tmp_path):
    net, opt = _trained()
    tensors, meta = checkpoint.optimizer_state(opt, 'opt')
    assert tensors and all(name.startswith('opt/') for name in tensors)
    meta = json.loads(checkpoint.dumps(meta))  # what the checkpoint's metadata holds
    path = tmp_path / 'c.safetensors'
    checkpoint.save_tensors(path, {**tensors, 'other/0': torch.zeros(1)}, {})
    loaded, _ = checkpoint.load_tensors(path)

    # A fresh optimiser over the same weights, restored, takes the same next step.
    twin = torch.nn.Linear(3, 2)
    twin.load_state_dict(net.state_dict())
    twin_opt = torch.optim.Adam(twin.parameters(), lr=0.5)  # the saved lr must win
    checkpoint.load_optimizer_state(twin_opt, loaded, meta, 'opt')
    assert twin_opt.param_groups[0]['lr'] == pytest.approx(1e-2)
    x = torch.randn(5, 3)
    for model, optimiser in ((net, opt), (twin, twin_opt)):
        optimiser.zero_grad()
        model(x).square().sum().backward()
        optimiser.step()
    for a, b in zip(net.parameters(), twin.parameters(), strict=True):
        assert torch.equal(a, b)


def test_dumps_is_compact_and_key_sorted():
    assert checkpoint.dumps({'b': 1, 'a': [1, 2]}) == '{"a":[1,2],"b":1}'
