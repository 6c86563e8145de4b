# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Read ROS 2 parameter files as rcl reads them, without a node.

What a launched node gets from its ``--params-file`` arguments (the graph's parameter
files, then ``--config``), for code that needs the same values in-process, such as the
in-process evaluation and the tests of the files under ``config/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
import re
from typing import Any

import yaml


def _section_pattern(key: str) -> re.Pattern:
    """Compile a parameter file's node key (``/**``, ``/**/agent``, ``/spot/agent``)."""
    parts = []
    for segment in key.strip('/').split('/'):
        if segment == '**':
            parts.append('(?:/[^/]+)*')  # any number of namespace levels
        else:
            parts.append('/' + re.escape(segment).replace(r'\*', '[^/]*'))
    return re.compile(''.join(parts))


def _flatten(values: Mapping[str, Any], prefix: str = '') -> dict[str, Any]:
    """Return nested parameter maps as rcl names them (``a: {b: 1}`` is ``a.b``)."""
    flat: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f'{prefix}{name}.'))
        else:
            flat[f'{prefix}{name}'] = value
    return flat


def read_parameter_files(paths: Iterable[Path | str], node_fqn: str) -> dict[str, Any]:
    """Return the parameters that the files ``paths`` give the node ``node_fqn``.

    As rcl does: the files' sections are merged in order (a later file wins), and the
    ``/**`` sections are applied before the sections naming the node (``/**/agent``,
    ``/spot/agent``), whichever file those come from.
    """
    wildcard: dict[str, Any] = {}
    specific: dict[str, Any] = {}
    for path in paths:
        data = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(data, Mapping):
            raise ValueError(f'{path}: a parameter file maps node names to ros__parameters')
        for key, section in data.items():
            params = (
                (section or {}).get('ros__parameters') if isinstance(section, Mapping) else None
            )
            if not isinstance(params, Mapping):
                raise ValueError(f'{path}: section {key!r} has no ros__parameters map')
            if not _section_pattern(str(key)).fullmatch(node_fqn):
                continue
            (wildcard if str(key).strip('/') == '**' else specific).update(_flatten(params))
    return {**wildcard, **specific}
