# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Test session settings shared by every test in the workspace.

Every ROS process a test starts inherits this environment: discovery stays on
this host, and the session gets its own ROS domain so parallel runs never see
each other.
"""

import os
import random

import pytest

os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
os.environ.setdefault('RMW_IMPLEMENTATION', 'rmw_fastrtps_cpp')
if 'DREAMSTRIDE_TEST_DOMAIN_ID' not in os.environ:
    os.environ['DREAMSTRIDE_TEST_DOMAIN_ID'] = str(random.SystemRandom().randint(1, 100))
os.environ['ROS_DOMAIN_ID'] = os.environ['DREAMSTRIDE_TEST_DOMAIN_ID']


@pytest.fixture
def ros_env() -> dict[str, str]:
    """Environment for a ROS process started by a test (loopback only, own domain)."""
    env = dict(os.environ)
    env['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
    env['ROS_DOMAIN_ID'] = os.environ['DREAMSTRIDE_TEST_DOMAIN_ID']
    env['PYTHONUNBUFFERED'] = '1'
    return env
