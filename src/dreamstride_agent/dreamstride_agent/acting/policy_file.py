# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The one way to read a policy from disk, for every tool that acts with one.

Two kinds of file hold a policy: an exported policy (``final_policy.safetensors``,
``best_policy.safetensors``: the bytes the learner pushes to agents) and a learner
checkpoint (``learner/checkpoint.safetensors``, with optimiser state), whose policy is
exported on reading. Either way the caller gets the policy bytes as an agent's
PolicySlot takes them, and the observation layout the policy was trained on
(``observation_keys``, as Step carries it), from which :meth:`AgentConfig.for_observation`
builds the matching agent configuration. Files written before the layout was recorded
give an empty layout; the caller then needs the training run's observation parameters.

The bytes are not validated here: PolicySlot.offer does that, as for a pushed policy.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
from pathlib import Path

# The exported policy's format name (dreamer.policy.POLICY_FORMAT), read from the
# safetensors header without importing torch for files that are not policies.
_POLICY_FORMAT_KEY = 'format'


@dataclass(frozen=True)
class PolicyFile:
    """A policy read from disk, ready to offer to a PolicySlot."""

    path: Path
    data: bytes
    sha256: str
    version: int
    observation_keys: str  # '' for files written before it was recorded
    kind: str  # 'policy' (exported) or 'checkpoint' (learner checkpoint, exported here)


def read_policy_file(path: Path | str) -> PolicyFile:
    """Read an exported policy or a learner checkpoint; raise ValueError naming the problem."""
    from dreamstride_agent.dreamer.policy_format import POLICY_FORMAT
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    try:
        with safe_open(str(path), 'pt') as f:
            metadata = f.metadata() or {}
    except (OSError, SafetensorError) as exc:
        raise ValueError(f'{path}: not a readable safetensors file ({exc})') from None
    if metadata.get(_POLICY_FORMAT_KEY) == POLICY_FORMAT:
        data = path.read_bytes()
        try:
            version = int(metadata.get('version', ''))
        except ValueError:
            raise ValueError(f'{path}: policy version {metadata.get("version")!r}') from None
        return PolicyFile(
            path,
            data,
            hashlib.sha256(data).hexdigest(),
            version,
            metadata.get('observation_keys', ''),
            'policy',
        )
    from dreamstride_agent.dreamer.learner import DreamerLearner

    learner = DreamerLearner.from_checkpoint(path, device='cpu')
    version = max(learner.step, 1)
    data, sha256 = learner.export_policy(version)
    return PolicyFile(path, data, sha256, version, learner.observation_keys, 'checkpoint')
