# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Fuzz the policy validator: no input escapes it except as a refusal (issue 13).

Every mutant of a valid tiny policy gets a freshly computed sha256, so the checks past the
hash run too. For each one: ``Policy.from_bytes`` either returns a policy or raises
``PolicyRejected`` with a known reason (any other exception fails the test), and
``PolicySlot.offer`` never raises and agrees with it: ``(False, message)`` with the same
reason, or ``(True, ...)``. The budget is fixed and the example order deterministic
(``derandomize=True``, a seeded byte mutator), so CI sees the same inputs every run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import struct

from dreamstride_agent.acting.policy_slot import PolicySlot
from dreamstride_agent.dreamer.config import load_config
from dreamstride_agent.dreamer.learner import DreamerLearner
from dreamstride_agent.dreamer.policy import Policy
from dreamstride_agent.dreamer.policy_format import REFUSAL_REASONS, PolicyRejected
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import torch

OBS, ACT, VERSION = 6, 3, 7
LIMIT = 4 * 1024 * 1024
# Reasons that mean a check let something through that a later step tripped over.
GAPS = {'internal', 'build', 'load'}
FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@functools.cache
def valid_policy() -> bytes:
    torch.manual_seed(0)
    return DreamerLearner(load_config('tiny'), OBS, ACT, device='cpu').export_policy(VERSION)[0]


@functools.cache
def _parts() -> tuple[dict, bytes]:
    data = valid_policy()
    (length,) = struct.unpack('<Q', data[:8])
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def assemble(header: bytes, body: bytes) -> bytes:
    return struct.pack('<Q', len(header)) + header + body


def check(data: bytes) -> bool:
    """Assert the validator and the slot agree on ``data``; return whether it was accepted."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        policy = Policy.from_bytes(data, sha, max_bytes=LIMIT, expected_version=VERSION)
        reason = None
        assert (policy.metadata.obs_dim, policy.metadata.act_dim) == (OBS, ACT)
    except PolicyRejected as refusal:
        reason = refusal.reason
        assert reason in REFUSAL_REASONS - GAPS, str(refusal)
        assert str(refusal).startswith(f'policy refused ({reason}): ')
    slot = PolicySlot(OBS, ACT, LIMIT)
    ok, message = slot.offer('safetensors', VERSION, sha, data)
    assert ok == (reason is None), message
    if reason is not None:
        assert f'({reason})' in message and slot.refused == 1 and slot.last_refusal
    return ok


def test_the_unmutated_policy_is_accepted():
    assert check(valid_policy())


# JSON values of every kind, including what json.dumps writes for NaN and Infinity and
# integers far outside any accepted range.
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
# JSON text that json.dumps cannot write: what a hostile sender types by hand.
_RAW_VALUES = st.sampled_from(
    [
        '9' * 5000,
        '1' + '0' * 25,
        '[' * 3000 + ']' * 3000,
        '{"a":' * 2000 + '1' + '}' * 2000,
        '1e400',
        '-1e400',
        'NaN',
        '-Infinity',
        '"\\ud800"',
        '"\\u0000"',
        '-0',
        '1.5',
        '[1e400]',
        '[0,' + '9' * 5000 + ']',
        '{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}',
    ]
)
_VALUE_TEXT = _JSON.map(json.dumps) | _RAW_VALUES
# Fragments on which JSON parsers are known to disagree or to fail.
_TOKENS = st.sampled_from(
    [
        b'1e400',
        b'-0',
        b'NaN',
        b'-Infinity',
        b'9' * 5000,
        b'1.0',
        b'01',
        b'\\u0000',
        b'\\ud800',
        b'\\"',
        b'\\\\',
        b'"',
        b'\\',
        b'\xef\xbb\xbf',
        b'\xff',
        b'\xc3\xa9',
        b'\t',
        b'\x00',
        b'[' * 3000,
        b'{"a":' * 500,
        b',',
        b':',
        b'}',
        b']',
        b'true',
        b'null',
        b'"__metadata__":{},',
        b'"x":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},',
    ]
)
_ENCODINGS = st.fixed_dictionaries(
    {'ensure_ascii': st.booleans(), 'separators': st.sampled_from([(',', ':'), (', ', ': ')])}
)


@functools.cache
def _boundaries() -> list[int]:
    """Header offsets just after a JSON delimiter: where a value, key or item begins."""
    data = valid_policy()
    (length,) = struct.unpack('<Q', data[:8])
    return [8 + i + 1 for i, byte in enumerate(data[8 : 8 + length]) if byte in b'{[:,"']


@FUZZ
@given(
    data=st.data(),
    cut=st.integers(0, 8),
    insert=_TOKENS | st.binary(max_size=8),
    fix_length=st.booleans(),
)
def test_header_byte_splices_are_refused_or_accepted_never_raised(data, cut, insert, fix_length):
    (length,) = struct.unpack('<Q', valid_policy()[:8])
    at = data.draw(st.sampled_from(_boundaries()) | st.integers(8, 8 + length))
    policy = valid_policy()
    mutant = policy[:at] + insert + policy[at + cut :]
    if fix_length:
        mutant = struct.pack('<Q', length - cut + len(insert)) + mutant[8:]
    check(mutant)


@FUZZ
@given(data=st.data(), encoding=_ENCODINGS)
def test_header_structure_mutations_never_escape(data, encoding):
    header, body = _parts()
    header = json.loads(json.dumps(header))
    key = data.draw(st.sampled_from(sorted(header)) | st.text(max_size=6))
    action = data.draw(st.sampled_from(['delete', 'replace', 'field', 'shape', 'duplicate']))
    # A placeholder string marks where the drawn JSON text goes after json.dumps.
    hole = '@@HOLE@@'
    entry = header.get(key)
    if action == 'delete':
        header.pop(key, None)
    elif action == 'replace':
        header[key] = hole
    elif action == 'field' and isinstance(entry, dict):
        entry[data.draw(st.sampled_from(sorted(entry)) | st.text(max_size=6))] = hole
    elif action == 'shape' and isinstance(entry, dict) and 'shape' in entry:
        entry['shape'].insert(data.draw(st.integers(0, len(entry['shape']))), hole)
    text = json.dumps(header, **encoding)
    if action == 'duplicate':
        text = text[:-1] + ',' + json.dumps(key) + ':' + json.dumps(hole) + '}'
    text = text.replace(json.dumps(hole), data.draw(_VALUE_TEXT))
    check(assemble(text.encode('utf-8', 'surrogatepass'), body))


@FUZZ
@given(
    key=st.sampled_from(
        [
            'format',
            'format_version',
            'version',
            'obs_dim',
            'act_dim',
            'image_shape',
            'model',
            'config_name',
            'extra',
        ]
    ),
    value=st.text(max_size=40)
    | _JSON
    | st.sampled_from(
        [
            '7',
            '07',
            '+7',
            ' 7',
            '7.0',
            '1e3',
            '\u00b2',
            '\u0667',
            '64,64,3',
            '64,64,3,',
            '1024,1024,3',
            '32,32,1',
            '3,5,3',
            '0,0,0',
            '',
            '\ud800',
            'a\x00b',
            '[' * 3000,
            '{"deter": "!!python/name:os.system"}',
        ]
    ),
    delete=st.booleans(),
    encoding=_ENCODINGS,
)
def test_metadata_mutations_never_escape(key, value, delete, encoding):
    header, body = _parts()
    meta = dict(header['__metadata__'])
    if delete:
        meta.pop(key, None)
    else:
        meta[key] = value
    text = json.dumps({**header, '__metadata__': meta}, **encoding)
    check(assemble(text.encode('utf-8', 'surrogatepass'), body))


_MODEL_VALUES = (
    _JSON
    | st.integers(-3, 20_000)
    | st.floats(-1e3, 1e3)
    | st.sampled_from(
        [
            0,
            1,
            2,
            3,
            64,
            255,
            10_001,
            16_384,
            16_385,
            True,
            False,
            64.0,
            0.5,
            1e-9,
            1e308,
            'layer',
            'rms',
            '64',
            '!!python/name:os.system',
            '[1, 2]',
            '{a: 1}',
        ]
    )
)
_MODEL_TEXT = st.sampled_from(
    [
        '[' * 2000 + ']' * 2000,
        '{}',
        '[]',
        'null',
        '"deter=5"',
        '{"deter": 1e400}',
        '{"deter": NaN}',
        '{"deter": ' + '9' * 5000 + '}',
    ]
) | st.text(max_size=60)


@FUZZ
@given(data=st.data(), nan=st.booleans())
def test_model_config_mutations_never_escape(data, nan):
    header, body = _parts()
    model = json.loads(header['__metadata__']['model'])
    for _ in range(data.draw(st.integers(1, 3))):
        key = data.draw(st.sampled_from(sorted(model)) | st.text(max_size=8))
        if data.draw(st.booleans()):
            model[key] = data.draw(_MODEL_VALUES)
        else:
            model.pop(key, None)
    text = data.draw(st.just(json.dumps(model, allow_nan=nan)) | _MODEL_TEXT)
    meta = {**header['__metadata__'], 'model': text}
    check(
        assemble(
            json.dumps({**header, '__metadata__': meta}).encode('utf-8', 'surrogatepass'), body
        )
    )


@FUZZ
@given(
    position=st.floats(0, 1),
    value=st.floats(width=32, allow_nan=True, allow_infinity=True) | st.just(3e38),
)
def test_tensor_value_mutations_never_escape(position, value):
    header, body = _parts()
    at = 4 * int(position * (len(body) // 4 - 1))
    mutant = body[:at] + struct.pack('<f', value) + body[at + 4 :]
    data = valid_policy()
    accepted = check(data[: len(data) - len(body)] + mutant)
    assert accepted == (value == value and abs(value) != float('inf')), value


def test_seeded_byte_mutations_never_escape():
    # A plain byte mutator over the whole file, with a fixed seed: it reaches states the
    # structured strategies do not (broken length fields, pickle magic, cut files).
    rng = random.Random(13)
    data = valid_policy()
    (length,) = struct.unpack('<Q', data[:8])
    interesting = b'\x00\xff\x80\x02"\\{}[]:,0-9eEN \t\n'
    outcomes = {True: 0, False: 0}
    for _ in range(300):
        mutant = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            # Mostly the header, where the parsers live; sometimes anywhere.
            end = 8 + length if rng.random() < 0.85 else len(mutant)
            at = rng.randrange(0, max(1, min(end, len(mutant))))
            op = rng.choice(['flip', 'set', 'insert', 'delete', 'truncate'])
            if op == 'flip' and at < len(mutant):
                mutant[at] ^= 1 << rng.randrange(8)
            elif op == 'set' and at < len(mutant):
                mutant[at] = rng.choice(interesting)
            elif op == 'insert':
                mutant[at:at] = bytes([rng.choice(interesting)]) * rng.choice([1, 1, 2, 600])
            elif op == 'delete':
                del mutant[at : at + rng.randint(1, 8)]
            elif op == 'truncate':
                del mutant[at:]
        if rng.random() < 0.5 and len(mutant) >= 8:
            # Keep the length field consistent so the JSON parsing is reached.
            mutant[:8] = struct.pack('<Q', max(0, length + len(mutant) - len(data)))
        outcomes[check(bytes(mutant))] += 1
    # The mutator reached far enough that some mutants still pass (e.g. a changed
    # weight) and most are refused; neither side is empty.
    assert outcomes[False] > 200 and outcomes[True] >= 1, outcomes


def test_refusal_reasons_list_exactly_the_codes_in_use():
    # REFUSAL_REASONS documents the codes; it must not drift from the code that raises them.
    import inspect
    import re

    from dreamstride_agent.acting import policy_slot
    from dreamstride_agent.dreamer import policy, policy_validation

    source = ''.join(inspect.getsource(m) for m in (policy, policy_validation, policy_slot))
    used = set(re.findall(r"\b_?refusal\(\s*'([a-z0-9_]+)'", source))
    assert used == REFUSAL_REASONS, used ^ REFUSAL_REASONS
