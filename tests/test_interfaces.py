# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Interfaces travel intact between two separate processes through real rclpy."""

import hashlib
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time

from builtin_interfaces.msg import Time
from dreamstride_msgs.msg import AgentStatus, LearnerStatus, Step
from dreamstride_msgs.srv import LoadPolicy, ResetRobot
import pytest
import rclpy
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import Header, String

sys.path.insert(0, str(Path(__file__).parent))
from msg_dict import to_plain

HERE = Path(__file__).parent

# Fields the learning system relies on; dropping one must fail these tests.
STEP_FIELDS = {
    'header',
    'seq',
    'run_id',
    'episode_id',
    'episode_step',
    'observation',
    'observation_keys',
    'image',
    'action',
    'reward',
    'is_first',
    'is_last',
    'is_terminal',
    'policy_version',
    'hold',
    'forward_velocity',
    'reward_terms',
    'velocity_command',
}
AGENT_STATUS_FIELDS = {
    'header',
    'mode',
    'hold',
    'hold_reason',
    'policy_version',
    'policy_age',
    'policy_sha256',
    'steps',
    'episode_id',
    'episode_step',
    'control_period_mean',
    'control_period_p50',
    'control_period_p99',
    'control_period_max',
    'deadline_misses',
    'mean_reward',
    'policies_refused',
    'last_refusal',
    'hold_kind',
    'hold_sensor',
    'holds_no_recorder',
    'holds_no_data',
    'holds_stale',
    'holds_malformed',
    'ticks_held',
    'holds_self_right',
    'velocity_command',
    'commands_refused',
    'last_command_refusal',
}
LEARNER_STATUS_FIELDS = {
    'header',
    'state',
    'message',
    'train_step',
    'updates_per_second',
    'replay_steps',
    'replay_segments',
    'replay_segments_refused',
    'prefill_steps',
    'train_ratio',
    'train_ratio_target',
    'world_model_loss',
    'kl_loss',
    'actor_loss',
    'critic_loss',
    'policy_version',
    'policy_accepted',
    'last_push_age',
    'last_push_latency',
    'env_step_budget',
}


@pytest.fixture
def node_and_peer(ros_env):
    peer = subprocess.Popen(
        [sys.executable, str(HERE / 'interface_peer.py')],
        env=ros_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=HERE,
    )
    assert peer.stdout.readline().strip() == 'ready'
    rclpy.init()
    node = rclpy.create_node('interface_test')
    yield node
    node.destroy_node()
    rclpy.shutdown()
    peer.send_signal(signal.SIGINT)
    try:
        peer.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a starved machine; the test's verdict stands
        peer.kill()
        peer.wait()


def check_peer_env(report: dict) -> None:
    assert report['env'] == {
        'ROS_AUTOMATIC_DISCOVERY_RANGE': 'LOCALHOST',
        'ROS_DOMAIN_ID': os.environ['ROS_DOMAIN_ID'],
    }


def call(node, client, request, timeout=20.0):
    assert client.wait_for_service(timeout_sec=timeout), f'{client.srv_name} not available'
    future = client.call_async(request)
    rclpy.spin_until_future_complete(node, future, timeout_sec=timeout)
    assert future.done(), f'{client.srv_name} did not answer'
    return future.result()


def make_step() -> Step:
    image = Image(
        header=Header(frame_id='head_camera'),
        height=64,
        width=64,
        encoding='rgb8',
        step=64 * 3,
        data=bytes(range(256)) * 48,
    )
    return Step(
        header=Header(stamp=Time(sec=12, nanosec=345), frame_id='spot'),
        seq=987654321,
        run_id='run-abc',
        episode_id=7,
        episode_step=249,
        observation=[0.5 * i for i in range(16)],
        observation_keys='joint_position:12,roll_pitch:2,roll_pitch_rate:2',
        image=image,
        action=[-1.0 + i / 6 for i in range(12)],
        reward=3.25,
        is_first=False,
        is_last=True,
        is_terminal=True,
        policy_version=42,
        hold=True,
        forward_velocity=0.31,
        reward_terms=[1.0, 0.9, 0.8, 0.75, 0.5],
    )


def test_fields_are_defined():
    assert STEP_FIELDS <= set(Step.get_fields_and_field_types())
    assert AGENT_STATUS_FIELDS <= set(AgentStatus.get_fields_and_field_types())
    assert LEARNER_STATUS_FIELDS <= set(LearnerStatus.get_fields_and_field_types())
    assert {'format', 'version', 'sha256', 'weights'} <= set(
        LoadPolicy.Request.get_fields_and_field_types()
    )
    assert {'accepted', 'message', 'active_version'} <= set(
        LoadPolicy.Response.get_fields_and_field_types()
    )
    assert {'pose', 'seed'} <= set(ResetRobot.Request.get_fields_and_field_types())
    assert ResetRobot.Request.POSE_ON_BACK != ResetRobot.Request.POSE_STANDING


def test_step_round_trip(node_and_peer):
    node = node_and_peer
    qos = QoSProfile(history=HistoryPolicy.KEEP_ALL, reliability=ReliabilityPolicy.RELIABLE)
    received: list[dict] = []
    node.create_subscription(String, 'echo', lambda m: received.append(json.loads(m.data)), qos)
    pub = node.create_publisher(Step, 'steps', qos)
    step = make_step()
    deadline = time.monotonic() + 20
    while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.1)
    pub.publish(step)
    while not received and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.1)
    assert received, 'the peer never echoed the Step'
    report = received[0]
    assert report['kind'] == 'step'
    assert set(report['data']) >= STEP_FIELDS
    assert report['data'] == to_plain(step)
    check_peer_env(report)


def test_load_policy_carries_megabytes(node_and_peer):
    node = node_and_peer
    weights = os.urandom(4 * 1024 * 1024 + 17)
    request = LoadPolicy.Request(
        format='safetensors',
        version=3,
        sha256=hashlib.sha256(weights).hexdigest(),
        weights=weights,
    )
    response = call(node, node.create_client(LoadPolicy, 'load_policy'), request)
    report = json.loads(response.message)
    assert report['data'] == to_plain(request)
    assert report['data']['weights'] == {
        'len': len(weights),
        'sha256': hashlib.sha256(weights).hexdigest(),
    }
    assert response.accepted and response.active_version == 3
    check_peer_env(report)


def test_reset_robot_call(node_and_peer):
    node = node_and_peer
    request = ResetRobot.Request(pose=ResetRobot.Request.POSE_ON_BACK, seed=1234)
    response = call(node, node.create_client(ResetRobot, 'reset'), request)
    report = json.loads(response.message)
    assert response.success
    assert report['data'] == {'pose': ResetRobot.Request.POSE_ON_BACK, 'seed': 1234}
    check_peer_env(report)
