# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Dataclass fields that carry their description, so a default and its meaning live once.

The agent's configuration dataclasses declare every field with :func:`described`; the
agent's, the recorder's and the learner's ROS parameters (their defaults and
descriptions) are read from these fields into tables of
:class:`spot_description.parameters.ParameterSpec` (see
:mod:`dreamstride_agent.acting.agent_parameters`,
:func:`dreamstride_agent.recording.recorder_core.recorder_parameters` and
:func:`dreamstride_agent.learning.learner_core.learner_parameters`), so nothing restates them.
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
import math
from typing import Any

DESCRIPTION = 'description'
RANGE = 'range'


def described(
    description: str,
    default: Any = dataclasses.MISSING,
    *,
    factory: Callable[[], Any] | None = None,
    low: float = -math.inf,
    high: float = math.inf,
) -> Any:
    """Return a dataclass field with ``default`` (or ``factory``) and its ``description``.

    ``low`` and ``high`` (inclusive; infinite: unbounded) bound a number:
    :func:`check_ranges` refuses a value outside them or not finite, and the node's
    parameter carries them as its range.
    """
    if not description.strip():
        raise ValueError('a described field needs a non-empty description')
    if (default is dataclasses.MISSING) == (factory is None):
        raise ValueError('a described field needs exactly one of default and factory')
    metadata: dict[str, Any] = {DESCRIPTION: description}
    if (low, high) != (-math.inf, math.inf):
        if not low <= default <= high:
            raise ValueError(f'default {default!r} lies outside [{low}, {high}]')
        metadata[RANGE] = (low, high)
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def range_of(cls: type, name: str) -> tuple[float, float] | None:
    """Return the (low, high) bounds of field ``name`` of dataclass ``cls``, or None."""
    return _field(cls, name).metadata.get(RANGE)


def check_ranges(settings: Any) -> None:
    """Raise ValueError naming the first field of ``settings`` outside its bounds."""
    for f in dataclasses.fields(settings):
        bounds = f.metadata.get(RANGE)
        value = getattr(settings, f.name)
        # NaN fails the comparison; an infinite end means unbounded, not that infinity
        # is a value (as the ROS range of the same field refuses it).
        if bounds is not None and not (bounds[0] <= value <= bounds[1] and math.isfinite(value)):
            raise ValueError(f'{f.name} must be in [{bounds[0]}, {bounds[1]}], got {value}')


def _field(cls: type, name: str) -> dataclasses.Field:
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f
    raise KeyError(f'{cls.__name__} has no field {name!r}')


def description_of(cls: type, name: str) -> str:
    """Return the description of field ``name`` of dataclass ``cls``."""
    metadata = _field(cls, name).metadata
    if DESCRIPTION not in metadata:
        raise ValueError(f'{cls.__name__}.{name} has no description')
    return metadata[DESCRIPTION]
