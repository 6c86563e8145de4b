# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The dreamstride command: a short training run, Ctrl-C, a dying node, bad arguments."""

import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time

import pytest
import rclpy

ROOT = Path(__file__).resolve().parents[3]


def dreamstride(args, env, **kwargs):
    return subprocess.Popen(
        [sys.executable, '-m', 'dreamstride_bringup.cli', *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_train_starts_every_node_and_ctrl_c_leaves_nothing(tmp_path, ros_env):
    run = tmp_path / 'run'
    proc = dreamstride(
        [
            'train',
            '--run-dir',
            str(run),
            '--namespace',
            'cmdtest',
            '-p',
            'learner:model=tiny',
            '-p',
            'learner:prefill_steps=100',
            '-p',
            'spot_mujoco:real_time_factor=2.0',
        ],
        ros_env,
    )
    try:
        assert wait_for(lambda: (run / 'processes.json').exists(), 30)
        pids = [p['pid'] for p in json.loads((run / 'processes.json').read_text())]
        rclpy.init()
        node = rclpy.create_node('cmd_observer')
        expected = {'spot_mujoco', 'agent', 'replay_recorder', 'learner'}

        def names():
            rclpy.spin_once(node, timeout_sec=0.1)
            return {n for n, ns in node.get_node_names_and_namespaces() if ns == '/cmdtest'}

        assert wait_for(lambda: expected <= names(), 60), names()
        node.destroy_node()
        rclpy.shutdown()
        assert wait_for(lambda: any(run.glob('replay/*/metadata.yaml')), 60)
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        out, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert 'all nodes stopped' in out
    assert not [pid for pid in pids if alive(pid)], 'processes left behind'
    assert {p.name for p in (run / 'logs').iterdir()} == {f'{n}.log' for n in expected}
    assert not any((run / 'replay' / 'open').iterdir())  # the open segment was closed


def test_run_stops_with_an_error_when_a_node_dies(tmp_path, ros_env):
    run = tmp_path / 'run'
    proc = dreamstride(['sim', '--run-dir', str(run), '--namespace', 'dies'], ros_env)
    try:
        assert wait_for(lambda: (run / 'processes.json').exists(), 30)
        sim_pid = json.loads((run / 'processes.json').read_text())[0]['pid']
        time.sleep(2.0)
        os.kill(sim_pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert 'spot_mujoco exited with code -9; stopping the run' in out


def test_bad_arguments_are_named(tmp_path, ros_env):
    out = subprocess.run(
        [
            sys.executable,
            '-m',
            'dreamstride_bringup.cli',
            'train',
            '--run-dir',
            str(tmp_path),
            '-p',
            'nosuchnode:x=1',
        ],
        env=ros_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "no node 'nosuchnode'" in out.stderr
    out = subprocess.run(
        [sys.executable, '-m', 'dreamstride_bringup.cli', 'train', '--backend', 'webots'],
        env=ros_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and 'launch_ros' in out.stderr


def test_every_process_keeps_ros_on_this_host(monkeypatch):
    from dreamstride_bringup.graph import ros_environment

    monkeypatch.setenv('ROS_AUTOMATIC_DISCOVERY_RANGE', 'SUBNET')
    assert ros_environment()['ROS_AUTOMATIC_DISCOVERY_RANGE'] == 'LOCALHOST'
    assert ros_environment('SUBNET')['ROS_AUTOMATIC_DISCOVERY_RANGE'] == 'SUBNET'
    with pytest.raises(ValueError):
        ros_environment('EVERYWHERE')
