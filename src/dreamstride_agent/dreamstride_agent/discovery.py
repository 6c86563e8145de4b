# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The discovery settings a process runs with, in one line for logs and errors.

When the learner cannot reach an agent on another machine, the cause is almost always
one of these settings differing between the two machines (another domain, LOCALHOST on
one side, a wrong static peer) or a network that drops multicast; an error that names
them points there directly.
"""

from __future__ import annotations

from collections.abc import Mapping
import os

# What decides whether two ROS 2 processes find each other, and how data flows.
SETTINGS = (
    'ROS_DOMAIN_ID',
    'ROS_AUTOMATIC_DISCOVERY_RANGE',
    'ROS_STATIC_PEERS',
    'RMW_IMPLEMENTATION',
    'FASTDDS_BUILTIN_TRANSPORTS',
    'FASTRTPS_DEFAULT_PROFILES_FILE',
    'ROS_DISCOVERY_SERVER',
)
# What ROS 2 does when a setting is not set (rcl's and rmw_fastrtps_cpp's defaults).
UNSET = {
    'ROS_DOMAIN_ID': '0',
    'ROS_AUTOMATIC_DISCOVERY_RANGE': 'SUBNET',
    'RMW_IMPLEMENTATION': 'rmw_fastrtps_cpp',
}


def discovery_summary(env: Mapping[str, str] | None = None) -> str:
    """Return ``NAME=value`` for each discovery setting (unset optional ones left out)."""
    env = os.environ if env is None else env
    parts = []
    for name in SETTINGS:
        value = env.get(name)
        if value is None and name in UNSET:
            value = f'{UNSET[name]} (unset)'
        if value is not None:
            parts.append(f'{name}={value}')
    return ', '.join(parts)


def agent_not_found(service: str, waited: float, env: Mapping[str, str] | None = None) -> str:
    """Return the learner's error when no agent offers ``service`` (a resolved name)."""
    return (
        f'no agent found at {service} after {waited:.0f} s: the policy cannot be pushed '
        '(training goes on). Check that the agent runs with the same namespace, and that '
        'both machines share the discovery settings: '
        f'{discovery_summary(env)}. Across machines: the same ROS_DOMAIN_ID, '
        'ROS_AUTOMATIC_DISCOVERY_RANGE=SUBNET or ROS_STATIC_PEERS naming the other '
        'machine, and a link that passes UDP (and multicast for SUBNET alone)'
    )


def push_unanswered(
    service: str, version: int, size: int, timeout: float, env: Mapping[str, str] | None = None
) -> str:
    """Return the learner's error for a push to ``service`` unanswered in ``timeout``."""
    return (
        f'{service} did not answer the push of policy v{version} ({size / 1e6:.1f} MB) within '
        f'{timeout:.0f} s; retrying (training goes on). The agent was discovered, so the '
        'link lost the request or its reply: check the link and that both machines use the '
        f'same transports ({discovery_summary(env)})'
    )


def push_deadline(base: float, per_mb: float, size: int) -> float:
    """Seconds to wait for a push of ``size`` bytes: a fixed part plus one per megabyte.

    A fixed timeout that suits a 0.2 MB policy on loopback abandons a 15 MB one on a
    slow link every time, and the retry would too: the learner would never reach it.
    """
    return base + per_mb * size / 1e6
