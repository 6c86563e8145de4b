# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The control-rate nodes' spin loop: timers fire at their rate, coroutine callbacks
complete, coroutine service callbacks answer over DDS on every executor the project may
pick, and SIGINT stops it promptly (the events executor's own spin() ignores it)."""

import os
import signal
import subprocess
import sys
import time

from dreamstride_agent.spinning import events_executor_safe, rclpy_version
import pytest

# Which executor make_executor() picks on this rclpy, by the name executor_name() gives.
DEFAULT_EXECUTOR = 'events' if events_executor_safe(rclpy_version()) else 'single-threaded'

# A node with a 20 Hz timer whose every tick also awaits a future completed by a worker
# thread (as the agent's load_policy callback awaits validation).
NODE = """
import gc, sys, threading
import rclpy
from rclpy.node import Node
from rclpy.task import Future
from dreamstride_agent.spinning import executor_name, make_executor
from spot_description.spin_loop import spin

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


@pytest.mark.slow
@pytest.mark.parametrize('kind', ['events', 'single'])
def test_spin_runs_timers_and_coroutines_and_stops_on_sigint(kind, ros_env):
    if kind == 'events' and DEFAULT_EXECUTOR != 'events':
        pytest.skip(f'rclpy {rclpy_version()}: the project does not use its events executor')
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


# A service whose callback is a coroutine that awaits a worker thread, as the agent's
# load_policy does, spun the way the agent spins (make_executor, spin).
SERVER = """
import threading
import rclpy
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.task import Future
from std_srvs.srv import Trigger
from dreamstride_agent.spinning import executor_name, make_executor
from spot_description.spin_loop import spin

rclpy.init()
node = Node('coroutine_service_probe')
answered = [0]

async def on_trigger(request, response):
    done = Future(executor=node.executor)
    threading.Thread(target=lambda: done.set_result('validated')).start()
    response.message = await done
    response.success = True
    answered[0] += 1
    return response

node.create_service(
    Trigger, 'coroutine_probe', on_trigger, callback_group=ReentrantCallbackGroup()
)
executor = make_executor()
executor.add_node(node)
print('executor', executor_name(executor), flush=True)
try:
    spin(executor)
except KeyboardInterrupt:
    pass
print('answered', answered[0], flush=True)
executor.shutdown(timeout_sec=1.0)
node.destroy_node()
rclpy.try_shutdown()
"""

CLIENT = """
import rclpy
from rclpy.node import Node
from std_srvs.srv import Trigger

rclpy.init()
node = Node('coroutine_service_client')
client = node.create_client(Trigger, 'coroutine_probe')
assert client.wait_for_service(timeout_sec=20.0), 'no service'
for _ in range(3):
    future = client.call_async(Trigger.Request())
    rclpy.spin_until_future_complete(node, future, timeout_sec=10.0)
    result = future.result()
    print('response', None if result is None else (result.success, result.message), flush=True)
node.destroy_node()
rclpy.try_shutdown()
"""


@pytest.mark.parametrize('kind', ['default', 'single'])
def test_coroutine_service_callback_answers_on_each_executor(kind, ros_env):
    """An ``async def`` service callback answers over DDS on the executor make_executor()
    picks on this rclpy and on the single-threaded fallback. The events executor of rclpy
    before 7.1.11 passed the coroutine itself to send_response and died (issue 26)."""
    env = dict(ros_env)
    env.pop('DREAMSTRIDE_EXECUTOR', None)
    if kind == 'single':
        env['DREAMSTRIDE_EXECUTOR'] = 'single'
    server = subprocess.Popen(
        [sys.executable, '-c', SERVER],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        picked = server.stdout.readline().split()
        client = subprocess.run(
            [sys.executable, '-c', CLIENT], env=env, capture_output=True, text=True, timeout=90
        )
        alive = server.poll() is None
        if alive:
            server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=10.0)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert client.returncode == 0, client.stderr[-2000:] + '\n--- server ---\n' + err[-3000:]
    assert client.stdout.split('\n')[:3] == ["response (True, 'validated')"] * 3, (
        client.stdout + '\n--- server stderr ---\n' + err[-3000:]
    )
    assert alive, f'the server died answering: {err[-3000:]}'
    assert server.returncode == 0, err[-3000:]
    assert 'never awaited' not in err, err[-3000:]
    assert out.split() == ['answered', '3']
    want = DEFAULT_EXECUTOR if kind == 'default' else 'single-threaded'
    assert picked == ['executor', want]


@pytest.mark.parametrize(
    ('version', 'safe'),
    [
        (None, False),
        ((7, 1, 6), False),
        ((7, 1, 10), False),
        ((7, 1, 11), True),
        ((7, 2, 0), True),
        ((8, 0, 0), False),
        ((9, 1, 1), False),
        ((9, 1, 2), True),
        ((9, 2), True),
        ((10, 0, 0), False),
        ((10, 0, 1), True),
        ((11,), True),
        ((6, 9, 9), False),
    ],
)
def test_events_executor_only_where_rclpy_runs_coroutine_service_callbacks(version, safe):
    assert events_executor_safe(version) is safe


def test_rclpy_version_is_read():
    import rclpy

    version = rclpy_version()
    assert version is not None and len(version) == 3, version
    # The project's pins: Jazzy's 7.x or Kilted's 9.x, or anything later.
    assert version[0] >= 7, (version, rclpy.__file__)
