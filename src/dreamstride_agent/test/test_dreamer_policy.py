"""Policy export and import: same actions, and every kind of bad file refused distinctly."""

import hashlib
import io
import json
import pickle

from dreamstride_agent.dreamer.agent import DreamerAgent
from dreamstride_agent.dreamer.config import load_config
from dreamstride_agent.dreamer.policy import Policy, PolicyRejected, validate_policy_bytes
import numpy as np
import pytest
import safetensors.torch
import torch

OBS, ACT = 6, 3


@pytest.fixture(scope='module')
def agent():
    torch.manual_seed(0)
    config = load_config('tiny', ['train.batch=2', 'train.length=5'])
    agent = DreamerAgent(config, OBS, ACT, device='cpu')
    rng = np.random.default_rng(0)
    batch = {'obs': rng.normal(size=(2, 5, OBS)).astype(np.float32),
             'action': rng.uniform(-1, 1, (2, 5, ACT)).astype(np.float32),
             'reward': rng.normal(size=(2, 5)).astype(np.float32),
             'is_first': np.arange(5)[None].repeat(2, 0) == 0,
             'is_last': np.zeros((2, 5), bool), 'is_terminal': np.zeros((2, 5), bool)}
    agent.train_step(batch)
    return agent


@pytest.fixture(scope='module')
def exported(agent):
    return agent.export_policy(version=7)


def rollout(policy, obs, sample, resets=()):
    state, actions = None, []
    for t, o in enumerate(obs):
        action, state = policy.step(o, state, t == 0 or t in resets, sample=sample)
        actions.append(action)
    return np.array(actions)


def test_export_import_reproduces_the_actions(agent, exported):
    data, sha = exported
    assert sha == hashlib.sha256(data).hexdigest()
    policy = Policy.from_bytes(data, sha, seed=3)
    assert policy.metadata.version == 7
    assert (policy.metadata.obs_dim, policy.metadata.act_dim) == (OBS, ACT)
    assert policy.metadata.model == agent.config.model
    assert policy.metadata.config_name == 'tiny'
    obs = np.random.default_rng(1).normal(size=(20, OBS)).astype(np.float32)
    live = agent.policy(seed=3)
    np.testing.assert_array_equal(rollout(policy, obs, False), rollout(live, obs, False))
    sampled = rollout(policy, obs, True, resets={10})
    np.testing.assert_array_equal(sampled, rollout(agent.policy(seed=3), obs, True, {10}))
    assert sampled.dtype == np.float32 and sampled.shape == (20, ACT)
    assert np.all(np.abs(sampled) <= 1.0)
    # The policy holds only encoder, RSSM filter and actor (no prior, decoder, critic).
    names = set(safetensors.torch.load(data))
    assert all(n.split('.')[0] in ('encoder', 'rssm', 'actor') for n in names)
    assert not any(n.startswith('rssm.prior') for n in names)


def test_is_first_resets_the_state(exported):
    policy = Policy.from_bytes(*exported)
    obs = np.random.default_rng(2).normal(size=(8, OBS)).astype(np.float32)
    first = rollout(policy, obs[:4], False)
    # After a reset the policy acts as from a fresh start.
    state = None
    for o in obs[4:]:
        _, state = policy.step(o, state, state is None, sample=False)
    again, _ = policy.step(obs[0], state, True, sample=False)
    np.testing.assert_array_equal(again, first[0])
    fresh = policy.initial_state()
    assert torch.count_nonzero(fresh.deter) == 0 and torch.count_nonzero(fresh.action) == 0
    with pytest.raises(ValueError, match='observation shape'):
        policy.step(np.zeros(OBS + 1), None, True)


def _rebuild(data: bytes, change) -> tuple[bytes, str]:
    tensors = safetensors.torch.load(data)
    header_len = int.from_bytes(data[:8], 'little')
    metadata = json.loads(data[8:8 + header_len])['__metadata__']
    change(tensors, metadata)
    new = safetensors.torch.save(tensors, metadata)
    return new, hashlib.sha256(new).hexdigest()


def _rename(t, m):
    t['actor.head.out.weightz'] = t.pop('actor.head.out.weight')


def _drop(t, m):
    del t['rssm.gru.weight']


def _extra(t, m):
    t['critic.out.weight'] = torch.zeros(3, 3)


def _shape(t, m):
    t['actor.head.out.bias'] = torch.zeros(t['actor.head.out.bias'].shape[0] + 1)


def _dtype(t, m):
    t['encoder.mlp.net.0.weight'] = t['encoder.mlp.net.0.weight'].half()


def _nan(t, m):
    t['rssm.obs_logits.bias'][3] = float('nan')


def _inf(t, m):
    t['actor.head.out.weight'][0, 0] = float('inf')


def _format(t, m):
    m['format'] = 'something-else'


def _version(t, m):
    m['version'] = 'seven'


def _architecture(t, m):
    m['model'] = json.dumps({**json.loads(m['model']), 'deter': 'big'})


def _huge(t, m):
    m['model'] = json.dumps({**json.loads(m['model']), 'layers': 100_000})


def _bad_cases(data: bytes, sha: str) -> dict[str, tuple]:
    """name -> (bytes, sha256, max_bytes, expected reason)."""
    buffer = io.BytesIO()
    torch.save(safetensors.torch.load(data), buffer)
    pickled = pickle.dumps({'weights': np.zeros(3)})
    limit = 64 * 1024 * 1024
    cases = {
        'truncated': (data[:-100], sha, limit, 'truncated'),
        'truncated header': (data[:20], sha, limit, 'truncated'),
        'wrong sha256': (data, hashlib.sha256(b'other').hexdigest(), limit, 'sha256'),
        'oversized': (data, sha, len(data) - 1, 'oversized'),
        'torch.save': (buffer.getvalue(), hashlib.sha256(buffer.getvalue()).hexdigest(),
                       limit, 'pickle'),
        'pickle.dumps': (pickled, hashlib.sha256(pickled).hexdigest(), limit, 'pickle'),
        'random bytes': (b'\xff' * 64, hashlib.sha256(b'\xff' * 64).hexdigest(), limit,
                         'format'),
    }
    for name, change, reason in [
            ('wrong name', _rename, 'tensor_name'), ('missing', _drop, 'missing_tensor'),
            ('extra', _extra, 'extra_tensor'), ('shape', _shape, 'shape'),
            ('dtype', _dtype, 'dtype'), ('nan', _nan, 'nonfinite'),
            ('inf', _inf, 'nonfinite'), ('format', _format, 'metadata'),
            ('version', _version, 'version'), ('architecture', _architecture, 'metadata'),
            ('huge architecture', _huge, 'metadata')]:
        cases[name] = (*_rebuild(data, change), limit, reason)
    return cases


def test_every_bad_file_is_refused_with_its_own_message(agent, exported):
    data, sha = exported
    running = agent.policy(seed=0)
    obs = np.ones(OBS, np.float32)
    before, _ = running.step(obs, None, True, sample=False)
    messages = {}
    for name, (bad, bad_sha, limit, reason) in _bad_cases(data, sha).items():
        with pytest.raises(PolicyRejected) as caught:
            Policy.from_bytes(bad, bad_sha, max_bytes=limit)
        assert caught.value.reason == reason, (name, str(caught.value))
        assert str(caught.value).startswith(f'policy refused ({reason}):')
        messages[name] = str(caught.value)
    distinct = {'truncated', 'wrong sha256', 'oversized', 'torch.save', 'pickle.dumps',
                'wrong name', 'missing', 'extra', 'shape', 'dtype', 'nan', 'format', 'version'}
    assert len({messages[name] for name in distinct}) == len(distinct), messages
    assert 'pickle' in messages['torch.save'] and 'pickle' in messages['pickle.dumps']
    assert 'NaN or Inf' in messages['nan'] and 'NaN or Inf' in messages['inf']
    assert "'rssm.gru.weight'" in messages['missing']
    assert 'actor.head.out.weightz' in messages['wrong name']
    assert 'F16' in messages['dtype'] and 'shape' in messages['shape']
    # The running policy was never touched.
    after, _ = running.step(obs, None, True, sample=False)
    np.testing.assert_array_equal(before, after)


def test_version_and_sha_format_checks(exported):
    data, sha = exported
    meta, tensors = validate_policy_bytes(data, sha.upper(), expected_version=7)
    assert meta.version == 7 and all(t.dtype == torch.float32 for t in tensors.values())
    with pytest.raises(PolicyRejected, match='the request says 8') as caught:
        validate_policy_bytes(data, sha, expected_version=8)
    assert caught.value.reason == 'version'
    with pytest.raises(PolicyRejected, match='64 hex digits'):
        validate_policy_bytes(data, 'abc')
    with pytest.raises(PolicyRejected, match='expected bytes'):
        validate_policy_bytes('not bytes', sha)


def test_image_policy_round_trip():
    torch.manual_seed(1)
    config = load_config('tiny')
    agent = DreamerAgent(config, OBS, ACT, image_shape=(64, 64, 3), device='cpu')
    data, sha = agent.export_policy(1)
    policy = Policy.from_bytes(data, sha)
    assert policy.metadata.image_shape == (64, 64, 3)
    image = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    obs = np.zeros(OBS, np.float32)
    a, _ = policy.step(obs, None, True, image=image, sample=False)
    b, _ = agent.policy().step(obs, None, True, image=image, sample=False)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match='image'):
        policy.step(obs, None, True)
