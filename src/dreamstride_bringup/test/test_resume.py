# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Training again in a run directory resumes it, the ratio lock counting what is stored."""

from dreamstride_agent.recording.replay_store import SegmentWriter, make_typestore
from dreamstride_bringup.cli import resume_steps
from dreamstride_bringup.graph import node_graph
from dreamstride_msgs.msg import Step
from rclpy.serialization import serialize_message


def _write_segment(store, name: str, run_id: str, steps: int) -> None:
    writer = SegmentWriter(store, name, make_typestore())
    for seq in range(steps):
        msg = Step(
            seq=seq,
            run_id=run_id,
            observation=[0.0] * 4,
            observation_keys='x:4',
            action=[0.0] * 12,
            is_first=seq == 0,
        )
        writer.write(serialize_message(msg), seq * 50_000_000, seq)
    writer.close()


def test_a_new_run_directory_resumes_nothing(tmp_path):
    nodes = node_graph('train', 'mujoco', run_dir=tmp_path)
    overrides: dict = {}
    assert resume_steps(nodes, tmp_path, overrides) == 0 and overrides == {}


def test_a_run_directory_with_a_store_tells_the_simulations_what_it_holds(tmp_path):
    _write_segment(tmp_path / 'replay', 'a_00000', 'a', 30)
    _write_segment(tmp_path / 'replay', 'b_00000', 'b', 12)  # a restarted agent's steps
    nodes = node_graph('train', 'mujoco', run_dir=tmp_path)
    overrides: dict = {'spot_mujoco': {'seed': 3}}
    assert resume_steps(nodes, tmp_path, overrides) == 42
    assert overrides == {'spot_mujoco': {'seed': 3, 'ratio_lock.steps_before': 42}}
    # Several robots: every simulation's lock counts the one store's steps (one budget).
    fleet = node_graph('train', 'mujoco', run_dir=tmp_path, robots=2)
    overrides = {}
    assert resume_steps(fleet, tmp_path, overrides) == 42
    assert overrides['spot_mujoco'] == {'ratio_lock.steps_before': 42}
    # The real robot has no simulation to pause.
    overrides = {}
    assert resume_steps(node_graph('train', 'real', run_dir=tmp_path), tmp_path, overrides) == 42
    assert overrides == {}
