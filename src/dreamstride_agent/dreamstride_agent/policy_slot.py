"""The agent's active policy, the one waiting to replace it, and the one before it.

Offers come from the load_policy service thread; swap() and drop_active() run in the
control tick. A lock guards the hand-over only: validation happens outside it, so a
tick never waits for a policy to be checked.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from dreamstride_agent.dreamer.policy import Policy, PolicyRejected


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
        """Validate a policy; on success it becomes active at the next swap()."""
        with self._lock:
            newest = max(self.active_version, self._pending[1] if self._pending else 0)
        try:
            if fmt != 'safetensors':
                raise PolicyRejected('format',
                                     f"format '{fmt}' is not accepted (only 'safetensors')")
            if version <= newest:
                raise PolicyRejected('version', f'version {version} is not newer than the '
                                     f'active or pending version {newest}')
            policy = Policy.from_bytes(data, sha256, max_bytes=self.max_bytes,
                                       expected_version=version)
            obs_dim, act_dim = policy.metadata.obs_dim, policy.metadata.act_dim
            if (obs_dim, act_dim) != (self.obs_dim, self.act_dim):
                raise PolicyRejected('dimensions', f'policy expects observation {obs_dim} / '
                                     f'action {act_dim}, this agent has {self.obs_dim} / '
                                     f'{self.act_dim}')
        except PolicyRejected as exc:
            with self._lock:
                self.refused += 1
                self.last_refusal = f'v{version}: {exc}'
            return False, f'refused: {exc}'
        with self._lock:
            self._pending = (policy, version, sha256)
        return True, f'accepted v{version}; active from the next control tick'

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
