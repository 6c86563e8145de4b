# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The agent's active policy, the one waiting to replace it, and the one before it.

Offers come from the load_policy service thread; swap() and drop_active() run in the
control tick. A lock guards the hand-over only: validation happens outside it, so a
tick never waits for a policy to be checked. Offers may be validated concurrently: the
version is checked again under the lock at the hand-over, so one that finishes after a
newer one was accepted is refused, and a swap never goes back a version.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from dreamstride_agent.dreamer.policy import Policy
from dreamstride_agent.dreamer.policy_format import PolicyRejected


class PolicySlot:
    """Hold validated policies and swap them in between control ticks."""

    def __init__(self, obs_dim: int, act_dim: int, max_bytes: int) -> None:
        self.obs_dim = obs_dim
        self.act_dim = act_dim
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._pending: tuple[Any, int, str] | None = None
        self.active: Any = None
        self.active_version = 0
        self.active_sha256 = ''
        self._activated_at = time.monotonic()
        self._previous: tuple[Any, int, str] | None = None
        self.refused = 0
        self.last_refusal = ''

    def offer(self, fmt: str, version: int, sha256: str, data: bytes) -> tuple[bool, str]:
        """Validate a policy; on success it becomes active at the next swap().

        Never raises: whatever the request holds, it is accepted or refused.
        """
        try:
            policy = self._validate(fmt, version, sha256, data)
        except PolicyRejected as exc:
            return self._refuse(version, str(exc))
        except Exception as exc:  # noqa: BLE001 (last line of defence for the service thread)
            # A validator bug must cost one refused request, never the agent.
            return self._refuse(
                version,
                str(
                    _refusal(
                        'internal',
                        f'unexpected {type(exc).__name__} while validating: {_short(exc)}',
                    )
                ),
            )
        with self._lock:
            # Checked again: a newer offer may have been accepted while this one validated.
            newest = self._newest()
            if version > newest:
                self._pending = (policy, version, sha256)
        if version <= newest:
            return self._refuse(version, str(_not_newer(version, newest)))
        return True, f'accepted v{version}; active from the next control tick'

    def _newest(self) -> int:
        """Return the newest version active or pending (call with the lock held)."""
        return max(self.active_version, self._pending[1] if self._pending else 0)

    def _validate(self, fmt: Any, version: Any, sha256: Any, data: Any) -> Policy:
        if not isinstance(fmt, str) or fmt != 'safetensors':
            raise _refusal(
                'format', f"format '{_short(fmt)}' is not accepted (only 'safetensors')"
            )
        if not _is_uint64(version):
            got = 'a value outside that range' if type(version) is int else type(version).__name__
            raise _refusal(
                'version', f'version must be an unsigned 64-bit integer (0 to 2^64-1), got {got}'
            )
        with self._lock:
            newest = self._newest()
        if version <= newest:
            raise _not_newer(version, newest)
        policy = Policy.from_bytes(
            data, sha256, max_bytes=self.max_bytes, expected_version=version
        )
        obs_dim, act_dim = policy.metadata.obs_dim, policy.metadata.act_dim
        if (obs_dim, act_dim) != (self.obs_dim, self.act_dim):
            raise _refusal(
                'dimensions',
                f'policy expects observation {obs_dim} / action '
                f'{act_dim}, this agent has {self.obs_dim} / '
                f'{self.act_dim}',
            )
        return policy

    def _refuse(self, version: Any, why: str) -> tuple[bool, str]:
        shown = version if _is_uint64(version) else '?'  # str() of a huge int raises
        with self._lock:
            self.refused += 1
            self.last_refusal = f'v{shown}: {why}'
        return False, f'refused: {why}'

    def swap(self) -> bool:
        """Activate the pending policy, if any; return whether the policy changed."""
        with self._lock:
            if self._pending is None:
                return False
            if self.active is not None:
                self._previous = (self.active, self.active_version, self.active_sha256)
            self.active, self.active_version, self.active_sha256 = self._pending
            self._pending = None
            self._activated_at = time.monotonic()
            return True

    def drop_active(self, reason: str) -> str:
        """Drop the active policy (it misbehaved) and restore the previous one, if any."""
        with self._lock:
            self.refused += 1
            self.last_refusal = reason
            if self._previous is not None:
                self.active, self.active_version, self.active_sha256 = self._previous
                self._previous = None
                restored = f'restored v{self.active_version}'
            else:
                self.active, self.active_version, self.active_sha256 = None, 0, ''
                restored = 'back to random exploration'
            self._activated_at = time.monotonic()
        return f'{reason}: dropped, {restored}'

    def active_age(self) -> float:
        """Seconds since the active policy (or random exploration) became active."""
        return time.monotonic() - self._activated_at


def _is_uint64(value: Any) -> bool:
    """Whether ``value`` fits LoadPolicy's ``uint64 version`` (bool, float or str do not)."""
    return type(value) is int and 0 <= value < 2**64


def _not_newer(version: int, newest: int) -> PolicyRejected:
    return _refusal(
        'version', f'version {version} is not newer than the active or pending version {newest}'
    )


def _refusal(reason: str, message: str) -> PolicyRejected:
    # Same form as the validator's refusals: 'policy refused (<reason>): <what is wrong>'.
    return PolicyRejected(reason, f'policy refused ({reason}): {message}')


def _short(value: Any, limit: int = 120) -> str:
    """Return ``str(value)`` cut to ``limit`` characters; never raises."""
    try:
        return str(value)[:limit]
    except Exception:  # noqa: BLE001 (a hostile object's __str__)
        return f'<unprintable {type(value).__name__}>'
