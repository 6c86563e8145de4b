# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""A policy file says what it observes; one loader reads policies and checkpoints."""

import json

from dreamstride_agent.acting.agent_core import AgentConfig
from dreamstride_agent.acting.policy_file import read_policy_file
from dreamstride_agent.acting.policy_slot import PolicySlot
from dreamstride_agent.dreamer.config import load_config
from dreamstride_agent.dreamer.learner import DreamerLearner
from dreamstride_agent.dreamer.policy_format import PolicyRejected
from dreamstride_agent.dreamer.policy_validation import validate_policy_bytes
import pytest
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

KEYS = 'joint_position:12,roll_pitch:2,roll_pitch_rate:2,velocity_command:3'


@pytest.fixture(scope='module')
def learner() -> DreamerLearner:
    agent = DreamerLearner(load_config('tiny'), 19, 12, device='cpu')
    agent.observation_keys = KEYS
    return agent


def test_exported_policy_and_checkpoint_carry_the_observation_layout(learner, tmp_path):
    data, sha = learner.export_policy(4)
    (tmp_path / 'policy.safetensors').write_bytes(data)
    learner.save_checkpoint(tmp_path / 'checkpoint.safetensors')
    policy = read_policy_file(tmp_path / 'policy.safetensors')
    assert (policy.kind, policy.version, policy.sha256, policy.observation_keys) == (
        'policy',
        4,
        sha,
        KEYS,
    )
    from_checkpoint = read_policy_file(tmp_path / 'checkpoint.safetensors')
    assert from_checkpoint.kind == 'checkpoint' and from_checkpoint.observation_keys == KEYS
    # The agent configuration it implies observes exactly that layout, and takes the policy.
    config = AgentConfig().for_observation(policy.observation_keys)
    assert config.observation_spec().describe() == KEYS
    slot = PolicySlot(config.observation_spec().size, 12, 1 << 30)
    assert slot.offer('safetensors', policy.version, policy.sha256, policy.data)[0]


def _with_metadata(data: bytes, **changes: str) -> bytes:
    import tempfile

    from safetensors import safe_open

    with tempfile.NamedTemporaryFile(suffix='.safetensors') as f:
        f.write(data)
        f.flush()
        with safe_open(f.name, 'pt') as opened:
            metadata = dict(opened.metadata())
    metadata.update(changes)
    return save_tensors(load_tensors(data), metadata)


@pytest.mark.parametrize(
    ('keys', 'problem'),
    [
        ('joint_position:12,gravity:3', 'describe 15 values, obs_dim is 19'),
        ('joint_position:twelve', 'is not name:size'),
        ('x' * 600, 'over the limit'),
    ],
)
def test_a_layout_that_does_not_fit_the_policy_is_refused(learner, keys, problem):
    bad = _with_metadata(learner.export_policy(1)[0], observation_keys=keys)
    import hashlib

    with pytest.raises(PolicyRejected, match=problem) as refused:
        validate_policy_bytes(bad, hashlib.sha256(bad).hexdigest())
    assert refused.value.reason == 'metadata'


def test_files_without_a_layout_still_load_and_leave_the_configuration_as_it_is(learner, tmp_path):
    learner_keys, learner.observation_keys = learner.observation_keys, ''
    try:
        data, _ = learner.export_policy(2)
    finally:
        learner.observation_keys = learner_keys
    assert (
        'observation_keys'
        not in json.loads(data[8 : 8 + int.from_bytes(data[:8], 'little')])['__metadata__']
    )
    (tmp_path / 'old.safetensors').write_bytes(data)
    policy = read_policy_file(tmp_path / 'old.safetensors')
    assert policy.observation_keys == ''
    assert AgentConfig().for_observation('') == AgentConfig()


def test_an_unreadable_file_is_named(tmp_path):
    (tmp_path / 'junk.safetensors').write_bytes(b'not safetensors')
    with pytest.raises(ValueError, match='junk.safetensors: not a readable safetensors file'):
        read_policy_file(tmp_path / 'junk.safetensors')
