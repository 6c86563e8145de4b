# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Node parameters as a table of ParameterSpec, declared one way by every node.

A node keeps its parameters in a table of :class:`ParameterSpec` (name, default,
description, read-only) and declares them with :func:`declare`: the simulator's node
(spot_mujoco) and the agent's, recorder's and learner's nodes (dreamstride_agent) alike.
It lives here, in the package both depend on, because a simulator must not import the
learning package.

The table imports without rclpy, so ROS-free cores (the agent's, recorder's and
learner's settings) build their tables from here too; rclpy and rcl_interfaces are
imported by :func:`declare` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from rclpy.node import Node


class ParameterSpec(NamedTuple):
    """One ROS parameter of a node.

    ``default`` fixes the parameter's type: a value of another type is refused, from
    the command line, a parameter file or ``set_parameters``. A ``read_only`` parameter
    is read once at start; setting it while the node runs is refused.
    """

    name: str
    default: Any
    description: str
    read_only: bool = False


def declare(node: Node, specs: Iterable[ParameterSpec]) -> dict[str, Any]:
    """Declare every parameter of ``specs`` on ``node``; return their values by name.

    A value given to the node (``parameter_overrides``, ``--ros-args -p``, a parameter
    file) wins over the default; one of another type than the default raises rclpy's
    InvalidParameterTypeException.
    """
    from rcl_interfaces.msg import ParameterDescriptor

    values = {}
    for spec in specs:
        descriptor = ParameterDescriptor(description=spec.description, read_only=spec.read_only)
        values[spec.name] = node.declare_parameter(spec.name, spec.default, descriptor).value
    return values
