# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Declaring node parameters (config_fields.ParameterSpec) with their types and descriptions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dreamstride_agent.config_fields import ParameterSpec
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node


def declare(node: Node, params: Iterable[ParameterSpec]) -> dict[str, Any]:
    """Declare every parameter on ``node`` and return their current values by name."""
    values = {}
    for p in params:
        node.declare_parameter(p.name, p.default, ParameterDescriptor(description=p.description))
        values[p.name] = node.get_parameter(p.name).value
    return values
