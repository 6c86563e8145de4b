# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The agent node's ROS parameters, defined once and without ROS.

Each parameter that shapes the agent's behaviour is one field of :class:`AgentConfig`
(or of its :class:`CommandConfig` and :class:`RewardConfig`): its default and its
description live on that field. :data:`CONFIG_PARAMETERS` names the flat ROS parameter
of each such field (today's names, e.g. ``reward_gate`` for ``RewardConfig.gate``);
:data:`NODE_PARAMETERS` holds the few parameters only the node itself reads. The agent
node declares :func:`agent_parameters`, and it and the in-process evaluator build their
configuration from parameter values with :func:`agent_config_from_parameters`, so a
launched agent and an evaluation with the same parameter files act alike.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from typing import Any

from dreamstride_agent.acting.agent_core import AgentConfig
from dreamstride_agent.acting.observation import TWIST_FRAMES
from dreamstride_agent.acting.velocity_command import VelocityCommandConfig
from dreamstride_agent.config_fields import description_of, range_of
from spot_description.parameters import ParameterSpec

# ROS parameter name -> path of the AgentConfig field it sets (a dict field's key last).
CONFIG_PARAMETERS: dict[str, tuple[str, ...]] = {
    'control_rate': ('command', 'control_rate'),
    'episode_length': ('episode_length',),
    'max_sensor_age': ('max_sensor_age',),
    'hold_mode': ('hold_mode',),
    'dry_run': ('dry_run',),
    'self_right_after': ('self_right_after',),
    'joint_velocities': ('joint_velocities',),
    'orientation_input': ('orientation_input',),
    'filter_cutoff': ('command', 'filter_cutoff'),
    'max_step': ('command', 'max_step'),
    'action_scale_hip_x': ('command', 'action_scale', 'hip_x'),
    'action_scale_hip_y': ('command', 'action_scale', 'hip_y'),
    'action_scale_knee': ('command', 'action_scale', 'knee'),
    'command_input': ('command_input',),
    'yaw_rate_input': ('yaw_rate_input',),
    'velocity_reward': ('reward', 'velocity_reward'),
    'velocity_target': ('reward', 'velocity_target'),
    'tracking_linear_scale': ('reward', 'linear_scale'),
    'tracking_yaw_rate_sigma': ('reward', 'yaw_rate_sigma'),
    'tracking_average_time': ('reward', 'velocity_average_time'),
    'reward_gate': ('reward', 'gate'),
    'policy_sample': ('sample_actions',),
    # The velocity command: a parameter group (velocity_command: {source: ...} in YAML).
    **{
        f'velocity_command.{f.name}': ('velocity_command', f.name)
        for f in dataclasses.fields(VelocityCommandConfig)
    },
}

# Parameters the node reads itself (ROS wiring, policy loading); the evaluator does not.
NODE_PARAMETERS: tuple[ParameterSpec, ...] = (
    ParameterSpec('camera', False, 'Attach the latest camera/image to each Step.'),
    ParameterSpec('max_policy_bytes', 64 * 1024 * 1024, 'Largest accepted policy file (bytes).'),
    ParameterSpec('seed', 0, 'Seed of the random exploration (0: from the OS).'),
    ParameterSpec('robot_name', '', 'Robot name written into each Step (default: the namespace).'),
    ParameterSpec(
        'policy_checkpoint',
        '',
        'Act with this learner checkpoint from the start (evaluation); empty: act '
        'randomly until the learner pushes a policy.',
    ),
    ParameterSpec(
        'wait_for_recorder',
        False,
        'Take no step until a replay recorder subscribes to the steps, so a run '
        'records from its first step (training graphs set it).',
    ),
    ParameterSpec(
        'odometry_twist_frame',
        'body',
        f'Frame of the odometry twist, one of {list(TWIST_FRAMES)}: body (the '
        "contract, nav_msgs' child frame) or odom (spot_ros2's spot_driver).",
    ),
)


def _field_spec(name: str, path: tuple[str, ...]) -> ParameterSpec:
    """Read the default, description and range of the AgentConfig field at ``path``."""
    cls: type = AgentConfig
    value: Any = AgentConfig()
    description, bounds = '', None
    for key in path:
        if dataclasses.is_dataclass(value):
            description, bounds = description_of(cls, key), range_of(cls, key)
            value = getattr(value, key)
            cls = type(value)
        else:  # a dict field: one parameter per key, sharing the field's description
            value = value[key]
    return ParameterSpec(name, value, description, range=bounds)


def agent_parameters() -> list[ParameterSpec]:
    """Return every parameter the agent node declares, with default and description."""
    return [_field_spec(n, p) for n, p in CONFIG_PARAMETERS.items()] + list(NODE_PARAMETERS)


def parameter_defaults() -> dict[str, Any]:
    """Return the default of every agent parameter by name."""
    return {p.name: p.default for p in agent_parameters()}


def _checked(name: str, value: Any, default: Any) -> Any:
    """Return ``value`` if it has the parameter's type (an int counts as a float)."""
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not expected:
        raise ValueError(
            f'agent parameter {name}: expected a {expected.__name__} like '
            f'{default!r}, got {value!r}'
        )
    return value


def agent_config_from_parameters(values: Mapping[str, Any]) -> AgentConfig:
    """Build the AgentConfig that agent parameter ``values`` (by name) describe.

    Parameters not given keep their defaults; node-only parameters are ignored here;
    an unknown name, a value of the wrong type or an invalid value raises ValueError.
    """
    defaults = parameter_defaults()
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise ValueError(
            f'unknown agent parameter(s) {unknown}; the agent declares {sorted(defaults)}'
        )
    tree: dict[str, Any] = {}
    for name, path in CONFIG_PARAMETERS.items():
        if name in values:
            node = tree
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = _checked(name, values[name], defaults[name])
    return _build(AgentConfig, tree)


def _build(cls: type, tree: dict[str, Any]) -> Any:
    """Construct dataclass ``cls`` with the values in ``tree`` over its defaults."""
    default = cls()
    kwargs: dict[str, Any] = {}
    for key, value in tree.items():
        current = getattr(default, key)
        if dataclasses.is_dataclass(current):
            kwargs[key] = _build(type(current), value)
        elif isinstance(current, dict):
            kwargs[key] = {**current, **value}
        else:
            kwargs[key] = value
    return cls(**kwargs)
