# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The environment of every ROS process a workspace test starts.

Plain, so that fixtures of any scope use it: conftest.py's ``ros_env`` (per test) and the
fault harness's node processes (per module).
"""

from __future__ import annotations

import os


def ros_process_env() -> dict[str, str]:
    """Environment for a ROS process started by a test (loopback only, own domain)."""
    env = dict(os.environ)
    env['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
    env['ROS_DOMAIN_ID'] = os.environ['DREAMSTRIDE_TEST_DOMAIN_ID']
    env['PYTHONUNBUFFERED'] = '1'
    return env
