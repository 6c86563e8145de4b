# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The control-rate nodes' spin loop: timers fire at their rate, coroutine callbacks
complete, and SIGINT stops it promptly (the events executor's own spin() ignores it)."""

import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow

# A node with a 20 Hz timer whose every tick also awaits a future completed by a worker
# thread (as the agent's load_policy callback awaits validation).
NODE = """
import gc, sys, threading
import rclpy
from rclpy.node import Node
from rclpy.task import Future
from dreamstride_agent.spinning import executor_name, make_executor, spin

rclpy.init()
node = Node('spin_probe')
ticks, awaited, frozen = [0], [0], [0]

async def awaiting():
    done = Future(executor=node.executor)
    done.add_done_callback(lambda _: None)
    threading.Thread(target=lambda: done.set_result(1)).start()
    awaited[0] += await done

def tick():
    ticks[0] += 1
    frozen[0] = gc.get_freeze_count()
    node.executor.create_task(awaiting)

node.create_timer(0.05, tick)
executor = make_executor()
executor.add_node(node)
print('executor', executor_name(executor), flush=True)
try:
    spin(executor)
except KeyboardInterrupt:
    pass
print('ticks', ticks[0], 'awaited', awaited[0], 'frozen', frozen[0], flush=True)
executor.shutdown(timeout_sec=1.0)
node.destroy_node()
rclpy.try_shutdown()
"""


@pytest.mark.parametrize('kind', ['events', 'single'])
def test_spin_runs_timers_and_coroutines_and_stops_on_sigint(kind, ros_env):
    if kind == 'events':
        pytest.importorskip(
            'rclpy.experimental', reason='no events executor in this rclpy (before Kilted)'
        )
    env = dict(ros_env, DREAMSTRIDE_EXECUTOR=kind)
    proc = subprocess.Popen(
        [sys.executable, '-c', NODE], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().split() == [
            'executor',
            *(['events'] if kind == 'events' else ['single-threaded']),
        ]
        time.sleep(2.0)
        sent = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=5.0)
        stopped_after = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    words = proc.stdout.read().split()
    assert code == 0
    assert stopped_after < 2.0
    ticks, awaited = int(words[words.index('ticks') + 1]), int(words[words.index('awaited') + 1])
    assert 30 <= ticks <= 50  # 2 s at 20 Hz
    assert awaited >= ticks - 2  # every tick's coroutine ran to completion
    # What start-up built (rclpy, the node: tens of thousands of objects) is frozen.
    assert int(words[words.index('frozen') + 1]) > 10_000
