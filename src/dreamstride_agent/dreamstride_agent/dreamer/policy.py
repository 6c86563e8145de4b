"""The acting side: a small policy (encoder, RSSM filter, actor) and its weight format.

Weights travel as safetensors bytes whose metadata (strings) carries the format, the
policy version and the architecture, so an agent can build the policy from the bytes
alone. Bytes from the network are untrusted: :func:`validate_policy_bytes` checks them
completely (size, not a pickle, header, sha256, metadata, tensor names, dtypes, shapes,
finite values) before anything is built, and refuses with :class:`PolicyRejected` whose
message names the problem. Nothing on this path unpickles.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
import hashlib
import json
import math
import struct
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
_ARCHITECTURE_LIMITS = {'deter': 16384, 'hidden': 16384, 'units': 16384, 'stoch': 1024,
                        'classes': 1024, 'layers': 16, 'head_layers': 16, 'cnn_depth': 1024,
                        'bins': 10_001}
# Bytes per element of every dtype the safetensors format defines.
_DTYPE_SIZES = {
    'BOOL': 1, 'U8': 1, 'I8': 1, 'F8_E5M2': 1, 'F8_E4M3': 1, 'I16': 2, 'U16': 2, 'F16': 2,
    'BF16': 2, 'I32': 4, 'U32': 4, 'F32': 4, 'I64': 8, 'U64': 8, 'F64': 8,
}


class PolicyRejected(ValueError):  # noqa: N818 (the name the agent node catches)
    """Policy bytes refused; ``reason`` is a short code, the message says what is wrong."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PolicyMetadata:
    """What the policy bytes say about themselves."""

    version: int
    obs_dim: int
    act_dim: int
    image_shape: tuple[int, int, int] | None
    model: ModelConfig
    config_name: str = ''

    def to_strings(self) -> dict[str, str]:
        """Safetensors metadata (string to string)."""
        return {
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
        encoder = Encoder(meta.obs_dim, meta.image_shape, m.units, m.layers, m.cnn_depth,
                          m.norm)
        rssm = RSSM(m, encoder.out_dim, meta.act_dim, with_prior=False)
        actor = Actor(config, rssm.feat_dim, meta.act_dim)
        return cls(encoder, rssm, actor)

    def exported_state(self) -> dict[str, torch.Tensor]:
        """Tensors of the policy bytes (the prior head of a training RSSM is left out)."""
        return {name: tensor.detach().to('cpu', torch.float32).contiguous().clone()
                for name, tensor in self.state_dict().items()
                if not name.startswith('rssm.prior.')}


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

    def __init__(self, net: PolicyNet, metadata: PolicyMetadata, seed: int | None = None,
                 device: torch.device | str = 'cpu') -> None:
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

    def step(self, obs: np.ndarray, state: PolicyState | None, is_first: bool, *,
             image: np.ndarray | None = None,
             sample: bool = True) -> tuple[np.ndarray, PolicyState]:
        """Choose the action for observation ``obs`` (obs_dim,) float.

        On ``is_first`` (or with no state) the recurrent state restarts from
        :meth:`initial_state`. Returns the action (act_dim,) float32 and the new state.
        """
        obs = np.asarray(obs, dtype=np.float32)
        if obs.shape != (self.metadata.obs_dim,):
            raise ValueError(f'observation shape {obs.shape}, expected '
                             f'({self.metadata.obs_dim},)')
        if is_first or state is None:
            state = self.initial_state()
        with torch.inference_mode():
            obs_t = torch.from_numpy(obs).to(self.device).unsqueeze(0)
            image_t = None
            if self.metadata.image_shape is not None:
                if image is None:
                    raise ValueError('this policy reads an image; pass image=')
                image_t = torch.as_tensor(np.asarray(image, dtype=np.uint8),
                                          device=self.device).unsqueeze(0)
            embed = self.net.encoder(obs_t, image_t)
            deter, stoch = self.net.rssm.obs_step(state.deter, state.stoch, state.action,
                                                  embed, self.generator, sample)
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
    def from_bytes(cls, data: bytes, sha256: str, max_bytes: int = DEFAULT_MAX_BYTES,
                   expected_version: int | None = None, seed: int | None = None,
                   device: torch.device | str = 'cpu') -> Policy:
        """Validate untrusted bytes completely, then build a new policy from them.

        Raises :class:`PolicyRejected`; a running policy is never touched.
        """
        meta, tensors = validate_policy_bytes(data, sha256, max_bytes, expected_version)
        net = PolicyNet.build(meta)
        net.load_state_dict(tensors, strict=True)
        net.to(device).eval()
        return cls(net, meta, seed=seed, device=device)


def _reject(reason: str, message: str) -> PolicyRejected:
    return PolicyRejected(reason, f'policy refused ({reason}): {message}')


def _parse_int(meta: dict[str, str], key: str, low: int, high: int) -> int:
    raw = meta.get(key)
    if raw is None:
        raise _reject('metadata', f'metadata has no {key!r}')
    try:
        value = int(raw, 10)
    except ValueError:
        raise _reject('metadata', f'metadata {key!r} is not an integer: {raw[:40]!r}') from None
    if not low <= value <= high:
        raise _reject('metadata', f'metadata {key!r} = {value} is outside {low}..{high}')
    return value


def _parse_metadata(meta: Any, expected_version: int | None) -> PolicyMetadata:
    if not isinstance(meta, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise _reject('metadata', 'safetensors __metadata__ is missing or not string to string')
    if meta.get('format') != POLICY_FORMAT:
        raise _reject('metadata', f'metadata format is {meta.get("format")!r}, expected '
                                  f'{POLICY_FORMAT!r}')
    if meta.get('format_version') != POLICY_FORMAT_VERSION:
        raise _reject('metadata', f'format_version {meta.get("format_version")!r} is not '
                                  f'supported (this agent reads {POLICY_FORMAT_VERSION!r})')
    raw_version = meta.get('version', '')
    if not raw_version.isdigit() or len(raw_version) > 20:
        raise _reject('version', f'version {raw_version[:40]!r} is not a non-negative integer')
    version = int(raw_version)
    if expected_version is not None and version != expected_version:
        raise _reject('version', f'bytes carry version {version}, the request says '
                                 f'{expected_version}')
    obs_dim = _parse_int(meta, 'obs_dim', 1, _MAX_DIM)
    act_dim = _parse_int(meta, 'act_dim', 1, _MAX_DIM)
    image_shape: tuple[int, int, int] | None = None
    if meta.get('image_shape'):
        try:
            dims = tuple(int(x) for x in meta['image_shape'].split(','))
        except ValueError:
            raise _reject('metadata', f'image_shape {meta["image_shape"][:40]!r} is not '
                                      'H,W,C') from None
        if len(dims) != 3 or not all(0 < d <= 1024 for d in dims):
            raise _reject('metadata', f'image_shape {dims} is not H,W,C within 1..1024')
        image_shape = (dims[0], dims[1], dims[2])
    try:
        model_dict = json.loads(meta.get('model', ''))
        model = DreamerConfig.from_dict({'model': model_dict}).model
    except (ValueError, TypeError) as error:
        raise _reject('metadata', f'model architecture in metadata is invalid: {error}') from None
    # Bound the architecture before building even a shape-only copy of it, so that a
    # header cannot make the agent construct millions of layers.
    for key, value in _ARCHITECTURE_LIMITS.items():
        if getattr(model, key) > value:
            raise _reject('metadata', f'model.{key} = {getattr(model, key)} is over the '
                                      f'policy limit of {value}')
    return PolicyMetadata(version, obs_dim, act_dim, image_shape, model,
                          meta.get('config_name', ''))


def _looks_like_pickle(data: bytes) -> str | None:
    if data[:4] == b'PK\x03\x04':
        return 'a zip archive (torch.save output holds a pickle)'
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        return f'a pickle stream (protocol {data[1]}, e.g. pickle.dumps or legacy torch.save)'
    return None


def validate_policy_bytes(data: bytes | bytearray | memoryview, sha256: str,
                          max_bytes: int = DEFAULT_MAX_BYTES,
                          expected_version: int | None = None
                          ) -> tuple[PolicyMetadata, dict[str, torch.Tensor]]:
    """Check untrusted policy bytes; return their metadata and tensors or raise.

    Order: size, pickle, header, truncation, sha256, metadata and version, tensor names,
    dtypes, shapes, finite values. Each problem raises :class:`PolicyRejected` with its
    own ``reason`` and message.
    """
    data = _check_container(data, max_bytes)
    header, header_len = _read_header(data)
    entries = _tensor_entries(header, available=len(data) - 8 - header_len)
    _check_sha256(data, sha256)
    meta = _parse_metadata(header.get('__metadata__'), expected_version)
    _check_tensors(entries, expected_tensors(meta))
    return meta, _load_finite_tensors(data)


_Entry = tuple[str, tuple[int, ...], int, int]  # dtype, shape, begin, end


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
        raise _reject('truncated', f'only {len(data)} bytes, shorter than the 8-byte '
                                   'safetensors header length')
    (header_len,) = struct.unpack('<Q', data[:8])
    if header_len > _MAX_HEADER_BYTES:
        raise _reject('format', f'header length {header_len} is implausible; not a '
                                'safetensors file')
    if 8 + header_len > len(data):
        raise _reject('truncated', f'the header needs {header_len} bytes but only '
                                   f'{len(data) - 8} follow the length field')
    raw_header = data[8:8 + header_len]
    try:
        header = json.loads(raw_header.decode('utf-8'))
    except UnicodeDecodeError:
        raise _reject('format', 'the safetensors header is not UTF-8 text') from None
    except json.JSONDecodeError as error:
        raise _reject('format', f'the safetensors header is not JSON ({error.msg})') from None
    if not isinstance(header, dict):
        raise _reject('format', 'the safetensors header is not a JSON object')
    return header, header_len


def _tensor_entries(header: dict[str, Any], available: int) -> dict[str, _Entry]:
    """Every tensor entry of the header, laid out back to back over ``available`` bytes."""
    entries = {name: _tensor_entry(name, entry) for name, entry in header.items()
               if name != '__metadata__'}
    position = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda item: item[1][2]):
        if begin != position:
            raise _reject('header', f'tensor {name[:80]!r} does not start where the previous '
                                    'one ends (overlap or gap)')
        position = end
    if position > available:
        raise _reject('truncated', f'the header describes {position} bytes of tensor data '
                                   f'but only {available} are present')
    if position < available:
        raise _reject('header', f'{available - position} unexpected bytes after the tensor '
                                'data')
    return entries


def _tensor_entry(name: str, entry: Any) -> _Entry:
    """One header entry: a known dtype, a shape and offsets that agree with each other."""
    try:
        dtype, shape, (begin, end) = entry['dtype'], entry['shape'], entry['data_offsets']
        if not (isinstance(dtype, str) and isinstance(shape, list)
                and all(isinstance(d, int) and 0 <= d <= 1 << 40 for d in shape)
                and isinstance(begin, int) and isinstance(end, int)
                and 0 <= begin <= end):
            raise TypeError
    except (KeyError, TypeError, ValueError):
        raise _reject('header', f'tensor entry {name[:80]!r} is malformed') from None
    if dtype not in _DTYPE_SIZES:
        raise _reject('header', f'tensor {name[:80]!r} has unknown dtype {dtype[:20]!r}')
    if math.prod(shape) * _DTYPE_SIZES[dtype] != end - begin:
        raise _reject('header', f'tensor {name[:80]!r}: shape {shape} and dtype {dtype} '
                                f'do not match its {end - begin} bytes')
    return dtype, tuple(shape), begin, end


def _check_sha256(data: bytes, sha256: Any) -> None:
    if not isinstance(sha256, str) or len(sha256.strip()) != 64:
        raise _reject('sha256', 'the expected sha256 must be 64 hex digits')
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256.strip().lower():
        raise _reject('sha256', f'sha256 mismatch: the data hashes to {actual}, expected '
                                f'{sha256.strip().lower()}')


def _check_tensors(entries: dict[str, _Entry], expected: dict[str, tuple[int, ...]]) -> None:
    """Require the tensors this architecture has, all float32, each of its shape."""
    missing = sorted(set(expected) - set(entries))
    extra = sorted(set(entries) - set(expected))
    if missing and extra:
        raise _reject('tensor_name', f'wrong tensor names: unexpected {_names(extra)}, '
                                     f'missing {_names(missing)}')
    if missing:
        raise _reject('missing_tensor', f'missing tensors {_names(missing)}')
    if extra:
        raise _reject('extra_tensor', f'unexpected extra tensors {_names(extra)}')
    for name, (dtype, _, _, _) in entries.items():
        if dtype != 'F32':
            raise _reject('dtype', f'tensor {name!r} has dtype {dtype}, expected F32')
    for name, (_, shape, _, _) in entries.items():
        if shape != expected[name]:
            raise _reject('shape', f'tensor {name!r} has shape {list(shape)}, expected '
                                   f'{list(expected[name])}')


def _load_finite_tensors(data: bytes) -> dict[str, torch.Tensor]:
    tensors = safetensors.torch.load(data)
    for name, tensor in tensors.items():
        if not bool(torch.isfinite(tensor).all()):
            raise _reject('nonfinite', f'tensor {name!r} holds NaN or Inf values')
    return tensors


def _names(names: list[str]) -> str:
    shown = ', '.join(repr(n[:80]) for n in names[:5])
    return shown + (f' and {len(names) - 5} more' if len(names) > 5 else '')
