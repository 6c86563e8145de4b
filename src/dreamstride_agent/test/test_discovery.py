# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The learner's errors for an agent it cannot reach name what to check."""

from dreamstride_agent.discovery import (
    agent_not_found,
    discovery_summary,
    push_deadline,
    push_unanswered,
)


def test_summary_names_every_setting_that_decides_discovery():
    env = {'ROS_AUTOMATIC_DISCOVERY_RANGE': 'SUBNET', 'ROS_STATIC_PEERS': '10.0.0.2'}
    text = discovery_summary(env)
    assert 'ROS_DOMAIN_ID=0 (unset)' in text  # what ROS does without it
    assert 'ROS_AUTOMATIC_DISCOVERY_RANGE=SUBNET' in text
    assert 'ROS_STATIC_PEERS=10.0.0.2' in text
    assert 'ROS_DISCOVERY_SERVER' not in text  # optional and unset: left out


def test_errors_name_the_service_and_the_settings():
    env = {'ROS_DOMAIN_ID': '7', 'ROS_AUTOMATIC_DISCOVERY_RANGE': 'LOCALHOST'}
    text = agent_not_found('/spot/load_policy', 15.2, env)
    assert '/spot/load_policy' in text and 'after 15 s' in text
    assert 'ROS_DOMAIN_ID=7' in text and 'ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST' in text
    assert 'training goes on' in text
    text = push_unanswered('/spot/load_policy', 4, 15_095_240, 25.1, env)
    assert 'policy v4 (15.1 MB)' in text and 'within 25 s' in text and 'ROS_DOMAIN_ID=7' in text


def test_push_deadline_grows_with_the_policy():
    assert push_deadline(10.0, 1.0, 0) == 10.0
    assert push_deadline(10.0, 1.0, 15_000_000) == 25.0
