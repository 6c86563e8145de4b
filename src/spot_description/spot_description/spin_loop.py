# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The loop every node's main() spins: :func:`run_node` and the :func:`spin` under it.

It lives here, below both the simulator and the learning system, so that the simulation
node runs the same skeleton as the agent, the recorder and the learner without
importing ``dreamstride_agent`` (which executor each node spins on is its own choice:
``dreamstride_agent.spinning`` picks the agent side's).

The events executor's own ``spin()`` stays in C++ and never returns to the interpreter,
so a SIGINT is not seen until something else wakes it. :func:`spin` therefore loops
over ``spin_once`` with a short timeout: the interpreter gets control after every
callback (at least every ``wake`` seconds) and raises ``KeyboardInterrupt`` as usual.
"""

from __future__ import annotations

from collections.abc import Callable
import gc

import rclpy
from rclpy.context import Context
from rclpy.executors import Executor, ExternalShutdownException
from rclpy.node import Node


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


def spin(
    executor: Executor,
    context: Context | None = None,
    wake: float = 0.1,
    until: Callable[[], bool] | None = None,
) -> None:
    """Spin until the context shuts down, returning to Python at least every ``wake`` s.

    ``until``, if given, is asked after every wake-up and ends the spin when true (the
    learner stops when its training thread fails). Start-up objects are frozen first
    (:func:`freeze_startup_objects`).
    """
    context = context or rclpy.get_default_context()
    freeze_startup_objects()
    while context.ok() and not (until is not None and until()):
        try:
            executor.spin_once(timeout_sec=wake)
        except ExternalShutdownException:
            # rclpy's SIGINT handler shut the context down while spin_once waited:
            # that is the stop we loop for, not an error.
            return


def run_node(
    node: Node,
    executor: Executor,
    close: Callable[[], None] | None = None,
    wake: float = 0.1,
    until: Callable[[], bool] | None = None,
) -> None:
    """Spin ``node`` on ``executor`` until shut down, then clean up: every node's main().

    SIGINT (``KeyboardInterrupt``), an external shutdown, and the ``RuntimeError`` a take
    raises when SIGINT shuts the context down in the middle of it are a clean stop; an
    error while the context is still up is raised after the clean-up. ``close``, if
    given, runs first on the way out, whatever stopped the spin (the recorder closes its
    open segment, the learner stops training and writes its checkpoint).
    """
    executor.add_node(node)
    try:
        spin(executor, node.context, wake, until)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except RuntimeError:
        if node.context.ok():
            raise
    finally:
        if close is not None:
            close()
        executor.shutdown(timeout_sec=1.0)
        node.destroy_node()
        rclpy.try_shutdown()
