# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The acting side: a small policy (encoder, RSSM filter, actor) and its weight format.

Weights travel as safetensors bytes whose metadata (strings) carries the format, the
policy version and the architecture, so an agent can build the policy from the bytes
alone. Bytes from the network are untrusted: :func:`validate_policy_bytes` checks them
completely (size, not a pickle, header, sha256, metadata, architecture size, tensor names,
dtypes, shapes, finite values) before anything is built, and refuses with
:class:`PolicyRejected` whose ``reason`` is one of :data:`REFUSAL_REASONS` and whose
message names the problem; no other exception leaves it. The header is accepted only in
a subset of JSON that Python's parser and the safetensors loader read alike, and every
metadata field, the architecture included, is typed and bounded before it is used.
Nothing on this path unpickles.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
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
from torch import nn

from .behavior import Actor
from .config import DreamerConfig, ModelConfig
from .nets import Encoder
from .rssm import RSSM
from .world_model import features

POLICY_FORMAT = 'dreamstride-policy'
POLICY_FORMAT_VERSION = '1'
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
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


class PolicyRejected(ValueError):  # noqa: N818 (the name the agent node catches)
    """Policy bytes refused; ``reason`` is a short code, the message says what is wrong."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# Every PolicyRejected.reason: this module's checks in the order they run, then those of
# PolicySlot.offer ('dimensions', and 'internal' for any exception a check let escape).
# 'load' and 'build' mean an earlier check let something through; the fuzz tests treat
# them, like 'internal', as bugs.
REFUSAL_REASONS = frozenset(
    {
        'format',
        'oversized',
        'pickle',
        'truncated',
        'header_json',
        'header',
        'sha256',
        'metadata',
        'version',
        'architecture',
        'tensor_name',
        'missing_tensor',
        'extra_tensor',
        'dtype',
        'shape',
        'load',
        'nonfinite',
        'build',
        'dimensions',
        'internal',
    }
)


@dataclass(frozen=True)
class PolicyMetadata:
    """What the policy bytes say about themselves."""

    version: int
    obs_dim: int
    act_dim: int
    image_shape: tuple[int, int, int] | None
    model: ModelConfig
    config_name: str = ''
    # The observation's layout as Step.observation_keys names it ("joint_position:12,
    # gravity:3,..."), so a loader can build the observation the policy was trained on;
    # empty in files written before it was recorded (optional in the format).
    observation_keys: str = ''

    def to_strings(self) -> dict[str, str]:
        """Safetensors metadata (string to string)."""
        optional = {'observation_keys': self.observation_keys} if self.observation_keys else {}
        return {
            **optional,
            'format': POLICY_FORMAT,
            'format_version': POLICY_FORMAT_VERSION,
            'version': str(int(self.version)),
            'obs_dim': str(self.obs_dim),
            'act_dim': str(self.act_dim),
            'image_shape': ','.join(map(str, self.image_shape)) if self.image_shape else '',
            'model': json.dumps(dataclasses.asdict(self.model), sort_keys=True),
            'config_name': self.config_name,
        }


@dataclass
class PolicyState:
    """Recurrent state carried between steps: latent state and the previous action."""

    deter: torch.Tensor  # (1, deter)
    stoch: torch.Tensor  # (1, stoch * classes)
    action: torch.Tensor  # (1, act_dim), the action chosen at the previous step


class PolicyNet(nn.Module):
    """Only what acting needs: the encoder, the RSSM's filtering step and the actor."""

    def __init__(self, encoder: Encoder, rssm: RSSM, actor: Actor) -> None:
        super().__init__()
        self.encoder, self.rssm, self.actor = encoder, rssm, actor

    @classmethod
    def build(cls, meta: PolicyMetadata) -> PolicyNet:
        """Construct (randomly initialised) modules for the given architecture."""
        m = meta.model
        config = DreamerConfig(model=m)
        encoder = Encoder(meta.obs_dim, meta.image_shape, m.units, m.layers, m.cnn_depth, m.norm)
        rssm = RSSM(m, encoder.out_dim, meta.act_dim, with_prior=False)
        actor = Actor(config, rssm.feat_dim, meta.act_dim)
        return cls(encoder, rssm, actor)

    def exported_state(self) -> dict[str, torch.Tensor]:
        """Tensors of the policy bytes (the prior head of a training RSSM is left out)."""
        return {
            name: tensor.detach().to('cpu', torch.float32).contiguous().clone()
            for name, tensor in self.state_dict().items()
            if not name.startswith('rssm.prior.')
        }


def expected_tensors(meta: PolicyMetadata) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the tensors a policy of this architecture has (no allocation)."""
    with torch.device('meta'):
        net = PolicyNet.build(meta)
    return {name: tuple(t.shape) for name, t in net.state_dict().items()}


class Policy:
    """Batch-1 policy for the actor side: ``step(obs, state, is_first) -> (action, state)``.

    ``sample=True`` draws latents and actions (exploration while collecting data);
    ``sample=False`` takes their modes (evaluation). Actions are in [-1, 1].
    """

    def __init__(
        self,
        net: PolicyNet,
        metadata: PolicyMetadata,
        seed: int | None = None,
        device: torch.device | str = 'cpu',
    ) -> None:
        self.net = net
        self.metadata = metadata
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device)
        if seed is not None:
            self.generator.manual_seed(seed)
        else:
            self.generator.seed()

    def initial_state(self) -> PolicyState:
        """State before the first step of an episode."""
        rssm = self.net.rssm
        with torch.inference_mode():
            deter, stoch = rssm.initial(1, self.device)
            action = torch.zeros(1, self.metadata.act_dim, device=self.device)
        return PolicyState(deter, stoch, action)

    def accepts_state(self, state: PolicyState | None) -> bool:
        """Whether ``state`` (from another policy) has this policy's latent sizes.

        A new version of the same architecture goes on filtering from the latent state
        the previous one reached, as DreamerV3's actor keeps its carry across parameter
        updates: restarting it would make the state jump without an episode start.
        """
        if state is None:
            return False
        fresh = self.initial_state()
        return all(
            getattr(state, name).shape == getattr(fresh, name).shape
            for name in ('deter', 'stoch', 'action')
        )

    def step(
        self,
        obs: np.ndarray,
        state: PolicyState | None,
        is_first: bool,
        *,
        image: np.ndarray | None = None,
        sample: bool = True,
    ) -> tuple[np.ndarray, PolicyState]:
        """Choose the action for observation ``obs`` (obs_dim,) float.

        On ``is_first`` (or with no state) the recurrent state restarts from
        :meth:`initial_state`. Returns the action (act_dim,) float32 and the new state.
        """
        obs = np.asarray(obs, dtype=np.float32)
        if obs.shape != (self.metadata.obs_dim,):
            raise ValueError(f'observation shape {obs.shape}, expected ({self.metadata.obs_dim},)')
        if is_first or state is None:
            state = self.initial_state()
        with torch.inference_mode():
            obs_t = torch.from_numpy(obs).to(self.device).unsqueeze(0)
            image_t = None
            if self.metadata.image_shape is not None:
                if image is None:
                    raise ValueError('this policy reads an image; pass image=')
                image_t = torch.as_tensor(
                    np.asarray(image, dtype=np.uint8), device=self.device
                ).unsqueeze(0)
            embed = self.net.encoder(obs_t, image_t)
            deter, stoch = self.net.rssm.obs_step(
                state.deter, state.stoch, state.action, embed, self.generator, sample
            )
            mean, std = self.net.actor(features(deter, stoch))
            action = Actor.sample(mean, std, self.generator) if sample else mean
            action = action.clamp(-1.0, 1.0)
            result = action[0].to('cpu').numpy().copy()
        return result, PolicyState(deter, stoch, action)

    def to_bytes(self) -> tuple[bytes, str]:
        """Serialise to safetensors bytes; returns (bytes, sha256 hex)."""
        data = safetensors.torch.save(self.net.exported_state(), self.metadata.to_strings())
        return data, hashlib.sha256(data).hexdigest()

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        sha256: str,
        max_bytes: int = DEFAULT_MAX_BYTES,
        expected_version: int | None = None,
        seed: int | None = None,
        device: torch.device | str = 'cpu',
    ) -> Policy:
        """Validate untrusted bytes completely, then build a new policy from them.

        Raises :class:`PolicyRejected`; a running policy is never touched.
        """
        meta, tensors = validate_policy_bytes(data, sha256, max_bytes, expected_version)
        try:
            # Shape-only modules take the validated tensors as they are: a random
            # initialisation, overwritten at once, was 90 % of the cost of a swap.
            with torch.device('meta'):
                net = PolicyNet.build(meta)
            net.load_state_dict(tensors, strict=True, assign=True)
            left = [
                name for name, t in [*net.named_parameters(), *net.named_buffers()] if t.is_meta
            ]
            if left:
                raise ValueError(f'tensors not in the file: {left[:3]}')
            net.to(device).eval()
        except Exception as error:  # noqa: BLE001 (validation built this shape-only already)
            raise _reject(
                'build',
                f'building the validated policy failed: '
                f'{type(error).__name__}: {str(error)[:120]}',
            ) from None
        return cls(net, meta, seed=seed, device=device)


def _reject(reason: str, message: str) -> PolicyRejected:
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
    raise _reject(reason, f'{what} is not accepted JSON: {problem}')


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
        raise _reject(reason, f'metadata {key!r} is not a canonical decimal integer: {raw[:40]!r}')
    value = int(raw)
    if not low <= value <= high:
        raise _reject(reason, f'metadata {key!r} = {value} is outside {low}..{high}')
    return value


def _check_metadata_strings(meta: Any) -> dict[str, str]:
    """Exactly the keys this format writes, each a string of bounded length."""
    if not isinstance(meta, dict):
        raise _reject('metadata', 'safetensors __metadata__ is missing or not an object')
    allowed = _METADATA_KEYS | _OPTIONAL_METADATA_KEYS
    missing, extra = sorted(_METADATA_KEYS - set(meta)), sorted(set(meta) - allowed)
    if missing or extra:
        raise _reject(
            'metadata',
            f'metadata keys differ from the format: missing '
            f'{_names(missing) or "none"}, unexpected '
            f'{_names(extra) or "none"}',
        )
    for key, value in meta.items():
        if not isinstance(value, str):
            raise _reject(
                'metadata',
                f'metadata {key!r} is {_json_kind(value)}, expected '
                'a string (not string to string)',
            )
        limit = _MAX_METADATA_CHARS.get(key, 40)
        if len(value) > limit:
            raise _reject(
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
        raise _reject(
            'metadata',
            f"metadata 'image_shape' {raw[:40]!r} is not H,W,C (canonical decimal integers)",
        )
    height, width, channels = (int(p) for p in parts)
    side_ok = height == width and 16 <= height <= _MAX_IMAGE_SIDE and height & (height - 1) == 0
    if not side_ok or not 1 <= channels <= _MAX_IMAGE_CHANNELS:
        raise _reject(
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
        raise _reject('metadata', "metadata 'model' is not a JSON object")
    kinds = typing.get_type_hints(ModelConfig)
    missing, extra = sorted(set(kinds) - set(values)), sorted(set(values) - set(kinds))
    if missing or extra:
        raise _reject(
            'metadata',
            f"metadata 'model' keys differ from ModelConfig: missing "
            f'{_names(missing) or "none"}, unexpected '
            f'{_names(extra) or "none"}',
        )
    for key, kind in kinds.items():
        problem = _model_field(key, kind, values[key])
        if problem is not None:
            raise _reject('metadata', f'model.{key} {problem}')
    model = ModelConfig(
        **{key: float(v) if kinds[key] is float else v for key, v in values.items()}
    )
    try:
        DreamerConfig(model=model).validate()
    except ValueError as error:
        raise _reject('metadata', f'model architecture in metadata is invalid: {error}') from None
    return model


def _parse_metadata(meta: Any, expected_version: int | None) -> PolicyMetadata:
    meta = _check_metadata_strings(meta)
    if meta['format'] != POLICY_FORMAT:
        raise _reject(
            'metadata', f'metadata format is {meta["format"]!r}, expected {POLICY_FORMAT!r}'
        )
    if meta['format_version'] != POLICY_FORMAT_VERSION:
        raise _reject(
            'metadata',
            f'format_version {meta["format_version"]!r} is not '
            f'supported (this agent reads {POLICY_FORMAT_VERSION!r})',
        )
    version = _canonical_int(meta, 'version', 0, _MAX_VERSION, reason='version')
    if expected_version is not None and version != expected_version:
        raise _reject(
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
            raise _reject(
                'metadata', f"metadata 'observation_keys' {keys[:60]!r} is not name:size,..."
            )
        total += int(size)
    if total != obs_dim:
        raise _reject(
            'metadata',
            f"metadata 'observation_keys' describe {total} values, obs_dim is {obs_dim}",
        )


def _architecture_tensors(meta: PolicyMetadata, max_bytes: int) -> dict[str, tuple[int, ...]]:
    """Return the expected tensors if the net fits in ``max_bytes`` (built shape-only)."""
    try:
        expected = expected_tensors(meta)
    except Exception as error:  # noqa: BLE001 (any failure to build is this file's fault)
        raise _reject(
            'architecture',
            f'no policy net can be built from the metadata: '
            f'{type(error).__name__}: {str(error)[:120]}',
        ) from None
    params = sum(math.prod(shape) for shape in expected.values())
    if 4 * params > max_bytes:
        raise _reject(
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
        raise _reject('format', f'expected bytes, got {type(data).__name__}')
    data = bytes(data)
    if len(data) > max_bytes:
        raise _reject('oversized', f'{len(data)} bytes is over the limit of {max_bytes} bytes')
    pickled = _looks_like_pickle(data)
    if pickled is not None:
        raise _reject('pickle', f'the data is {pickled}; pickles are never loaded')
    return data


def _read_header(data: bytes) -> tuple[dict[str, Any], int]:
    """Return the safetensors header (a JSON object) and its length in bytes."""
    if len(data) < 8:
        raise _reject(
            'truncated',
            f'only {len(data)} bytes, shorter than the 8-byte safetensors header length',
        )
    (header_len,) = struct.unpack('<Q', data[:8])
    if header_len > _MAX_HEADER_BYTES:
        raise _reject(
            'format', f'header length {header_len} is implausible; not a safetensors file'
        )
    if 8 + header_len > len(data):
        raise _reject(
            'truncated',
            f'the header needs {header_len} bytes but only '
            f'{len(data) - 8} follow the length field',
        )
    raw_header = data[8 : 8 + header_len]
    # safetensors requires the object to start the header and pads its end with spaces;
    # anything else around the object is a document the two parsers could read apart.
    if not raw_header.startswith(b'{') or not raw_header.rstrip(b' ').endswith(b'}'):
        raise _reject(
            'header_json',
            'the safetensors header must be one JSON object, '
            'followed by nothing but space padding',
        )
    header = _strict_json(
        raw_header, 'the safetensors header', 'header_json', max_depth=3, floats=False
    )
    if not isinstance(header, dict):
        raise _reject('format', 'the safetensors header is not a JSON object')
    return header, header_len


def _tensor_entries(header: dict[str, Any], available: int) -> dict[str, _Entry]:
    """Every tensor entry of the header, laid out back to back over ``available`` bytes."""
    if len(header) > _MAX_TENSORS:
        raise _reject(
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
            raise _reject(
                'header',
                f'tensor {name[:80]!r} does not start where the previous '
                'one ends (overlap or gap)',
            )
        position = end
    if position > available:
        raise _reject(
            'truncated',
            f'the header describes {position} bytes of tensor data '
            f'but only {available} are present',
        )
    if position < available:
        raise _reject('header', f'{available - position} unexpected bytes after the tensor data')
    return entries


def _is_count(value: Any) -> bool:
    return type(value) is int and 0 <= value <= 1 << 40


def _tensor_entry(name: str, entry: Any) -> _Entry:
    """One header entry: a known dtype, a shape and offsets that agree with each other."""
    if len(name) > _MAX_NAME_CHARS:
        raise _reject(
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
        raise _reject('header', f'tensor entry {name[:80]!r} is malformed')
    dtype, shape, (begin, end) = entry['dtype'], entry['shape'], entry['data_offsets']
    if dtype not in _DTYPE_SIZES:
        raise _reject('header', f'tensor {name[:80]!r} has unknown dtype {dtype[:20]!r}')
    if math.prod(shape) * _DTYPE_SIZES[dtype] != end - begin:
        raise _reject(
            'header',
            f'tensor {name[:80]!r}: shape {shape} and dtype {dtype} '
            f'do not match its {end - begin} bytes',
        )
    return dtype, tuple(shape), begin, end


def _check_sha256(data: bytes, sha256: Any) -> None:
    if not isinstance(sha256, str) or len(sha256.strip()) != 64:
        raise _reject('sha256', 'the expected sha256 must be 64 hex digits')
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256.strip().lower():
        raise _reject(
            'sha256',
            f'sha256 mismatch: the data hashes to {actual}, expected '
            f'{sha256.strip().lower()[:64]}',
        )


def _check_tensors(entries: dict[str, _Entry], expected: dict[str, tuple[int, ...]]) -> None:
    """Require the tensors this architecture has, all float32, each of its shape."""
    missing = sorted(set(expected) - set(entries))
    extra = sorted(set(entries) - set(expected))
    if missing and extra:
        raise _reject(
            'tensor_name',
            f'wrong tensor names: unexpected {_names(extra)}, missing {_names(missing)}',
        )
    if missing:
        raise _reject('missing_tensor', f'missing tensors {_names(missing)}')
    if extra:
        raise _reject('extra_tensor', f'unexpected extra tensors {_names(extra)}')
    for name, (dtype, _, _, _) in entries.items():
        if dtype != 'F32':
            raise _reject('dtype', f'tensor {name!r} has dtype {dtype}, expected F32')
    for name, (_, shape, _, _) in entries.items():
        if shape != expected[name]:
            raise _reject(
                'shape',
                f'tensor {name!r} has shape {list(shape)}, expected {list(expected[name])}',
            )


def _load_finite_tensors(data: bytes, entries: dict[str, _Entry]) -> dict[str, torch.Tensor]:
    """Load with safetensors; it must read what was checked, and every value is finite."""
    try:
        tensors = safetensors.torch.load(data)
    except Exception as error:  # noqa: BLE001 (SafetensorError and whatever else it raises)
        raise _reject(
            'load',
            f'the safetensors loader refused the checked bytes: '
            f'{type(error).__name__}: {str(error)[:120]}',
        ) from None
    loaded = {name: tuple(t.shape) for name, t in tensors.items()}
    if loaded != {name: shape for name, (_, shape, _, _) in entries.items()}:
        raise _reject(
            'load', 'the safetensors loader read other tensors than the header check did'
        )
    for name, tensor in tensors.items():
        if not bool(torch.isfinite(tensor).all()):
            raise _reject('nonfinite', f'tensor {name!r} holds NaN or Inf values')
    return tensors


def _names(names: list[str]) -> str:
    shown = ', '.join(repr(n[:80]) for n in names[:5])
    return shown + (f' and {len(names) - 5} more' if len(names) > 5 else '')
