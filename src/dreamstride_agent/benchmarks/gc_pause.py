# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""How long one full pass of Python's garbage collector takes in a node's process.

    cd src/dreamstride_agent && python -m benchmarks.gc_pause
    python -m benchmarks.gc_pause --module spot_mujoco.sim_node

Imports the node's module (torch, rclpy, MuJoCo: what start-up loads), then times three
full collections before and three after ``gc.freeze()``, which is what
``spot_description.spin_loop.freeze_startup_objects`` does before the nodes spin. A full
pass walks every tracked object, so before the freeze it is the pause a control tick can
meet.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import time


def full_passes(count: int = 3) -> list[float]:
    """Return the wall time (ms) of ``count`` full collections."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        gc.collect()
        times.append(1e3 * (time.perf_counter() - start))
    return times


def main(argv: list[str] | None = None) -> None:
    """Print objects tracked and full-pass times before and after the freeze."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--module', default='dreamstride_agent.acting.agent_node')
    args = parser.parse_args(argv)
    importlib.import_module(args.module)
    tracked = len(gc.get_objects())
    before = full_passes()
    gc.freeze()
    after = full_passes()
    print(
        f'{args.module}: {tracked} objects tracked; full GC pass '
        f'{min(before):.1f}-{max(before):.1f} ms, after gc.freeze() '
        f'{min(after):.2f}-{max(after):.2f} ms'
    )


if __name__ == '__main__':
    main()
