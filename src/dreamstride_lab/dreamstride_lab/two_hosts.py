# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Two hosts on one machine: two network namespaces joined by one veth pair.

The two-host test and the link benchmark run the robot side of the training graph in
one namespace and the learner side in the other, so that every byte between them
crosses a real (virtual) network link, with its own addresses, MTU and multicast, and
DDS discovers the other side as it would discover a workstation from a robot.

Nothing reaches the machine's own interfaces: each namespace holds only its loopback
and its end of the pair. There is no bridge, no default route and no NAT; the one
route added is multicast onto the veth, inside the namespace, which DDS's SUBNET
discovery needs (without it, sending to 239.255.0.1 fails with "network unreachable").

Needs root (CAP_NET_ADMIN) and ``ip`` (iproute2). :func:`unavailable` says why not.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
import shutil
import signal
import subprocess

# Private addresses of a /30 that only exists inside the two namespaces.
ROBOT_ADDRESS = '10.231.0.1'
LEARNER_ADDRESS = '10.231.0.2'
PREFIX_LENGTH = 30


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(['ip', *args], capture_output=True, text=True, check=check, timeout=30)


def unavailable() -> str | None:
    """Return why namespaces cannot be made here, or None when they can."""
    if shutil.which('ip') is None:
        return 'no `ip` command (iproute2) on this machine'
    if os.geteuid() != 0:
        return 'creating network namespaces needs root (CAP_NET_ADMIN)'
    probe = f'dsprobe{os.getpid()}'
    made = _ip('netns', 'add', probe, check=False)
    if made.returncode != 0:
        return f'`ip netns add` failed: {made.stderr.strip() or made.returncode}'
    _ip('netns', 'delete', probe, check=False)
    return None


@dataclass
class Side:
    """One end of the link: a namespace, its veth device and its address."""

    namespace: str
    device: str
    address: str

    def command(self, argv: list[str]) -> list[str]:
        """Return ``argv`` run inside this side's namespace."""
        return ['ip', 'netns', 'exec', self.namespace, *argv]

    def bytes_sent(self) -> int:
        """Bytes this side has sent over the veth so far (the kernel's counter)."""
        out = subprocess.run(
            self.command(['cat', f'/sys/class/net/{self.device}/statistics/tx_bytes']),
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return int(out.stdout.strip())


class TwoHosts:
    """Create the two namespaces and their link on enter; remove them on exit.

    The names carry ``tag`` (default: this process id), so two test sessions on one
    machine never share a namespace. Removing a namespace also removes its veth end,
    and the kernel removes the other end with it.
    """

    def __init__(self, tag: str | None = None) -> None:
        tag = tag or str(os.getpid())
        # Interface names are at most 15 characters.
        self.robot = Side(f'ds-{tag}-robot', f'dsr{tag}'[:15], ROBOT_ADDRESS)
        self.learner = Side(f'ds-{tag}-learner', f'dsl{tag}'[:15], LEARNER_ADDRESS)

    def __enter__(self) -> TwoHosts:
        try:
            self.create()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.remove()

    def create(self) -> None:
        """Make both namespaces, the pair between them, and bring everything up."""
        for side in (self.robot, self.learner):
            _ip('netns', 'add', side.namespace)
        _ip(
            'link',
            'add',
            self.robot.device,
            'netns',
            self.robot.namespace,
            'type',
            'veth',
            'peer',
            'name',
            self.learner.device,
            'netns',
            self.learner.namespace,
        )
        for side in (self.robot, self.learner):
            ns = ('-n', side.namespace)
            _ip(*ns, 'link', 'set', 'lo', 'up')
            _ip(*ns, 'addr', 'add', f'{side.address}/{PREFIX_LENGTH}', 'dev', side.device)
            _ip(*ns, 'link', 'set', side.device, 'up')
            _ip(*ns, 'route', 'add', '224.0.0.0/4', 'dev', side.device)

    def pids(self) -> list[int]:
        """Return the processes still running inside either namespace."""
        found: list[int] = []
        for side in (self.robot, self.learner):
            out = _ip('netns', 'pids', side.namespace, check=False)
            found += [int(p) for p in out.stdout.split()]
        return found

    def remove(self) -> list[int]:
        """Kill what still runs inside, delete both namespaces (and the pair).

        Returns the processes that had to be killed: whoever stopped the run should
        have stopped them, so a caller can report them as leaked. Quiet when the
        namespaces are already gone.
        """
        leaked = self.pids()
        for pid in leaked:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for side in (self.robot, self.learner):
            _ip('netns', 'delete', side.namespace, check=False)
        return leaked

    def exists(self) -> bool:
        """Whether either namespace still exists."""
        names = {Path(p).name for p in Path('/run/netns').glob('*')}
        return self.robot.namespace in names or self.learner.namespace in names
