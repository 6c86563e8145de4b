# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Names and QoS of the learning system's own topics and services (relative names).

The robot contract (sensors, commands, reset) is defined in spot_description.contract;
this module defines what the agent, recorder and learner say to each other. The names
import without rclpy (the replay store names its topic from here); the QoS profiles are
built from rclpy on first use.
"""

from __future__ import annotations

from typing import Any

STEPS = 'steps'
LOAD_POLICY = 'load_policy'
AGENT_STATUS = 'agent/status'
RECORDER_STATUS = 'recorder/status'
LEARNER_STATUS = 'learner/status'

QOS_PROFILES = ('STEP_QOS', 'STATUS_QOS', 'LOAD_POLICY_QOS')


def _qos_profiles() -> dict[str, Any]:
    from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

    return {
        # Steps must all arrive: reliable, and deep enough to ride out several minutes of
        # a slow recorder at 50 Hz without the publisher dropping anything.
        'STEP_QOS': QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=20000,
            reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.VOLATILE,
        ),
        # Status topics: the latest value matters; late joiners get it at once.
        'STATUS_QOS': QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=1,
            reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.TRANSIENT_LOCAL,
        ),
        # load_policy requests and replies: reliable and deep enough that a burst of
        # parallel calls (several learners, an operator) is neither dropped on the way in
        # nor has its replies overwritten on the way out (the services default keeps only
        # 10). Clients use it too: the fault suite's 40 parallel calls from 4 default-QoS
        # clients were all served (refused) by the agent, yet on a loaded machine only 19
        # replies arrived, the rest lost from the clients' 10-deep reply histories before
        # they were taken.
        'LOAD_POLICY_QOS': QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=100,
            reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.VOLATILE,
        ),
    }


def __getattr__(name: str) -> Any:
    """Build the QoS profiles on first use (PEP 562), so the names need no rclpy."""
    if name in QOS_PROFILES:
        globals().update(_qos_profiles())
        return globals()[name]
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
