# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Policy export and import: same actions, and every kind of bad file refused distinctly."""

import hashlib
import io
import json
import pickle

from dreamstride_agent.dreamer.config import SIZES, load_config
from dreamstride_agent.dreamer.learner import DreamerLearner
from dreamstride_agent.dreamer.policy import Policy
from dreamstride_agent.dreamer.policy_format import PolicyMetadata, PolicyRejected
from dreamstride_agent.dreamer.policy_validation import _parse_metadata, validate_policy_bytes
import numpy as np
import pytest
import safetensors.torch
import torch

OBS, ACT = 6, 3


@pytest.fixture(scope='module')
def agent():
    torch.manual_seed(0)
    config = load_config('tiny', ['train.batch=2', 'train.length=5'])
    agent = DreamerLearner(config, OBS, ACT, device='cpu')
    rng = np.random.default_rng(0)
    batch = {
        'obs': rng.normal(size=(2, 5, OBS)).astype(np.float32),
        'action': rng.uniform(-1, 1, (2, 5, ACT)).astype(np.float32),
        'reward': rng.normal(size=(2, 5)).astype(np.float32),
        'is_first': np.arange(5)[None].repeat(2, 0) == 0,
        'is_last': np.zeros((2, 5), bool),
        'is_terminal': np.zeros((2, 5), bool),
    }
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
    metadata = json.loads(data[8 : 8 + header_len])['__metadata__']
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
        'torch.save': (
            buffer.getvalue(),
            hashlib.sha256(buffer.getvalue()).hexdigest(),
            limit,
            'pickle',
        ),
        'pickle.dumps': (pickled, hashlib.sha256(pickled).hexdigest(), limit, 'pickle'),
        'random bytes': (b'\xff' * 64, hashlib.sha256(b'\xff' * 64).hexdigest(), limit, 'format'),
    }
    for name, change, reason in [
        ('wrong name', _rename, 'tensor_name'),
        ('missing', _drop, 'missing_tensor'),
        ('extra', _extra, 'extra_tensor'),
        ('shape', _shape, 'shape'),
        ('dtype', _dtype, 'dtype'),
        ('nan', _nan, 'nonfinite'),
        ('inf', _inf, 'nonfinite'),
        ('format', _format, 'metadata'),
        ('version', _version, 'version'),
        ('architecture', _architecture, 'metadata'),
        ('huge architecture', _huge, 'metadata'),
    ]:
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
    distinct = {
        'truncated',
        'wrong sha256',
        'oversized',
        'torch.save',
        'pickle.dumps',
        'wrong name',
        'missing',
        'extra',
        'shape',
        'dtype',
        'nan',
        'format',
        'version',
    }
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
    agent = DreamerLearner(config, OBS, ACT, image_shape=(64, 64, 3), device='cpu')
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


# Hostile-input regressions (issue 13): each case escaped validation with an exception
# other than PolicyRejected, or was read differently by the check and by the loader.


def _header_text(data: bytes) -> tuple[str, bytes]:
    """(header JSON text, tensor data) of safetensors bytes."""
    header_len = int.from_bytes(data[:8], 'little')
    return data[8 : 8 + header_len].decode('latin-1'), data[8 + header_len :]


def _with_header(data: bytes, edit) -> tuple[bytes, str]:
    """Bytes whose header text is ``edit(text)`` (latin-1 round trip keeps raw bytes)."""
    text, body = _header_text(data)
    header = edit(text).encode('latin-1')
    new = len(header).to_bytes(8, 'little') + header + body
    return new, hashlib.sha256(new).hexdigest()


def _add_top_level(item: str):
    return lambda text: text.rstrip()[:-1] + ',' + item + '}'


def _meta_text(key: str, value: str):
    """Replace the JSON string value of metadata ``key`` by ``value`` (raw JSON text)."""

    def edit(text: str) -> str:
        meta = json.loads(text)['__metadata__']
        old = json.dumps(meta[key], separators=(',', ':'))
        assert f'"{key}":{old}' in text, (key, old)
        return text.replace(f'"{key}":{old}', f'"{key}":{value}', 1)

    return edit


def _model_edit(change):
    """Metadata 'model' JSON replaced by ``change(model dict)`` (a dict or raw text)."""

    def edit(t, m):
        new = change(json.loads(m['model']))
        m['model'] = new if isinstance(new, str) else json.dumps(new)

    return edit


_HEADER_CASES = {
    'duplicate key': _add_top_level('"__metadata__":{"format":"x"}'),
    'non-ASCII byte': _meta_text('config_name', '"t\xc3\xafny"'),
    'non-UTF-8 byte': _meta_text('config_name', '"t\xffny"'),
    'unicode escape': _meta_text('config_name', '"t\\u00efny"'),
    'lone surrogate escape': _meta_text('config_name', '"\\ud800"'),
    'control character escape': _meta_text('config_name', '"a\\u0000b"'),
    'huge integer': _add_top_level(
        '"x":{"dtype":"F32","shape":[1],"data_offsets":[0,' + '9' * 5000 + ']}'
    ),
    'float 1e400': _add_top_level('"x":1e400'),
    'NaN literal': _add_top_level('"x":NaN'),
    'Infinity literal': _add_top_level('"x":-Infinity'),
    'negative number': _add_top_level('"x":-1'),
    'trailing bytes': lambda text: text + 'xyz',
    'trailing tab': lambda text: text + '\t',
    'leading whitespace': lambda text: ' ' + text,
    'byte order mark': lambda text: '\xef\xbb\xbf' + text,
    'deep nesting': _add_top_level('"x":' + '[' * 200_000 + ']' * 200_000),
    # Minutes of regex backtracking for the first strict check (quadratic in the length).
    'many escaped quotes': _add_top_level('"x":"' + '\\"' * 200_000 + '\\u"'),
    'unterminated string': lambda text: text.rstrip()[:-1] + ',"x":"abc}',
    'non-string metadata value': _meta_text('obs_dim', '6'),
}


@pytest.mark.parametrize('case', sorted(_HEADER_CASES))
def test_hostile_header_json_is_refused(exported, case):
    bad, bad_sha = _with_header(exported[0], _HEADER_CASES[case])
    with pytest.raises(PolicyRejected) as caught:
        Policy.from_bytes(bad, bad_sha)
    expected = 'metadata' if case == 'non-string metadata value' else 'header_json'
    assert caught.value.reason == expected, str(caught.value)


# Non-ASCII text and control characters are refused with the header already (the
# superscript digit once reached int() and escaped as ValueError).
_METADATA_CASES = {
    'superscript digit version': ('version', '\u00b2', 'header_json'),
    'Arabic-Indic digits': ('obs_dim', '\u0666', 'header_json'),
    'config name with a newline': ('config_name', 'tiny\n', 'header_json'),
    'word version': ('version', 'seven', 'version'),
    'signed integer': ('obs_dim', '+6', 'metadata'),
    'padded integer': ('obs_dim', ' 6', 'metadata'),
    'leading zero': ('act_dim', '03', 'metadata'),
    'underscore integer': ('version', '0_7', 'version'),
    'huge integer': ('obs_dim', '9' * 30, 'metadata'),
    'image shape the encoder cannot take': ('image_shape', '3,5,3', 'metadata'),
    'image shape with spaces': ('image_shape', '64, 64, 3', 'metadata'),
    'image shape of two numbers': ('image_shape', '64,64', 'metadata'),
    'unknown metadata key': ('surprise', 'x', 'metadata'),
    'overlong config name': ('config_name', 'x' * 10_000, 'metadata'),
}


@pytest.mark.parametrize('case', sorted(_METADATA_CASES))
def test_hostile_metadata_is_refused(exported, case):
    key, value, reason = _METADATA_CASES[case]

    def edit(t, m):
        m[key] = value

    with pytest.raises(PolicyRejected) as caught:
        Policy.from_bytes(*_rebuild(exported[0], edit))
    assert caught.value.reason == reason, str(caught.value)
    if reason != 'header_json':
        assert key in str(caught.value)


def test_missing_metadata_key_is_refused(exported):
    def edit(t, m):
        del m['config_name']

    with pytest.raises(PolicyRejected, match='config_name') as caught:
        Policy.from_bytes(*_rebuild(exported[0], edit))
    assert caught.value.reason == 'metadata'


_MODEL_CASES = {
    'YAML tag in a string': lambda m: {**m, 'deter': '!!python/name:os.system'},
    'deep nesting': lambda m: '[' * 2000 + ']' * 2000,  # RecursionError once
    'overlong': lambda m: {**m, 'norm': 'layer' + ' ' * 5000},
    'nested object': lambda m: {**m, 'deter': {'deter': 64}},
    'number as string': lambda m: {**m, 'deter': '64'},
    'float for an int': lambda m: {**m, 'units': 64.0},
    'bool for an int': lambda m: {**m, 'layers': True},
    'bool for a float': lambda m: {**m, 'unimix': False},
    'negative size': lambda m: {**m, 'stoch': -8},
    'zero size': lambda m: {**m, 'classes': 0},
    'huge size': lambda m: {**m, 'deter': 10**30},
    'huge float': lambda m: {**m, 'action_max_std': 1e308},
    'missing key': lambda m: {k: v for k, v in m.items() if k != 'bins'},
    'empty object': lambda m: {},
    'extra key': lambda m: {**m, 'deterministic': 64},
    'duplicate key': lambda m: json.dumps(m)[:-1] + ', "deter": 65}',
    'NaN float': lambda m: (
        json.dumps(m)[:-1] + ', "unimix": NaN}'.replace('"unimix": NaN', '"cnn_depth": NaN')
    ),
    'not an object': lambda m: '[1, 2]',
    'not JSON': lambda m: '{deter: 64',
    'unknown norm': lambda m: {**m, 'norm': 'batch'},
}


@pytest.mark.parametrize('case', sorted(_MODEL_CASES))
def test_hostile_model_config_is_refused(exported, case):
    with pytest.raises(PolicyRejected) as caught:
        Policy.from_bytes(*_rebuild(exported[0], _model_edit(_MODEL_CASES[case])))
    assert caught.value.reason == 'metadata', str(caught.value)
    assert 'model' in str(caught.value)


def test_architecture_beyond_the_byte_limit_is_refused(exported):
    # Every field within its own limit, but the net would need far more memory than any
    # accepted file could hold: refused before anything is built.
    def edit(t, m):
        m['image_shape'] = '1024,1024,3'
        m['model'] = json.dumps(
            {**json.loads(m['model']), 'cnn_depth': 1024, 'units': 16384, 'layers': 16}
        )

    with pytest.raises(PolicyRejected, match='parameters') as caught:
        Policy.from_bytes(*_rebuild(exported[0], edit))
    assert caught.value.reason == 'architecture'


def test_slot_turns_any_unexpected_error_into_a_counted_refusal(exported, monkeypatch):
    from dreamstride_agent.acting import policy_slot

    data, sha = exported
    slot = policy_slot.PolicySlot(OBS, ACT, max_bytes=len(data))

    def explode(*args, **kwargs):
        raise RecursionError('maximum recursion depth exceeded')

    monkeypatch.setattr(policy_slot.Policy, 'from_bytes', explode)
    ok, message = slot.offer('safetensors', 7, sha, data)
    assert not ok and 'internal' in message and 'RecursionError' in message
    assert slot.refused == 1 and 'RecursionError' in slot.last_refusal
    monkeypatch.undo()
    for version in ('7', True, 10**5000):  # str() of the last one raises ValueError
        ok, message = slot.offer('safetensors', version, sha, data)
        assert not ok and message.startswith('refused: policy refused (version):'), message
    assert slot.refused == 4
    ok, message = slot.offer('safetensors', 7, sha, data)
    assert ok, message
    assert slot.swap() and slot.active_version == 7 and slot.refused == 4


@pytest.mark.parametrize('name', sorted(SIZES))
def test_every_named_size_passes_the_strict_metadata_check(name):
    # The strict parser must accept what any preset exports (no net is built here).
    config = load_config(name)
    for image_shape in (None, (64, 64, 3)):
        meta = PolicyMetadata(12, 40, 12, image_shape, config.model, config_name=name)
        assert _parse_metadata(meta.to_strings(), 12) == meta


def test_every_float_field_of_the_model_config_has_import_limits():
    """A new ModelConfig field must get its bounds in the validator, or exports break."""
    import dataclasses

    from dreamstride_agent.dreamer.config import ModelConfig
    from dreamstride_agent.dreamer.policy_validation import _FLOAT_LIMITS

    floats = {
        f.name
        for f in dataclasses.fields(ModelConfig)
        if isinstance(getattr(ModelConfig(), f.name), float)
    }
    assert floats == set(_FLOAT_LIMITS)
