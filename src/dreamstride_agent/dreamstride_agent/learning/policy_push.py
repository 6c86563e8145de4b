# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Pushing the latest policy to each agent: the learner's per-agent schedule, ROS-free.

The learner node checks ten times a second (:meth:`PolicyPusher.check`); for every agent
a :class:`AgentPush` remembers what it has, what is on the way and when to try again:

- an agent whose load_policy service is absent is looked for at every check while the
  pushes to the others go on; after ``NOT_FOUND_AFTER`` seconds one error names it (with
  the discovery settings to check), then a warning every 30 s. Gone for a second or more,
  it is taken to be a new process when it comes back, with no policy: it gets the latest
  at once;
- a call unanswered past its deadline (``push_timeout`` plus ``push_timeout_per_mb`` per
  megabyte) is abandoned and retried after a backoff that doubles up to 30 s, so a lost
  reply never stops later pushes;
- a call that fails is retried after the backoff; an answer resets it;
- only a newer version than the agent has is sent.

The node gives each agent a client (``service_is_ready``, ``call_async``,
``remove_pending_request``: rclpy's Client), a request factory and a clock; tests give
fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from dreamstride_agent.discovery import agent_not_found, push_deadline, push_unanswered

# Seconds without the agent's service before the learner says so (an agent started a
# little after the learner is normal; one missing this long points at discovery).
NOT_FOUND_AFTER = 10.0
# Seconds between the warnings that an agent is still not reachable.
STILL_GONE_EVERY = 30.0
# An agent gone this long is a new process when it is back, which has no policy yet.
NEW_PROCESS_AFTER = 1.0
MAX_BACKOFF = 30.0


class PushClient(Protocol):
    """What the pusher needs of a service client (rclpy.client.Client has it)."""

    def service_is_ready(self) -> bool: ...  # noqa: D102

    def call_async(self, request: Any) -> Any: ...  # noqa: D102

    def remove_pending_request(self, future: Any) -> None: ...  # noqa: D102


@dataclass
class AgentPush:
    """One agent's push state."""

    name: str  # the service name as configured (relative names are the run's)
    service: str  # its fully resolved name, for messages
    client: PushClient
    version: int = 0  # the newest version the agent answered for
    accepted: bool = False  # whether it accepted that version
    next_try: float = 0.0
    backoff: float = 1.0
    future: Any = None  # the call in flight
    sending: int = 0  # its version
    size: int = 0  # its policy's bytes
    deadline: float = 0.0  # seconds it may take
    pushed_at: float | None = None  # when the last call went out
    exported_at: float | None = None  # when the policy of that call was exported
    unreachable_since: float | None = None
    unreachable_logged: bool = False
    next_log: float = 0.0


class PolicyPusher:
    """Sends the newest exported policy to every agent; see the module docstring."""

    def __init__(
        self,
        pushes: list[AgentPush],
        make_request: Callable[[bytes, str, int], Any],
        clock: Callable[[], float],
        log: Callable[[str, str], None],
        on_accepted: Callable[[int], None],
        timeout: float,
        timeout_per_mb: float,
    ) -> None:
        self.pushes = {push.name: push for push in pushes}
        self.make_request = make_request
        self.clock = clock
        self.log = log  # (level, message), level in debug/info/warning/error
        self.on_accepted = on_accepted
        self.timeout, self.timeout_per_mb = timeout, timeout_per_mb
        self.latency = -1.0  # seconds from export to the last acceptance, -1: none yet

    def check(self, export: tuple[bytes, str, int] | None, exported_at: float | None) -> None:
        """Advance every agent's push: ``export`` is (data, sha256, version) or None."""
        if export is None:
            return
        data, sha256, version = export
        now = self.clock()
        for push in self.pushes.values():
            if push.future is not None:
                if not push.future.done():
                    if now - push.pushed_at > push.deadline:
                        self._timed_out(push, now)
                    continue
                self._done(push)
            if now < push.next_try:
                continue
            if not push.client.service_is_ready():
                self._unreachable(push, now)
                continue
            if push.unreachable_since is not None:
                if push.unreachable_logged:
                    self.log(
                        'info',
                        f'{push.name} is reachable again after '
                        f'{now - push.unreachable_since:.0f} s',
                    )
                push.unreachable_since = None
                push.unreachable_logged = False
            if push.version >= version:
                continue
            push.future = push.client.call_async(self.make_request(data, sha256, version))
            push.sending, push.size = version, len(data)
            push.deadline = push_deadline(self.timeout, self.timeout_per_mb, len(data))
            push.pushed_at, push.exported_at = now, exported_at

    @property
    def any_accepted(self) -> bool:
        """Whether some agent accepted the version it was last sent."""
        return any(p.accepted for p in self.pushes.values())

    @property
    def last_push(self) -> float | None:
        """When the latest call to any agent went out (clock time), None before the first."""
        times = [p.pushed_at for p in self.pushes.values() if p.pushed_at is not None]
        return max(times) if times else None

    def _unreachable(self, push: AgentPush, now: float) -> None:
        if push.unreachable_since is None:
            push.unreachable_since = now
            push.next_log = now + NOT_FOUND_AFTER
        gone = now - push.unreachable_since
        if gone >= NEW_PROCESS_AFTER:
            push.version = 0
        if now < push.next_log:
            return
        push.next_log = now + STILL_GONE_EVERY
        if not push.unreachable_logged:
            push.unreachable_logged = True
            self.log(
                'error',
                f'agent {push.name} is not reachable: '
                + agent_not_found(push.service, gone)
                + '; pushing to the other agents, and to it when it is back',
            )
        else:
            self.log('warning', f'{push.name} still not reachable after {gone:.0f} s')

    def _timed_out(self, push: AgentPush, now: float) -> None:
        push.client.remove_pending_request(push.future)
        push.future = None
        push.next_try = now + push.backoff
        retry = push.backoff
        push.backoff = min(push.backoff * 2.0, MAX_BACKOFF)
        # An agent killed outright still looks present until DDS notices its absence
        # (tens of seconds): this is then the first sign, so it is an error that names it.
        self.log(
            'error',
            f'agent {push.name}: '
            + push_unanswered(push.service, push.sending, push.size, push.deadline)
            + f'; pushing to the other agents and retrying it in {retry:g} s',
        )

    def _done(self, push: AgentPush) -> None:
        future, push.future = push.future, None
        try:
            response = future.result()
        except Exception as exc:  # noqa: BLE001 - a failed call is retried, not fatal
            self.log('warning', f'push to {push.name} failed: {exc}')
            push.next_try = self.clock() + push.backoff
            return
        push.backoff = 1.0
        push.accepted = bool(response.accepted)
        push.version = push.sending
        if response.accepted:
            self.on_accepted(push.sending)
            self.latency = self.clock() - push.exported_at
            self.log(
                'info',
                f'{push.name} accepted policy v{push.sending} '
                f'({self.latency:.2f} s after its export)',
            )
        else:
            self.log('error', f'{push.name} refused policy v{push.sending}: {response.message}')
