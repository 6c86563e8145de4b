# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Helpers for tests that run real ROS 2 nodes in separate processes."""

from __future__ import annotations

from collections.abc import Callable
import os
from pathlib import Path
import signal
import subprocess
import sys
import time

import rclpy
from rclpy.node import Node


def start_node(
    module: str, params: dict, env: dict, log_path: Path, ros_args: list[str] | None = None
) -> subprocess.Popen:
    """Start ``python -m module`` as a ROS node with parameters, output to ``log_path``."""
    cmd = [sys.executable, '-m', module, '--ros-args']
    for key, value in params.items():
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, list):
            value = '[' + ','.join(repr(v) if isinstance(v, str) else str(v) for v in value) + ']'
        cmd += ['-p', f'{key}:={value}']
    cmd += ros_args or []
    log = open(log_path, 'w')
    return subprocess.Popen(
        cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = 30.0) -> int:
    """Stop a node process (SIGINT: clean shutdown); kill it if it does not exit."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


def spin_until(
    node: Node, condition: Callable[[], bool], timeout: float, procs: list[subprocess.Popen] = ()
) -> bool:
    """Spin ``node`` until ``condition()`` or ``timeout`` seconds; fail fast if a proc dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
        if condition():
            return True
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f'{proc.args[2]} exited with {proc.returncode}')
    return condition()
