# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Turn a generated ROS 2 message into plain Python data, field by field."""

from __future__ import annotations

import array
import hashlib
from typing import Any


def to_plain(msg: Any) -> Any:
    """Convert a message (recursively) to dicts, lists and scalars.

    Large byte arrays are replaced by their length and SHA-256 so the result
    stays small enough to send back over a topic.
    """
    if hasattr(msg, 'get_fields_and_field_types'):
        return {name: to_plain(getattr(msg, name)) for name in msg.get_fields_and_field_types()}
    if isinstance(msg, (bytes, bytearray)) or (
        isinstance(msg, array.array) and msg.typecode == 'B'
    ):
        data = bytes(msg)
        return {'len': len(data), 'sha256': hashlib.sha256(data).hexdigest()}
    if isinstance(msg, (list, tuple, array.array)) or type(msg).__name__ == 'ndarray':
        return [to_plain(x) for x in msg]
    if type(msg).__module__ == 'numpy':  # an element of a fixed-size array (numpy scalar)
        msg = msg.item()
    if isinstance(msg, float):
        return round(msg, 5)
    return msg
