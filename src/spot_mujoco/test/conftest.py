# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""ROS settings for spot_mujoco's tests: loopback discovery only, a domain per session.

The workspace conftest.py does the same when the whole suite runs; this one keeps the
package's tests on their own domain and on this host when they run alone (colcon test,
pytest src/spot_mujoco).
"""

import os
import random

import pytest

os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
os.environ.setdefault('RMW_IMPLEMENTATION', 'rmw_fastrtps_cpp')
os.environ.setdefault('MUJOCO_GL', 'egl')
if 'DREAMSTRIDE_TEST_DOMAIN_ID' not in os.environ:
    os.environ['DREAMSTRIDE_TEST_DOMAIN_ID'] = str(random.SystemRandom().randint(1, 100))
os.environ['ROS_DOMAIN_ID'] = os.environ['DREAMSTRIDE_TEST_DOMAIN_ID']


@pytest.fixture(scope='session')
def sim_ros_env() -> dict[str, str]:
    """Environment for a ROS process started by a test (loopback only, this session's domain)."""
    env = dict(os.environ)
    env['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
    env['ROS_DOMAIN_ID'] = os.environ['DREAMSTRIDE_TEST_DOMAIN_ID']
    env['PYTHONUNBUFFERED'] = '1'
    env['RCUTILS_LOGGING_BUFFERED_STREAM'] = '1'  # line-buffered log lines, read as they come
    return env
