# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Test session settings shared by every test in the workspace.

Every ROS process a test starts inherits this environment: discovery stays on
this host, and the session gets its own ROS domain so parallel runs never see
each other.
"""

import os
from pathlib import Path
import random
import sys

import pytest

# The helper modules of tests/ import as top-level modules (its test modules add it too).
sys.path.insert(0, str(Path(__file__).resolve().parent / 'tests'))
from process_env import ros_process_env

os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
os.environ.setdefault('RMW_IMPLEMENTATION', 'rmw_fastrtps_cpp')
if 'DREAMSTRIDE_TEST_DOMAIN_ID' not in os.environ:
    os.environ['DREAMSTRIDE_TEST_DOMAIN_ID'] = str(random.SystemRandom().randint(1, 100))
os.environ['ROS_DOMAIN_ID'] = os.environ['DREAMSTRIDE_TEST_DOMAIN_ID']


@pytest.fixture
def ros_env() -> dict[str, str]:
    """Environment for a ROS process started by a test (loopback only, own domain)."""
    return ros_process_env()
