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
from typing import Any

DESCRIPTION = 'description'


def described(
    description: str,
    default: Any = dataclasses.MISSING,
    *,
    factory: Callable[[], Any] | None = None,
) -> Any:
    """Return a dataclass field with ``default`` (or ``factory``) and its ``description``."""
    if not description.strip():
        raise ValueError('a described field needs a non-empty description')
    if (default is dataclasses.MISSING) == (factory is None):
        raise ValueError('a described field needs exactly one of default and factory')
    metadata = {DESCRIPTION: description}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def description_of(cls: type, name: str) -> str:
    """Return the description of field ``name`` of dataclass ``cls``."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            if DESCRIPTION not in f.metadata:
                raise ValueError(f'{cls.__name__}.{name} has no description')
            return f.metadata[DESCRIPTION]
    raise KeyError(f'{cls.__name__} has no field {name!r}')
