# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Reading untrusted policy bytes: check everything before anything is built.

Bytes from the network are untrusted: :func:`validate_policy_bytes` checks them
completely (size, not a pickle, header, sha256, metadata, architecture size, tensor names,
dtypes, shapes, finite values) before anything is built, and refuses with
:class:`~.policy_format.PolicyRejected` whose ``reason`` is one of
:data:`~.policy_format.REFUSAL_REASONS` and whose message names the problem; no other
exception leaves it. The header is accepted only in a subset of JSON that Python's parser
and the safetensors loader read alike, and every metadata field, the architecture
included, is typed and bounded before it is used. Nothing on this path unpickles.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
import typing
from typing import Any

import numpy as np
import safetensors.torch
import torch

from .config import DreamerConfig, ModelConfig
from .policy_format import (
    DEFAULT_MAX_BYTES,
    POLICY_FORMAT,
    POLICY_FORMAT_VERSION,
    PolicyMetadata,
    PolicyRejected,
    expected_tensors,
)

_MAX_HEADER_BYTES = 1024 * 1024
_MAX_DIM = 100_000
_ARCHITECTURE_LIMITS = {
    'deter': 16384,
    'hidden': 16384,
    'units': 16384,
    'stoch': 1024,
    'classes': 1024,
    'layers': 16,
    'head_layers': 16,
    'cnn_depth': 1024,
    'bins': 10_001,
}
# Bytes per element of every dtype the safetensors format defines.
_DTYPE_SIZES = {
    'BOOL': 1,
    'U8': 1,
    'I8': 1,
    'F8_E5M2': 1,
    'F8_E4M3': 1,
    'I16': 2,
    'U16': 2,
    'F16': 2,
    'BF16': 2,
    'I32': 4,
    'U32': 4,
    'F32': 4,
    'I64': 8,
    'U64': 8,
    'F64': 8,
}


def refusal(reason: str, message: str) -> PolicyRejected:
    """Return the PolicyRejected for ``reason`` (a REFUSAL_REASONS code) and ``message``."""
    return PolicyRejected(reason, f'policy refused ({reason}): {message}')


# --------------------------------------------------------------- strict JSON reading
#
# The header is read twice: here, by Python's json, and later by the safetensors loader
# (Rust, serde_json). The two must see the same document, so this reader accepts only a
# subset of JSON on which both parsers provably agree: printable ASCII (no control
# characters, no BOM, no UTF-8 questions), strings whose only escapes are \" and \\,
# no duplicate keys, canonical numbers of bounded length, bounded nesting. Everything
# outside that subset is refused before json.loads runs, so json.loads can neither
# recurse deeply nor convert a 5000-digit integer.

# Escapes pair up left to right, as in a JSON string; after the two allowed ones are
# blanked out a string is a quote, no quotes, a quote. Both patterns run in linear time
# (a pattern that also matched escapes inside strings retried from every escaped quote,
# quadratic in the header length).
_ALLOWED_ESCAPE = re.compile(rb'\\["\\]')
_JSON_STRING = re.compile(rb'"[^"]*"')
_JSON_WORDS = re.compile(rb'true|false|null')
_NOT_PRINTABLE_ASCII = re.compile(rb'[^\x20-\x7e]')
_LEADING_ZERO = re.compile(rb'(?<![0-9.eE+-])0[0-9]')
_MAX_DIGITS = 16  # every accepted count, offset and size is below 10**16
_LONG_NUMBER = re.compile(rb'[0-9]{%d,}' % (_MAX_DIGITS + 1))
_MAX_JSON_ITEMS = 65_536


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Python keeps the last of two equal keys; another parser may keep the first.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f'the key {key[:80]!r} appears twice')
        result[key] = value
    return result


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f'the number {text[:40]} is out of range')
    return value


def _refuse_float(text: str) -> float:
    raise ValueError(f'the number {text[:40]} is not an integer')


def _json_structure_problem(raw: bytes, max_depth: int, floats: bool) -> str | None:
    """Say what puts ``raw`` outside the agreed JSON subset, or None (no json.loads yet)."""
    bad = _NOT_PRINTABLE_ASCII.search(raw)
    if bad is not None:
        return (
            f'byte 0x{raw[bad.start()]:02x} at offset {bad.start()} is not printable '
            'ASCII (control characters, non-ASCII text and byte order marks are refused)'
        )
    unescaped = _ALLOWED_ESCAPE.sub(b'e', raw)
    if b'\\' in unescaped:
        return 'a string uses an escape other than \\" and \\\\ (\\u escapes are refused)'
    rest = _JSON_WORDS.sub(b'w', _JSON_STRING.sub(b's', unescaped))
    if b'"' in rest:
        return 'a string is not terminated'
    allowed = b'{}[],: 0123456789sw' + (b'.eE+-' if floats else b'')
    stray = rest.translate(None, allowed)
    if stray:
        return (
            f'unexpected character {stray[:1].decode()!r} outside strings (NaN, '
            'Infinity, bare words' + ('' if floats else ', signs and fractions') + ' are refused)'
        )
    if _LONG_NUMBER.search(rest):
        return f'a number has more than {_MAX_DIGITS} digits'
    if _LEADING_ZERO.search(rest):
        return 'a number has a leading zero'
    if rest.count(b',') > _MAX_JSON_ITEMS:
        return f'more than {_MAX_JSON_ITEMS} items'
    steps = np.frombuffer(rest, np.uint8)
    depth = np.cumsum(
        np.isin(steps, (ord('{'), ord('['))).astype(np.int64)
        - np.isin(steps, (ord('}'), ord(']'))).astype(np.int64)
    )
    if depth.size and int(depth.max()) > max_depth:
        return f'objects and arrays nested more than {max_depth} deep'
    return None


def _strict_json(raw: bytes, what: str, reason: str, max_depth: int, floats: bool) -> Any:
    """Parse ``raw`` if it lies in the agreed subset of JSON; otherwise refuse."""
    problem = _json_structure_problem(raw, max_depth, floats)
    if problem is None:
        try:
            return json.loads(
                raw.decode('ascii'),
                object_pairs_hook=_no_duplicates,
                parse_float=_finite_float if floats else _refuse_float,
                parse_constant=_refuse_float,
            )
        except ValueError as error:  # JSONDecodeError, duplicate keys, number hooks
            problem = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
    raise refusal(reason, f'{what} is not accepted JSON: {problem}')


# ------------------------------------------------------------------------- metadata

_METADATA_KEYS = frozenset(PolicyMetadata(0, 1, 1, None, ModelConfig()).to_strings())
_MAX_METADATA_CHARS = {'model': 4096, 'config_name': 128, 'observation_keys': 512}
# Keys a file may leave out (written by later versions of the same format).
_OPTIONAL_METADATA_KEYS = frozenset({'observation_keys'})
_CANONICAL_INT = re.compile(r'0|[1-9][0-9]{0,19}')  # up to 2^64-1
_MAX_VERSION = 2**64 - 1  # LoadPolicy.version is a uint64
_MAX_IMAGE_SIDE = 1024
_MAX_IMAGE_CHANNELS = 1024
# Float fields of ModelConfig: (low, high, whether low itself is allowed).
_FLOAT_LIMITS = {
    'unimix': (0.0, 1.0, True),
    'action_min_std': (0.0, 100.0, False),
    'action_max_std': (0.0, 100.0, False),
    'action_std_offset': (-20.0, 20.0, True),
}
_STRING_CHOICES = {'norm': ('layer', 'rms')}


def _canonical_int(
    meta: dict[str, str], key: str, low: int, high: int, reason: str = 'metadata'
) -> int:
    """Read a metadata integer written exactly as str(int) writes it, within low..high."""
    raw = meta[key]
    if not _CANONICAL_INT.fullmatch(raw):
        raise refusal(reason, f'metadata {key!r} is not a canonical decimal integer: {raw[:40]!r}')
    value = int(raw)
    if not low <= value <= high:
        raise refusal(reason, f'metadata {key!r} = {value} is outside {low}..{high}')
    return value


def _check_metadata_strings(meta: Any) -> dict[str, str]:
    """Exactly the keys this format writes, each a string of bounded length."""
    if not isinstance(meta, dict):
        raise refusal('metadata', 'safetensors __metadata__ is missing or not an object')
    allowed = _METADATA_KEYS | _OPTIONAL_METADATA_KEYS
    missing, extra = sorted(_METADATA_KEYS - set(meta)), sorted(set(meta) - allowed)
    if missing or extra:
        raise refusal(
            'metadata',
            f'metadata keys differ from the format: missing '
            f'{_names(missing) or "none"}, unexpected '
            f'{_names(extra) or "none"}',
        )
    for key, value in meta.items():
        if not isinstance(value, str):
            raise refusal(
                'metadata',
                f'metadata {key!r} is {_json_kind(value)}, expected '
                'a string (not string to string)',
            )
        limit = _MAX_METADATA_CHARS.get(key, 40)
        if len(value) > limit:
            raise refusal(
                'metadata',
                f'metadata {key!r} has {len(value)} characters, over the limit of {limit}',
            )
    return meta


def _json_kind(value: Any) -> str:
    kinds = {
        bool: 'a boolean',
        int: 'a number',
        float: 'a number',
        list: 'an array',
        dict: 'an object',
        type(None): 'null',
    }
    return kinds.get(type(value), type(value).__name__)


def _parse_image_shape(raw: str) -> tuple[int, int, int] | None:
    """'' (no image) or 'H,W,C' with a square power-of-two side the image encoder takes."""
    if raw == '':
        return None
    parts = raw.split(',')
    if len(parts) != 3 or not all(_CANONICAL_INT.fullmatch(p) for p in parts):
        raise refusal(
            'metadata',
            f"metadata 'image_shape' {raw[:40]!r} is not H,W,C (canonical decimal integers)",
        )
    height, width, channels = (int(p) for p in parts)
    side_ok = height == width and 16 <= height <= _MAX_IMAGE_SIDE and height & (height - 1) == 0
    if not side_ok or not 1 <= channels <= _MAX_IMAGE_CHANNELS:
        raise refusal(
            'metadata',
            f"metadata 'image_shape' {raw!r} is not a square image "
            f'with a power-of-two side in 16..{_MAX_IMAGE_SIDE} and '
            f'1..{_MAX_IMAGE_CHANNELS} channels',
        )
    return height, width, channels


def _model_field(key: str, kind: Any, value: Any) -> str | None:
    """Say what is wrong with ``model.<key> = value``, or None."""
    if kind is int:
        if type(value) is not int:  # bool is an int subclass: refused here on purpose
            return f'must be an integer, got {json.dumps(value)[:40]}'
        low = 3 if key == 'bins' else 1
        if not low <= value <= _ARCHITECTURE_LIMITS[key]:
            return f'= {value} is outside {low}..{_ARCHITECTURE_LIMITS[key]}'
    elif kind is float:
        if type(value) not in (int, float):
            return f'must be a number, got {json.dumps(value)[:40]}'
        low, high, low_ok = _FLOAT_LIMITS[key]
        if not (low <= value if low_ok else low < value) or not value <= high:
            return f'= {value} is outside {"[" if low_ok else "("}{low}, {high}]'
    elif kind is str:
        if value not in _STRING_CHOICES[key]:
            return f'must be one of {_STRING_CHOICES[key]}, got {json.dumps(value)[:40]}'
    return None


def _parse_model(raw: str) -> ModelConfig:
    """Read the architecture: a flat JSON object of exactly ModelConfig's typed fields."""
    values = _strict_json(
        raw.encode('utf-8', 'surrogatepass'),
        "metadata 'model'",
        'metadata',
        max_depth=1,
        floats=True,
    )
    if not isinstance(values, dict):
        raise refusal('metadata', "metadata 'model' is not a JSON object")
    kinds = typing.get_type_hints(ModelConfig)
    missing, extra = sorted(set(kinds) - set(values)), sorted(set(values) - set(kinds))
    if missing or extra:
        raise refusal(
            'metadata',
            f"metadata 'model' keys differ from ModelConfig: missing "
            f'{_names(missing) or "none"}, unexpected '
            f'{_names(extra) or "none"}',
        )
    for key, kind in kinds.items():
        problem = _model_field(key, kind, values[key])
        if problem is not None:
            raise refusal('metadata', f'model.{key} {problem}')
    model = ModelConfig(
        **{key: float(v) if kinds[key] is float else v for key, v in values.items()}
    )
    try:
        DreamerConfig(model=model).validate()
    except ValueError as error:
        raise refusal('metadata', f'model architecture in metadata is invalid: {error}') from None
    return model


def _parse_metadata(meta: Any, expected_version: int | None) -> PolicyMetadata:
    meta = _check_metadata_strings(meta)
    if meta['format'] != POLICY_FORMAT:
        raise refusal(
            'metadata', f'metadata format is {meta["format"]!r}, expected {POLICY_FORMAT!r}'
        )
    if meta['format_version'] != POLICY_FORMAT_VERSION:
        raise refusal(
            'metadata',
            f'format_version {meta["format_version"]!r} is not '
            f'supported (this agent reads {POLICY_FORMAT_VERSION!r})',
        )
    version = _canonical_int(meta, 'version', 0, _MAX_VERSION, reason='version')
    if expected_version is not None and version != expected_version:
        raise refusal(
            'version', f'bytes carry version {version}, the request says {expected_version}'
        )
    obs_dim = _canonical_int(meta, 'obs_dim', 1, _MAX_DIM)
    act_dim = _canonical_int(meta, 'act_dim', 1, _MAX_DIM)
    image_shape = _parse_image_shape(meta['image_shape'])
    model = _parse_model(meta['model'])
    keys = meta.get('observation_keys', '')
    if keys:
        _check_observation_keys(keys, obs_dim)
    return PolicyMetadata(version, obs_dim, act_dim, image_shape, model, meta['config_name'], keys)


def _check_observation_keys(keys: str, obs_dim: int) -> None:
    """``name:size,...`` with sizes that add up to ``obs_dim``."""
    total = 0
    for part in keys.split(','):
        name, _, size = part.partition(':')
        if not (name.isidentifier() and size.isdigit() and size == str(int(size))):
            raise refusal(
                'metadata', f"metadata 'observation_keys' {keys[:60]!r} is not name:size,..."
            )
        total += int(size)
    if total != obs_dim:
        raise refusal(
            'metadata',
            f"metadata 'observation_keys' describe {total} values, obs_dim is {obs_dim}",
        )


def _architecture_tensors(meta: PolicyMetadata, max_bytes: int) -> dict[str, tuple[int, ...]]:
    """Return the expected tensors if the net fits in ``max_bytes`` (built shape-only)."""
    try:
        expected = expected_tensors(meta)
    except Exception as error:  # noqa: BLE001 (any failure to build is this file's fault)
        raise refusal(
            'architecture',
            f'no policy net can be built from the metadata: '
            f'{type(error).__name__}: {str(error)[:120]}',
        ) from None
    params = sum(math.prod(shape) for shape in expected.values())
    if 4 * params > max_bytes:
        raise refusal(
            'architecture',
            f'the architecture has {params} parameters '
            f'({4 * params} bytes as float32), over the limit of '
            f'{max_bytes} bytes',
        )
    return expected


# ---------------------------------------------------------------------- validation


def _looks_like_pickle(data: bytes) -> str | None:
    if data[:4] == b'PK\x03\x04':
        return 'a zip archive (torch.save output holds a pickle)'
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        return f'a pickle stream (protocol {data[1]}, e.g. pickle.dumps or legacy torch.save)'
    return None


def validate_policy_bytes(
    data: bytes | bytearray | memoryview,
    sha256: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    expected_version: int | None = None,
) -> tuple[PolicyMetadata, dict[str, torch.Tensor]]:
    """Check untrusted policy bytes; return their metadata and tensors or raise.

    Order: size, pickle, header, truncation, sha256, metadata and version, architecture
    size, tensor names, dtypes, shapes, finite values. Each problem raises
    :class:`PolicyRejected` with its own ``reason`` and message; nothing else escapes.
    """
    data = _check_container(data, max_bytes)
    header, header_len = _read_header(data)
    entries = _tensor_entries(header, available=len(data) - 8 - header_len)
    _check_sha256(data, sha256)
    meta = _parse_metadata(header.get('__metadata__'), expected_version)
    _check_tensors(entries, _architecture_tensors(meta, max_bytes))
    return meta, _load_finite_tensors(data, entries)


_Entry = tuple[str, tuple[int, ...], int, int]  # dtype, shape, begin, end
_ENTRY_KEYS = frozenset({'dtype', 'shape', 'data_offsets'})
_MAX_TENSORS = 4096
_MAX_NAME_CHARS = 256
_MAX_RANK = 8


def _check_container(data: Any, max_bytes: int) -> bytes:
    """Bytes within the size limit that are not a pickle (checked before any parsing)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise refusal('format', f'expected bytes, got {type(data).__name__}')
    data = bytes(data)
    if len(data) > max_bytes:
        raise refusal('oversized', f'{len(data)} bytes is over the limit of {max_bytes} bytes')
    pickled = _looks_like_pickle(data)
    if pickled is not None:
        raise refusal('pickle', f'the data is {pickled}; pickles are never loaded')
    return data


def _read_header(data: bytes) -> tuple[dict[str, Any], int]:
    """Return the safetensors header (a JSON object) and its length in bytes."""
    if len(data) < 8:
        raise refusal(
            'truncated',
            f'only {len(data)} bytes, shorter than the 8-byte safetensors header length',
        )
    (header_len,) = struct.unpack('<Q', data[:8])
    if header_len > _MAX_HEADER_BYTES:
        raise refusal(
            'format', f'header length {header_len} is implausible; not a safetensors file'
        )
    if 8 + header_len > len(data):
        raise refusal(
            'truncated',
            f'the header needs {header_len} bytes but only '
            f'{len(data) - 8} follow the length field',
        )
    raw_header = data[8 : 8 + header_len]
    # safetensors requires the object to start the header and pads its end with spaces;
    # anything else around the object is a document the two parsers could read apart.
    if not raw_header.startswith(b'{') or not raw_header.rstrip(b' ').endswith(b'}'):
        raise refusal(
            'header_json',
            'the safetensors header must be one JSON object, '
            'followed by nothing but space padding',
        )
    header = _strict_json(
        raw_header, 'the safetensors header', 'header_json', max_depth=3, floats=False
    )
    if not isinstance(header, dict):
        raise refusal('format', 'the safetensors header is not a JSON object')
    return header, header_len


def _tensor_entries(header: dict[str, Any], available: int) -> dict[str, _Entry]:
    """Every tensor entry of the header, laid out back to back over ``available`` bytes."""
    if len(header) > _MAX_TENSORS:
        raise refusal(
            'header', f'the header lists {len(header)} entries, over the limit of {_MAX_TENSORS}'
        )
    entries = {
        name: _tensor_entry(name, entry)
        for name, entry in header.items()
        if name != '__metadata__'
    }
    position = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda item: item[1][2]):
        if begin != position:
            raise refusal(
                'header',
                f'tensor {name[:80]!r} does not start where the previous '
                'one ends (overlap or gap)',
            )
        position = end
    if position > available:
        raise refusal(
            'truncated',
            f'the header describes {position} bytes of tensor data '
            f'but only {available} are present',
        )
    if position < available:
        raise refusal('header', f'{available - position} unexpected bytes after the tensor data')
    return entries


def _is_count(value: Any) -> bool:
    return type(value) is int and 0 <= value <= 1 << 40


def _tensor_entry(name: str, entry: Any) -> _Entry:
    """One header entry: a known dtype, a shape and offsets that agree with each other."""
    if len(name) > _MAX_NAME_CHARS:
        raise refusal(
            'header', f'tensor name {name[:80]!r}... is longer than {_MAX_NAME_CHARS} characters'
        )
    well_formed = (
        isinstance(entry, dict)
        and set(entry) == _ENTRY_KEYS
        and isinstance(entry['dtype'], str)
        and isinstance(entry['shape'], list)
        and len(entry['shape']) <= _MAX_RANK
        and all(_is_count(d) for d in entry['shape'])
        and isinstance(entry['data_offsets'], list)
        and len(entry['data_offsets']) == 2
        and all(_is_count(d) for d in entry['data_offsets'])
        and entry['data_offsets'][0] <= entry['data_offsets'][1]
    )
    if not well_formed:
        raise refusal('header', f'tensor entry {name[:80]!r} is malformed')
    dtype, shape, (begin, end) = entry['dtype'], entry['shape'], entry['data_offsets']
    if dtype not in _DTYPE_SIZES:
        raise refusal('header', f'tensor {name[:80]!r} has unknown dtype {dtype[:20]!r}')
    if math.prod(shape) * _DTYPE_SIZES[dtype] != end - begin:
        raise refusal(
            'header',
            f'tensor {name[:80]!r}: shape {shape} and dtype {dtype} '
            f'do not match its {end - begin} bytes',
        )
    return dtype, tuple(shape), begin, end


def _check_sha256(data: bytes, sha256: Any) -> None:
    if not isinstance(sha256, str) or len(sha256.strip()) != 64:
        raise refusal('sha256', 'the expected sha256 must be 64 hex digits')
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256.strip().lower():
        raise refusal(
            'sha256',
            f'sha256 mismatch: the data hashes to {actual}, expected '
            f'{sha256.strip().lower()[:64]}',
        )


def _check_tensors(entries: dict[str, _Entry], expected: dict[str, tuple[int, ...]]) -> None:
    """Require the tensors this architecture has, all float32, each of its shape."""
    missing = sorted(set(expected) - set(entries))
    extra = sorted(set(entries) - set(expected))
    if missing and extra:
        raise refusal(
            'tensor_name',
            f'wrong tensor names: unexpected {_names(extra)}, missing {_names(missing)}',
        )
    if missing:
        raise refusal('missing_tensor', f'missing tensors {_names(missing)}')
    if extra:
        raise refusal('extra_tensor', f'unexpected extra tensors {_names(extra)}')
    for name, (dtype, _, _, _) in entries.items():
        if dtype != 'F32':
            raise refusal('dtype', f'tensor {name!r} has dtype {dtype}, expected F32')
    for name, (_, shape, _, _) in entries.items():
        if shape != expected[name]:
            raise refusal(
                'shape',
                f'tensor {name!r} has shape {list(shape)}, expected {list(expected[name])}',
            )


def _load_finite_tensors(data: bytes, entries: dict[str, _Entry]) -> dict[str, torch.Tensor]:
    """Load with safetensors; it must read what was checked, and every value is finite."""
    try:
        tensors = safetensors.torch.load(data)
    except Exception as error:  # noqa: BLE001 (SafetensorError and whatever else it raises)
        raise refusal(
            'load',
            f'the safetensors loader refused the checked bytes: '
            f'{type(error).__name__}: {str(error)[:120]}',
        ) from None
    loaded = {name: tuple(t.shape) for name, t in tensors.items()}
    if loaded != {name: shape for name, (_, shape, _, _) in entries.items()}:
        raise refusal(
            'load', 'the safetensors loader read other tensors than the header check did'
        )
    for name, tensor in tensors.items():
        if not bool(torch.isfinite(tensor).all()):
            raise refusal('nonfinite', f'tensor {name!r} holds NaN or Inf values')
    return tensors


def _names(names: list[str]) -> str:
    shown = ', '.join(repr(n[:80]) for n in names[:5])
    return shown + (f' and {len(names) - 5} more' if len(names) > 5 else '')
