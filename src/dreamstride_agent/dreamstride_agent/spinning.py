# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The executor the control-rate nodes spin on (``spot_description.spin_loop`` spins it).

rclpy's Python executors rebuild and scan the whole wait set (subscriptions, timers,
the clock's subscription, the parameter services) in Python on every wake-up. At 20 Hz
with four messages and a timer per period the agent used 0.137 cores on it against
0.094 on the events executor (``dreamstride benchmark``, A/B with
``DREAMSTRIDE_EXECUTOR=single``). rclpy's ``EventsExecutor`` (``rclpy.experimental``)
keeps the queue in C++ and calls into Python only to run a callback.

Jazzy's rclpy (7.x) has it too, but before 7.1.11 it cannot run an ``async def``
service callback (ros2/rclpy#1473, fixed by #1478): it hands the coroutine itself to
``send_response``, which raises ``TypeError`` and kills the node. The agent's
``load_policy`` callback is a coroutine, so on rclpy 7.1.6 (PyPI's ``ros-jazzy-*``
wheels, older Jazzy apt installs) the agent died at the first policy push. The events
executor is therefore used only where rclpy's version has the fix (7.x >= 7.1.11,
9.x >= 9.1.2, 10.x >= 10.0.1, any later major); everywhere else, and where the version
cannot be read, the nodes spin on the ``SingleThreadedExecutor`` they used before.

The events executor's own ``spin()`` stays in C++ and never returns to the interpreter,
so a SIGINT is not seen until something else wakes it; the nodes spin it with
``spot_description.spin_loop.spin``, which returns to Python at least every ``wake``
seconds.

One difference to mind: the events executor passes a ``TimerInfo`` to any timer
callback that accepts a positional argument (the Python executors only to a parameter
annotated ``TimerInfo``), so timer callbacks here take no parameters.
"""

from __future__ import annotations

from importlib import metadata
import os
import re

from rclpy.context import Context
from rclpy.executors import Executor, SingleThreadedExecutor

# Set to 'single' to force the Python single-threaded executor (for A/B measurements).
EXECUTOR_ENV = 'DREAMSTRIDE_EXECUTOR'

# The first rclpy release of each major line whose events executor runs coroutine
# service callbacks (ros2/rclpy#1478). Majors before the smallest one here never had the
# fix; majors after the largest are later than it.
EVENTS_EXECUTOR_FIXED_IN = {7: (7, 1, 11), 9: (9, 1, 2), 10: (10, 0, 1)}


def rclpy_version() -> tuple[int, ...] | None:
    """Return the version of rclpy as a tuple of ints, or None where it cannot be read.

    PyPI's wheels carry it as the ``ros-rclpy`` distribution; an apt or source install
    has it in rclpy's ``package.xml``, found through the ament index.
    """
    try:
        text = metadata.version('ros-rclpy')
    except metadata.PackageNotFoundError:
        try:
            from ament_index_python.packages import get_package_share_directory

            xml = os.path.join(get_package_share_directory('rclpy'), 'package.xml')
            with open(xml, encoding='utf-8') as f:
                found = re.search(r'<version>\s*([^<\s]+)\s*</version>', f.read())
            text = found.group(1) if found else ''
        except Exception:  # noqa: BLE001 - no ament index or no package.xml: unknown
            text = ''
    numbers = re.match(r'(\d+)(?:\.(\d+))?(?:\.(\d+))?', text)
    if not numbers:
        return None
    return tuple(int(n) for n in numbers.groups() if n is not None)


def events_executor_safe(version: tuple[int, ...] | None) -> bool:
    """Whether rclpy ``version``'s events executor runs coroutine service callbacks."""
    if not version:
        return False
    major = version[0]
    if major > max(EVENTS_EXECUTOR_FIXED_IN):
        return True
    fixed = EVENTS_EXECUTOR_FIXED_IN.get(major)
    if fixed is None:  # 8.x (Rolling between Jazzy and Kilted) and anything before 7
        return False
    return tuple(version) + (0,) * (3 - len(version)) >= fixed


def make_executor(context: Context | None = None) -> Executor:
    """Return an events executor where rclpy's is safe to use, else a single-threaded one.

    Safe means it exists and runs ``async def`` service callbacks (module docstring).
    """
    if os.environ.get(EXECUTOR_ENV, 'events') != 'single' and events_executor_safe(
        rclpy_version()
    ):
        try:
            from rclpy.experimental import EventsExecutor
        except ImportError:
            pass
        else:
            return EventsExecutor(context=context)
    return SingleThreadedExecutor(context=context)


def executor_name(executor: Executor) -> str:
    """Return a short name for the log line that says which executor runs."""
    return 'events' if 'EventsExecutor' in type(executor).__name__ else 'single-threaded'
