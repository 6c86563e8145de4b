# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""What the Spot plugin is told: its URDF properties and its process's ROS arguments.

:class:`PluginConfig` parses the plugin properties that webots_ros2_driver passes (strings,
all optional; the table is in :mod:`spot_webots.spot_plugin`'s docstring) and refuses a
wrong one by name; :func:`namespace_from_arguments` and :func:`process_arguments` find the
namespace the driver was started in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
from pathlib import Path
import sys

from spot_webots import conversion, poses

_OFFSET_PROPERTIES = {
    'zeroOffsetHipX': 'hip_x',
    'zeroOffsetHipY': 'hip_y',
    'zeroOffsetKnee': 'knee',
}


@dataclass(frozen=True)
class PluginConfig:
    """The plugin's settings, read from the URDF's plugin properties."""

    namespace: str | None = None
    publish_rate: float = 50.0
    initial_pose: str = 'standing'
    seed: int = 0
    camera_enabled: bool = False
    camera_name: str = 'left head camera'
    camera_width: int = 64
    camera_height: int = 64
    camera_rate: float = 20.0
    zero_offsets: dict[str, float] = field(default_factory=lambda: dict(conversion.ZERO_OFFSET))
    unknown: tuple[str, ...] = ()  # property names not understood (reported, not fatal)

    @classmethod
    def from_properties(cls, properties: dict[str, str]) -> PluginConfig:
        """Parse the properties; raise ValueError naming the property that is wrong."""
        p = {k: v.strip() if isinstance(v, str) else v for k, v in (properties or {}).items()}

        def number(name: str, default: float, kind=float, positive: bool = True):
            if name not in p:
                return default
            try:
                value = kind(p[name])
            except ValueError:
                raise ValueError(f'plugin property {name}: not a number: {p[name]!r}') from None
            if not math.isfinite(value) or (positive and value <= 0):
                raise ValueError(
                    f'plugin property {name}: must be a positive number, got {p[name]!r}'
                )
            return value

        def flag(name: str, default: bool) -> bool:
            value = p.get(name, str(default)).lower()
            if value not in ('true', 'false', '1', '0'):
                raise ValueError(
                    f'plugin property {name}: expected true or false, got {p[name]!r}'
                )
            return value in ('true', '1')

        initial_pose = p.get('initialPose', cls.initial_pose)
        if initial_pose not in poses.POSES:
            raise ValueError(
                f'plugin property initialPose: expected one of {poses.POSES}, got {initial_pose!r}'
            )
        offsets = dict(conversion.ZERO_OFFSET)
        for name, kind in _OFFSET_PROPERTIES.items():
            offsets[kind] = number(name, offsets[kind], positive=False)
        known = {
            'namespace',
            'publishRate',
            'initialPose',
            'seed',
            'cameraEnabled',
            'cameraName',
            'cameraWidth',
            'cameraHeight',
            'cameraRate',
            *_OFFSET_PROPERTIES,
        }
        return cls(
            namespace=p.get('namespace'),
            publish_rate=number('publishRate', cls.publish_rate),
            initial_pose=initial_pose,
            seed=number('seed', cls.seed, kind=int, positive=False),
            camera_enabled=flag('cameraEnabled', cls.camera_enabled),
            camera_name=p.get('cameraName', cls.camera_name),
            camera_width=number('cameraWidth', cls.camera_width, kind=int),
            camera_height=number('cameraHeight', cls.camera_height, kind=int),
            camera_rate=number('cameraRate', cls.camera_rate),
            zero_offsets=offsets,
            unknown=tuple(sorted(set(p) - known)),
        )


def namespace_from_arguments(arguments: list[str]) -> str | None:
    """Return the namespace that ROS arguments (``--ros-args -r __ns:=/spot``) give a process."""
    namespace, in_ros_args = None, False
    items = iter(arguments)
    for item in items:
        if item == '--ros-args':
            in_ros_args = True
        elif item == '--':
            in_ros_args = False
        elif in_ros_args and item in ('-r', '--remap'):
            rule = next(items, '')
            if rule.startswith('__ns:='):
                namespace = rule[len('__ns:=') :]
    return namespace


def process_arguments() -> list[str]:
    """Command line of this process: the driver's, with WebotsController's ROS arguments.

    Embedded in webots_ros2_driver, Python's ``sys.argv`` is empty; Linux keeps the real
    one in /proc.
    """
    try:
        raw = Path('/proc/self/cmdline').read_bytes()
        return [a.decode(errors='replace') for a in raw.split(b'\0') if a]
    except OSError:
        return list(sys.argv)
