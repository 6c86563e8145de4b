# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The training graph split across two machines: parts, discovery settings, refusals."""

import subprocess
import sys

from dreamstride_bringup.graph import (
    SPLIT_RUN_TRANSPORTS,
    graph_part,
    node_graph,
    ros_environment,
)
import pytest


@pytest.mark.parametrize('backend', ['mujoco', 'real'])
@pytest.mark.parametrize('recorder_on', ['learner', 'robot'])
def test_the_two_parts_are_the_whole_graph(backend, recorder_on, tmp_path):
    whole = node_graph('train', backend, run_dir=tmp_path)
    robot = node_graph('train', backend, run_dir=tmp_path, part='robot', recorder_on=recorder_on)
    learner = node_graph(
        'train', backend, run_dir=tmp_path, part='learner', recorder_on=recorder_on
    )
    names = [n.name for n in robot] + [n.name for n in learner]
    assert sorted(names) == sorted(n.name for n in whole)  # each node exactly once
    assert 'agent' in [n.name for n in robot] and 'learner' in [n.name for n in learner]
    recorder_side = robot if recorder_on == 'robot' else learner
    assert 'replay_recorder' in [n.name for n in recorder_side]
    # A part is the same node, with the same parameters, as in the whole graph.
    by_name = {n.name: n for n in whole}
    for node in robot + learner:
        assert node == by_name[node.name]
    assert graph_part(whole, 'all') == whole


def test_parts_are_checked(tmp_path):
    with pytest.raises(ValueError, match='unknown part'):
        node_graph('train', run_dir=tmp_path, part='workstation')
    with pytest.raises(ValueError, match='unknown recorder side'):
        node_graph('train', run_dir=tmp_path, part='robot', recorder_on='cloud')
    with pytest.raises(ValueError, match='splits a train graph'):
        node_graph('sim', part='robot')


def test_discovery_settings_are_explicit(monkeypatch):
    monkeypatch.setenv('ROS_STATIC_PEERS', '192.0.2.7')
    monkeypatch.delenv('FASTDDS_BUILTIN_TRANSPORTS', raising=False)
    env = ros_environment()
    # An inherited peer list must not widen a run meant for this host.
    assert 'ROS_STATIC_PEERS' not in env and env['ROS_AUTOMATIC_DISCOVERY_RANGE'] == 'LOCALHOST'
    assert 'FASTDDS_BUILTIN_TRANSPORTS' not in env
    env = ros_environment(
        'SUBNET', static_peers=['10.0.0.2', ' robot.local '], transports=SPLIT_RUN_TRANSPORTS
    )
    assert env['ROS_STATIC_PEERS'] == '10.0.0.2;robot.local'
    assert env['FASTDDS_BUILTIN_TRANSPORTS'] == 'LARGE_DATA'
    with pytest.raises(ValueError, match='not one address'):
        ros_environment('SUBNET', static_peers=['10.0.0.2;10.0.0.3'])


def test_the_command_keeps_wider_discovery_for_split_runs(ros_env, tmp_path):
    def run(*args):
        return subprocess.run(
            [sys.executable, '-m', 'dreamstride_bringup.cli', 'train', *args],
            env=ros_env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    for wide in (['--discovery-range', 'SUBNET'], ['--static-peers', '10.0.0.2']):
        out = run(*wide, '--run-dir', str(tmp_path))
        assert out.returncode == 2 and '--part robot|learner' in out.stderr, out.stderr
    out = run('--part', 'robot', '-p', 'learner:model=tiny', '--run-dir', str(tmp_path))
    assert out.returncode == 2 and "no node 'learner'" in out.stderr, out.stderr
    out = run('--static-peers', ',', '--part', 'robot')
    assert out.returncode == 2 and 'names no address' in out.stderr, out.stderr
