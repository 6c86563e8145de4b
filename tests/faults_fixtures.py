# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The fault modules' fixtures: a pytest plugin each of them loads with ``pytest_plugins``.

Not a tests/conftest.py, which would reach every test in tests/ (test_learning_system.py
and test_cmd_vel.py have a ``node`` fixture of their own). A plugin's fixtures are
visible to the tests collected after it is loaded, but a test module's own fixture of
the same name comes first, so those modules keep theirs.

``table`` is one fault table for the session: the rows of every fault module, in the
order they ran. ``ros``, ``robot`` and ``policies`` are one per module, so each module
starts its own agent and MuJoCo backend and can run alone.
"""

from __future__ import annotations

from faults_harness import AGENT, MAX_POLICY_BYTES, WATCHES, Processes, Robot
from faults_policies import PolicyFactory
from faults_table import FaultTable, SummaryPlugin
import pytest
import rclpy


@pytest.fixture(scope='session')
def table(request, tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / 'fault_table.md'
    faults = FaultTable()
    plugins = request.config.pluginmanager
    if plugins.has_plugin('dreamstride_fault_table'):  # set up again: the new table replaces it
        plugins.get_plugin('dreamstride_fault_table').table = faults
    else:
        plugins.register(SummaryPlugin(faults, path), 'dreamstride_fault_table')
    yield faults
    path.write_text(faults.markdown() + '\n')


@pytest.fixture(scope='module')
def ros():
    WATCHES.clear()  # the command check at the module's end sees this module's watches only
    rclpy.init()
    yield
    rclpy.shutdown()
    WATCHES.clear()


@pytest.fixture
def node(ros, request):
    n = rclpy.create_node(f'faults_{request.node.name}')
    yield n
    n.destroy_node()


@pytest.fixture(scope='module')
def robot(ros, tmp_path_factory):
    p = Processes(Robot.namespace, tmp_path_factory.mktemp('robot'))
    node = rclpy.create_node('faults_robot_observer')
    r = Robot(node, p)
    try:
        p.start(
            'agent',
            'dreamstride_agent.acting.agent_node',
            AGENT | {'seed': 2, 'max_policy_bytes': MAX_POLICY_BYTES},
        )
        r.watch.wait_for_agent(node, p)
        p.start('spot_mujoco', 'spot_mujoco.sim_node', {'real_time_factor': 1.0})
        assert r.spin_until(lambda: len(r.watch.steps) > 20, 60), p.tails()
        yield r
    finally:
        p.stop_all()
        node.destroy_node()


@pytest.fixture(scope='module')
def policies() -> PolicyFactory:
    return PolicyFactory()
