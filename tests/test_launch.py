# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The launch files under the real launch / launch_ros code (full ROS 2 installs).

Skipped where launch_ros is missing (machines with the PyPI wheels only). Where it
exists they check two promises of ``dreamstride_bringup.launch_common``:

- a required node that dies stops the launch with a non-zero exit code, naming it;
- two consecutive launches without ``run_dir`` use two different run directories.

A launch file runs as ``ros2 launch`` runs it: through ``ros2 launch`` where the ros2
command exists, otherwise through launch.LaunchService (what ``ros2 launch`` calls).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec('launch') is None or importlib.util.find_spec('launch_ros') is None,
    reason='launch / launch_ros are not installed (they come with a ROS 2 apt install; '
    'PyPI has no wheels of them)',
)

RUNNER = """
import sys
from launch import LaunchService
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
path, args = sys.argv[1], [a.split(':=', 1) for a in sys.argv[2:]]
service = LaunchService(argv=sys.argv[2:])
service.include_launch_description(IncludeLaunchDescription(
    PythonLaunchDescriptionSource(path), launch_arguments=args))
sys.exit(service.run())
"""
STARTED = re.compile(r'\[(?P<name>[\w.]+)-\d+\]: process started with pid \[(?P<pid>\d+)\]')
RUN_DIR = re.compile(r'run directory (?P<dir>\S+)')


def launch_file(name: str) -> Path:
    from ament_index_python.packages import get_package_share_directory

    return Path(get_package_share_directory('dreamstride_bringup')) / 'launch' / name


class Launch:
    """One launch run in its own process group, its output collected line by line."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], cwd: Path):
        if shutil.which('ros2') and importlib.util.find_spec('ros2launch'):
            cmd = ['ros2', 'launch', 'dreamstride_bringup', name, *args]
        else:
            cmd = [sys.executable, '-c', RUNNER, str(launch_file(name)), *args]
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    @property
    def output(self) -> str:
        return '\n'.join(self.lines)

    def wait_for(self, pattern: re.Pattern, timeout: float) -> re.Match | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := pattern.search(line):
                    return match
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._reader.join(5)


def test_a_killed_required_node_stops_the_launch_non_zero(tmp_path, ros_env):
    run = Launch('sim.launch.py', ['backend:=mujoco'], ros_env, tmp_path)
    try:
        started = run.wait_for(STARTED, 60)
        assert started is not None, run.output
        time.sleep(3.0)  # let the simulation come up: the kill must hit a running node
        assert run.proc.poll() is None, run.output
        os.kill(int(started['pid']), signal.SIGKILL)
        code = run.proc.wait(60)
    finally:
        run.stop()
    assert code != 0, run.output
    assert 'required node spot_mujoco exited with code -9' in run.output, run.output


def test_consecutive_launches_use_different_run_directories(tmp_path, ros_env):
    dirs = []
    for _ in range(2):
        run = Launch('train.launch.py', ['backend:=mujoco'], ros_env, tmp_path)
        try:
            found = run.wait_for(RUN_DIR, 60)
            assert found is not None, run.output
            dirs.append(Path(found['dir'].rstrip(',')))
        finally:
            run.stop()
        # Ctrl-C stops the nodes: exits during a shutdown are not failures.
        assert 'required node' not in run.output, run.output
    assert dirs[0] != dirs[1]
    assert all(d.is_dir() and d.parent == (tmp_path / 'runs').resolve() for d in dirs), dirs
