# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Policy bytes for the fault suite: valid tiny policies and hostile variants of them.

Valid bytes come from DreamerLearner.export_policy. Hostile ones are built the way an
attacker or a broken learner would: editing the safetensors file (8-byte little-endian
header length, JSON header with ``__metadata__``, raw tensor data) and, where the check
under test comes after the sha256 check, sending the sha256 of the edited bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import io
import json
import pickle
import struct

from dreamstride_agent.acting.agent_core import AgentConfig
import numpy as np

# The default agent's observation (its layout: AgentConfig's defaults), 12 actions.
OBS_DIM, ACT_DIM = AgentConfig().observation_spec().size, 12


@dataclass
class Request:
    """One load_policy request and the words its refusal must contain."""

    name: str
    format: str
    version: int
    sha256: str
    data: bytes
    expect: str  # substring of the response message naming the problem


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class PolicyFactory:
    """Exports policies of one tiny DreamerLearner (random weights; validity is the point)."""

    def __init__(self) -> None:
        import torch

        torch.set_num_threads(1)
        from dreamstride_agent.dreamer.config import load_config
        from dreamstride_agent.dreamer.learner import DreamerLearner

        torch.manual_seed(0)
        self._config = load_config('tiny')
        self._agent = DreamerLearner(self._config, OBS_DIM, ACT_DIM)

    def valid(self, version: int) -> tuple[bytes, str]:
        """Valid policy bytes carrying ``version`` and their sha256."""
        return self._agent.export_policy(version)

    def other_observation(self, version: int, obs_dim: int) -> tuple[bytes, str]:
        """A valid policy for an agent with another observation size."""
        from dreamstride_agent.dreamer.learner import DreamerLearner

        return DreamerLearner(self._config, obs_dim, ACT_DIM).export_policy(version)

    def edited(self, version: int, edit) -> tuple[bytes, str]:
        """Valid bytes of ``version`` edited by ``edit(tensors)``, re-saved; and their sha256."""
        import safetensors.torch

        data, _ = self.valid(version)
        (length,) = struct.unpack('<Q', data[:8])
        metadata = json.loads(data[8 : 8 + length])['__metadata__']
        tensors = safetensors.torch.load(data)
        edit(tensors)
        data = safetensors.torch.save(tensors, metadata)
        return data, _sha(data)

    def nan_at_run_time(self, version: int) -> tuple[bytes, str]:
        """Finite weights whose actions are NaN: the first actor layer's weights are 3e38.

        Every weight passes the finite-values check, but the layer's outputs overflow to
        inf and the layer norm after it computes inf - inf.
        """
        import torch

        def huge(tensors):
            name = 'actor.head.mlp.net.0.weight'
            tensors[name] = torch.full_like(tensors[name], 3e38)

        return self.edited(version, huge)

    def hostile(self, version: int, active: int, max_bytes: int) -> list[Request]:
        """Requests that must all be refused by an agent whose active policy is ``active``."""
        import safetensors.torch
        import torch

        good, good_sha = self.valid(version)
        requests = []

        def add(name, data, sha256=None, fmt='safetensors', request_version=version, expect=''):
            requests.append(
                Request(
                    name,
                    fmt,
                    request_version,
                    _sha(data) if sha256 is None else sha256,
                    data,
                    expect,
                )
            )

        add('truncated bytes', good[: len(good) // 2], expect='(truncated)')
        add('wrong sha256', good, sha256=_sha(b'something else'), expect='sha256 mismatch')

        def rename(t):
            t['actor.head.output.weight'] = t.pop('actor.head.out.weight')

        add('wrong tensor names', self.edited(version, rename)[0], expect='wrong tensor names')

        def reshape(t):
            t['actor.head.out.bias'] = torch.zeros(t['actor.head.out.bias'].numel() + 1)

        add(
            'wrong tensor shape',
            self.edited(version, reshape)[0],
            expect="'actor.head.out.bias' has shape",
        )

        def nan(t):
            t['actor.head.out.bias'][0] = float('nan')

        add(
            'NaN weights',
            self.edited(version, nan)[0],
            expect="'actor.head.out.bias' holds NaN or Inf",
        )

        def inf(t):
            t['encoder.mlp.net.0.weight'][0, 0] = float('inf')

        add(
            'Inf weights',
            self.edited(version, inf)[0],
            expect="'encoder.mlp.net.0.weight' holds NaN or Inf",
        )
        add(
            'file over the size limit',
            good + bytes(max_bytes + 1 - len(good)),
            expect=f'over the limit of {max_bytes} bytes',
        )
        state = {k: v.numpy() for k, v in safetensors.torch.load(good).items()}
        add('pickle', pickle.dumps(state, protocol=4), expect='pickle stream')
        buffer = io.BytesIO()
        torch.save({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()}, buffer)
        add('torch.save zip (a pickle inside)', buffer.getvalue(), expect='zip archive')
        old, _ = self.valid(active)
        add(
            'version not newer than the active one',
            old,
            request_version=active,
            expect=f'version {active} is not newer',
        )
        add("format 'onnx'", good, fmt='onnx', expect="format 'onnx' is not accepted")
        add(
            'request version differs from the bytes',
            good,
            request_version=version + 1,
            expect=f'bytes carry version {version}',
        )
        other, _ = self.other_observation(version, OBS_DIM + 12)
        add(
            'policy for another observation size',
            other,
            expect=f'policy expects observation {OBS_DIM + 12}',
        )
        return requests
