# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Declaring node parameters with types and descriptions from one table per node."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node


@dataclass(frozen=True)
class Param:
    """A node parameter: name, default (which fixes its type) and what it means."""

    name: str
    default: Any
    description: str


def declare(node: Node, params: list[Param]) -> dict[str, Any]:
    """Declare every parameter on ``node`` and return their current values by name."""
    values = {}
    for p in params:
        node.declare_parameter(p.name, p.default, ParameterDescriptor(description=p.description))
        values[p.name] = node.get_parameter(p.name).value
    return values
