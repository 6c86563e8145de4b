# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The real backend against a stand-in of spot_ros2 + spot_ros2_control.

The agent runs exactly as ``dreamstride train --backend real`` starts it (the graph's
parameter files, config/real_spot.yaml and REAL_SPOT_REMAPS), with ``dry_run`` false and
no recorder to wait for, in the namespace spot_ros2 uses (its spot_name). The stand-in
(tests/spot_ros2_standin.py) publishes what spot_ros2's sources publish and judges the
commands as the JointTrajectoryController of config/spot_ros2_controllers.yaml would.

Checked: commands reach the controller's topic and are accepted; the agent acts (Steps,
no hold) with spot_ros2's prefixed joint names and with an arm's 7 extra joints; the
Step's forward_velocity is the body-frame forward speed for a robot heading 90 degrees
from odom's x axis (spot_driver's odometry twist is in the odom frame).
"""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

from dreamstride_bringup.graph import node_graph
from dreamstride_bringup.process_supervisor import node_command
from dreamstride_msgs.msg import Step
import pytest
import rclpy
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src/dreamstride_agent/test'))
from ros_helpers import spin_until, stop

STANDIN = Path(__file__).resolve().parent / 'spot_ros2_standin.py'
SPEED = 0.3  # m/s along the body's x axis
STEP_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=1000, reliability=ReliabilityPolicy.RELIABLE
)
STATUS_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)


class RealGraph:
    """The stand-in and the real-backend agent in ``namespace``, plus an observer node."""

    def __init__(
        self, tmp_path: Path, env: dict[str, str], spot_name: str, arm: bool, yaw_deg: float
    ):
        self.tmp_path = tmp_path
        # (rcl cannot parse an empty -p value: no spot_name is the parameter's default.)
        ns_args = (
            ['-r', f'__ns:=/{spot_name}', '-p', f'spot_name:={spot_name}'] if spot_name else []
        )
        self.standin_log = tmp_path / 'standin.log'
        self.agent_log = tmp_path / 'agent.log'
        self.procs: list[subprocess.Popen] = []
        self.procs.append(
            self._popen(
                [
                    sys.executable,
                    str(STANDIN),
                    '--ros-args',
                    *ns_args,
                    '-p',
                    f'arm:={str(arm).lower()}',
                    '-p',
                    f'yaw_deg:={yaw_deg}',
                    '-p',
                    f'speed:={SPEED}',
                ],
                env,
                self.standin_log,
            )
        )
        agent = next(n for n in node_graph('train', 'real', run_dir=tmp_path) if n.name == 'agent')
        cmd = node_command(
            agent,
            spot_name,
            {'dry_run': False, 'wait_for_recorder': False, 'seed': 1},
            params_dir=tmp_path / 'params',
        )
        self.procs.append(self._popen(cmd, env, self.agent_log))
        self.steps: list[Step] = []
        self.status: dict | None = None
        self.node = rclpy.create_node('real_backend_observer', namespace=f'/{spot_name}')
        self.node.create_subscription(Step, 'steps', self.steps.append, STEP_QOS)
        self.node.create_subscription(String, 'standin/status', self._on_status, STATUS_QOS)

    @staticmethod
    def _popen(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
        return subprocess.Popen(
            cmd, env=env, stdout=open(log, 'w'), stderr=subprocess.STDOUT, start_new_session=True
        )

    def _on_status(self, msg: String) -> None:
        self.status = json.loads(msg.data)

    def acting_steps(self) -> list[Step]:
        return [s for s in self.steps if not s.hold and not s.is_first]

    def accepted(self) -> int:
        return 0 if self.status is None else self.status['accepted']

    def logs(self) -> str:
        return '\n'.join(
            f'--- {p.name}\n{p.read_text()[-3000:]}' for p in (self.standin_log, self.agent_log)
        )

    def close(self) -> None:
        for proc in self.procs:
            stop(proc)
        self.node.destroy_node()


@pytest.fixture
def graph(request, tmp_path, ros_env):
    rclpy.init()
    made: list[RealGraph] = []

    def make(spot_name: str = '', arm: bool = False, yaw_deg: float = 0.0) -> RealGraph:
        made.append(RealGraph(tmp_path, ros_env, spot_name, arm, yaw_deg))
        return made[-1]

    yield make
    for g in made:
        g.close()
    rclpy.shutdown()


def _wait_acting(g: RealGraph, steps: int = 20, commands: int = 20, timeout: float = 60.0) -> bool:
    return spin_until(
        g.node,
        lambda: len(g.acting_steps()) >= steps and g.accepted() >= commands,
        timeout,
        g.procs,
    )


def test_commands_reach_the_controller_without_a_spot_name(graph):
    g = graph(spot_name='', arm=False, yaw_deg=0.0)
    assert _wait_acting(g), (g.status, len(g.steps), g.logs())
    assert g.status['accepted'] == g.status['received'], g.status
    assert all(len(s.action) == 12 for s in g.acting_steps())


@pytest.mark.parametrize(
    'spot_name,arm',
    [
        pytest.param('spot', False, id='prefixed'),
        pytest.param('', True, id='arm'),
        pytest.param('spot', True, id='prefixed-arm'),
    ],
)
def test_agent_acts_with_spot_ros2_names(graph, spot_name, arm):
    g = graph(spot_name=spot_name, arm=arm, yaw_deg=0.0)
    assert _wait_acting(g, timeout=45.0), (g.status, len(g.steps), g.logs())
    # The controller accepts every command: the 12 leg joints, named as spot_ros2 does.
    assert g.status['accepted'] == g.status['received'], g.status


def test_forward_velocity_is_body_forward_when_heading_90_degrees(graph):
    g = graph(spot_name='', arm=False, yaw_deg=90.0)
    assert _wait_acting(g, commands=0, timeout=45.0), (len(g.steps), g.logs())
    speeds = [s.forward_velocity for s in g.acting_steps()]
    # Moving along its own x axis at SPEED: odom's twist says (0, SPEED, 0).
    assert all(abs(v - SPEED) < 0.02 for v in speeds), speeds[:10]
