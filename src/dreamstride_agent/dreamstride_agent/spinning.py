# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The executor the control-rate nodes spin on, and the loop that spins it.

rclpy's Python executors rebuild and scan the whole wait set (subscriptions, timers,
the clock's subscription, the parameter services) in Python on every wake-up. At 20 Hz
with four messages and a timer per period the agent used 0.137 cores on it against
0.094 on the events executor (``dreamstride benchmark``, A/B with
``DREAMSTRIDE_EXECUTOR=single``). rclpy's ``EventsExecutor`` (``rclpy.experimental``,
rclpy 9 / Kilted and later) keeps the queue in C++ and calls into Python only to run a
callback. Where it is missing (older rclpy), the nodes fall back to the
``SingleThreadedExecutor``.

The events executor's own ``spin()`` stays in C++ and never returns to the interpreter,
so a SIGINT is not seen until something else wakes it. :func:`spin` therefore loops
over ``spin_once`` with a short timeout: the interpreter gets control after every
callback (at least every ``wake`` seconds) and raises ``KeyboardInterrupt`` as usual.

One difference to mind: the events executor passes a ``TimerInfo`` to any timer
callback that accepts a positional argument (the Python executors only to a parameter
annotated ``TimerInfo``), so timer callbacks here take no parameters.
"""

from __future__ import annotations

import gc
import os

import rclpy
from rclpy.context import Context
from rclpy.executors import Executor, ExternalShutdownException, SingleThreadedExecutor

# Set to 'single' to force the Python single-threaded executor (for A/B measurements).
EXECUTOR_ENV = 'DREAMSTRIDE_EXECUTOR'


def make_executor(context: Context | None = None) -> Executor:
    """Return an events executor where rclpy has one, else a single-threaded one."""
    if os.environ.get(EXECUTOR_ENV, 'events') != 'single':
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


def freeze_startup_objects() -> None:
    """Keep what start-up built (torch, rclpy, the node) out of full GC passes.

    An agent process holds about 222,000 objects after start-up. A full collection of
    the cyclic garbage collector walks them all: 113-140 ms on the quiet 2-core machine
    (``python -m benchmarks.gc_pause``), several control periods, at a moment the
    collector chooses (rarely: one deadline miss in 10 minutes). After ``gc.freeze()``
    they sit in a permanent generation and a full collection takes well under a
    millisecond.
    """
    gc.collect()
    gc.freeze()


def spin(executor: Executor, context: Context | None = None, wake: float = 0.1) -> None:
    """Spin until the context shuts down, returning to Python at least every ``wake`` s.

    Start-up objects are frozen first (:func:`freeze_startup_objects`).
    """
    context = context or rclpy.get_default_context()
    freeze_startup_objects()
    while context.ok():
        try:
            executor.spin_once(timeout_sec=wake)
        except ExternalShutdownException:
            # rclpy's SIGINT handler shut the context down while spin_once waited:
            # that is the stop we loop for, not an error.
            return
