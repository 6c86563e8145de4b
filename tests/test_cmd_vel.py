# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""cmd_vel over DDS: the agent acts on the command in force, refuses hostile ones, and
stands when the commands stop (MuJoCo backend and agent as real processes)."""

import math
from pathlib import Path
import sys

from dreamstride_agent.learning_topics import AGENT_STATUS, STATUS_QOS, STEP_QOS, STEPS
from dreamstride_msgs.msg import AgentStatus, Step
from geometry_msgs.msg import Twist
import numpy as np
import pytest
import rclpy
from spot_description import contract

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src/dreamstride_agent/test'))
from ros_helpers import spin_until, start_node, stop

NS = ['-r', '__ns:=/cmdvel']


@pytest.fixture
def node():
    rclpy.init()
    n = rclpy.create_node('cmd_vel_test', namespace='cmdvel')
    yield n
    n.destroy_node()
    rclpy.shutdown()


def twist(vx: float, vy: float, wz: float) -> Twist:
    msg = Twist()
    msg.linear.x, msg.linear.y, msg.angular.z = vx, vy, wz
    return msg


def test_the_agent_follows_refuses_and_drops_cmd_vel(node, tmp_path, ros_env):
    steps: list[Step] = []
    status: list[AgentStatus] = []
    node.create_subscription(Step, STEPS, steps.append, STEP_QOS)
    node.create_subscription(AgentStatus, AGENT_STATUS, status.append, STATUS_QOS)
    pub = node.create_publisher(Twist, contract.CMD_VEL, 10)
    procs = [
        start_node(
            'spot_mujoco.sim_node', {'use_sim_time': False}, ros_env, tmp_path / 'sim.log', NS
        ),
        start_node(
            'dreamstride_agent.acting.agent_node',
            {'velocity_command.timeout': 0.5},
            ros_env,
            tmp_path / 'agent.log',
            NS,
        ),
    ]
    try:
        assert spin_until(node, lambda: len(steps) > 5, 60, procs), 'no steps from the agent'
        assert np.allclose(steps[-1].velocity_command, 0.0)  # nothing commanded yet: stand

        def command_in_steps(expected) -> bool:
            pub.publish(twist(*expected))
            return bool(steps) and np.allclose(steps[-1].velocity_command, expected, atol=1e-6)

        assert spin_until(node, lambda: command_in_steps((0.2, 0.0, 0.1)), 30, procs)
        keys = steps[-1].observation_keys
        assert keys.endswith('velocity_command:3')
        assert np.allclose(steps[-1].observation[-3:], (0.2, 0.0, 0.1), atol=1e-6)

        # Hostile commands are refused with the reason in the status, never used. (The
        # agent keeps only the newest cmd_vel, so each is sent until its refusal shows.)
        for bad, reason in (
            (twist(math.nan, 0.0, 0.0), 'not finite'),
            (twist(0.0, 0.0, 50.0), 'exceeds max_angular'),
        ):

            def refused(bad=bad, reason=reason) -> bool:
                pub.publish(bad)
                return bool(status) and reason in status[-1].last_command_refusal

            assert spin_until(node, refused, 30, procs), f'no refusal saying {reason!r}'
        assert status[-1].commands_refused >= 2
        since = len(steps)
        # Commands stop: within the timeout the agent stands (zero command) again.
        assert spin_until(
            node,
            lambda: len(steps) > since and np.allclose(steps[-1].velocity_command, 0.0),
            30,
            procs,
        )
        seen = {tuple(np.round(s.velocity_command, 6)) for s in steps}
        assert all(np.all(np.isfinite(c)) and abs(c[2]) <= 1.0 for c in seen), seen
        assert all(p.poll() is None for p in procs), 'a node died'
    finally:
        for proc in procs:
            stop(proc)
