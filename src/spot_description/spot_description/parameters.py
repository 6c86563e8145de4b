# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Node parameters as a table of ParameterSpec, declared one way by every node.

A node keeps its parameters in a table of :class:`ParameterSpec` (name, default,
description, read-only, range) and declares them with :func:`declare`: the simulator's node
(spot_mujoco) and the agent's, recorder's and learner's nodes (dreamstride_agent) alike.
It lives here, in the package both depend on, because a simulator must not import the
learning package.

The table imports without rclpy, so ROS-free cores (the agent's, recorder's and
learner's settings) build their tables from here too; rclpy and rcl_interfaces are
imported by :func:`declare` only.
"""

from __future__ import annotations

from collections.abc import Iterable
import math
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from rclpy.node import Node


class ParameterSpec(NamedTuple):
    """One ROS parameter of a node.

    ``default`` fixes the parameter's type: a value of another type is refused, from
    the command line, a parameter file or ``set_parameters``. A ``read_only`` parameter
    is read once at start; setting it while the node runs is refused. ``range``
    (inclusive; an end may be infinite, meaning unbounded) is the descriptor's integer or
    floating-point range: ``ros2 param describe`` shows it and rclpy refuses a value
    outside it, and NaN and infinities always.
    """

    name: str
    default: Any
    description: str
    read_only: bool = False
    range: tuple[float, float] | None = None


def declare(node: Node, specs: Iterable[ParameterSpec]) -> dict[str, Any]:
    """Declare every parameter of ``specs`` on ``node``; return their values by name.

    A value given to the node (``parameter_overrides``, ``--ros-args -p``, a parameter
    file) wins over the default; one of another type than the default raises rclpy's
    InvalidParameterTypeException, one outside the range its InvalidParameterValueException
    (both name the parameter).
    """
    from rcl_interfaces.msg import ParameterDescriptor

    values = {}
    for spec in specs:
        descriptor = ParameterDescriptor(description=spec.description, read_only=spec.read_only)
        if spec.range is not None:
            _add_range(descriptor, spec)
        values[spec.name] = node.declare_parameter(spec.name, spec.default, descriptor).value
    return values


INT64 = (-(2**63), 2**63 - 1)


def _add_range(descriptor: Any, spec: ParameterSpec) -> None:
    from rcl_interfaces.msg import FloatingPointRange, IntegerRange

    low, high = spec.range
    if isinstance(spec.default, bool) or not isinstance(spec.default, int | float):
        raise TypeError(f'{spec.name}: a range needs an integer or float default')
    if isinstance(spec.default, int):
        # Step 0: any integer in between (rcl_interfaces' convention, also for floats).
        low = INT64[0] if low == -math.inf else int(low)
        high = INT64[1] if high == math.inf else int(high)
        descriptor.integer_range = [IntegerRange(from_value=low, to_value=high, step=0)]
    else:
        # An infinite end stands for "no bound" and becomes the largest finite float, so
        # the range refuses infinity itself: no rate, gain, noise or time can use it (an
        # infinite real_time_factor stopped the simulation on its first step).
        low = max(float(low), -sys.float_info.max)
        high = min(float(high), sys.float_info.max)
        descriptor.floating_point_range = [
            FloatingPointRange(from_value=low, to_value=high, step=0.0)
        ]
