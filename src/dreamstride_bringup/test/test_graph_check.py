# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""A run does not start its nodes into another run's graph (same domain and names)."""

import io
import subprocess
import sys
import time

from dreamstride_bringup.graph import NodeSpec
from dreamstride_bringup.graph_check import running_nodes
from dreamstride_bringup.process_supervisor import GraphOccupiedError, Supervisor
import pytest

# A stand-in for another run's agent: a bare rclpy node called /spot/agent.
OTHER_AGENT = (
    'import rclpy\n'
    'rclpy.init()\n'
    "node = rclpy.create_node('agent', namespace='spot')\n"
    'try:\n'
    '    rclpy.spin(node)\n'
    'except KeyboardInterrupt:\n'
    '    pass\n'
)
AGENT = NodeSpec('agent', 'dreamstride_agent', 'agent', 'dreamstride_agent.acting.agent_node')


def test_an_empty_graph_lets_a_run_start(ros_env):
    assert running_nodes(['/spot/agent', '/spot/learner'], ros_env, listen=1.0) == []


def test_a_run_already_up_with_the_same_names_is_refused(ros_env, tmp_path):
    other = subprocess.Popen([sys.executable, '-c', OTHER_AGENT], env=ros_env)
    try:
        deadline = time.monotonic() + 20.0
        found = []
        while not found and time.monotonic() < deadline:
            found = running_nodes(['/spot/agent', '/spot/learner'], ros_env)
        assert found == ['/spot/agent']
        # The same name in another namespace is another robot: no conflict.
        assert running_nodes(['/spot_1/agent'], ros_env) == []
        out = io.StringIO()
        supervisor = Supervisor([AGENT], 'spot', tmp_path, ros_env, out=out)
        started = time.monotonic()
        with pytest.raises(GraphOccupiedError, match=r'ROS domain \d+ \(nodes /spot/agent\)'):
            supervisor.start()
        assert time.monotonic() - started > 20.0  # it gave the names time to leave
        assert supervisor.running == [] and not (tmp_path / 'logs').exists()
        assert 'waiting up to 30 s' in out.getvalue()
    finally:
        other.terminate()
        other.wait(timeout=10)


def test_names_that_leave_the_graph_do_not_stop_the_start(ros_env):
    other = subprocess.Popen([sys.executable, '-c', OTHER_AGENT], env=ros_env)
    try:
        deadline = time.monotonic() + 20.0
        while not running_nodes(['/spot/agent'], ros_env) and time.monotonic() < deadline:
            pass
    finally:
        other.terminate()  # a clean exit leaves the graph at once
        other.wait(timeout=10)
    assert running_nodes(['/spot/agent'], ros_env, until_gone=30.0) == []


def test_an_answer_printed_before_a_hung_teardown_is_read():
    from dreamstride_bringup.graph_check import _answer

    assert _answer(b'["/spot/agent"]\n') == ['/spot/agent']
    assert _answer('[]\n') == []
    assert _answer(b'a warning from rmw\n[]\n') == []
    assert _answer(b'') is None and _answer(None) is None and _answer('{"a": 1}') is None
