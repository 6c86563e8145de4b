# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""sim_node's odom -> body transform on /tf (where tf2_msgs exists)."""

import time

from nav_msgs.msg import Odometry
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from spot_mujoco import sim_node
from spot_mujoco.sim_node import SimNode, odom_transform


def test_the_transform_is_the_odometry_pose():
    odom = Odometry(child_frame_id='r1/body')
    odom.header.frame_id = 'r1/odom'
    odom.header.stamp.sec = 7
    position = odom.pose.pose.position
    position.x, position.y, position.z = 1.0, -2.0, 0.5
    odom.pose.pose.orientation.z, odom.pose.pose.orientation.w = 0.7071068, 0.7071068
    transform = odom_transform(odom)
    assert (transform.header.frame_id, transform.child_frame_id) == ('r1/odom', 'r1/body')
    assert transform.header.stamp.sec == 7
    t = transform.transform.translation
    assert (t.x, t.y, t.z) == (1.0, -2.0, 0.5)
    assert transform.transform.rotation == odom.pose.pose.orientation


def _spin_node(overrides, until, listener_setup=None, timeout=20.0):
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        node = SimNode(
            context=context,
            namespace='r1',
            parameter_overrides=[Parameter('real_time_factor', value=2.0), *overrides],
        )
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(node)
        listener = None
        if listener_setup is not None:
            listener = rclpy.create_node('tf_listener', context=context)
            listener_setup(listener)
            executor.add_node(listener)
        end = time.monotonic() + timeout
        while not until() and time.monotonic() < end:
            executor.spin_once(timeout_sec=0.1)
        executor.shutdown()
        if listener is not None:
            listener.destroy_node()
        tf_pub = node._tf_pub
        node.destroy_node()
        return tf_pub
    finally:
        rclpy.shutdown(context=context)


@pytest.mark.skipif(sim_node.TFMessage is not None, reason='tf2_msgs is installed here')
def test_without_tf2_msgs_the_node_runs_and_publishes_no_tf():
    assert _spin_node([], until=lambda: True) is None


@pytest.mark.skipif(
    sim_node.TFMessage is None,
    reason='tf2_msgs is not installed (ROS 2 apt installs have it; PyPI has no wheel)',
)
def test_odom_to_body_is_published_on_tf_with_the_frame_prefix():
    received = []

    def listen(listener):
        listener.create_subscription(sim_node.TFMessage, '/tf', received.append, sim_node.TF_QOS)

    _spin_node(
        [Parameter('frame_prefix', value='r1/')],
        until=lambda: bool(received),
        listener_setup=listen,
    )
    assert received, 'no /tf message from sim_node'
    transform = received[0].transforms[0]
    assert (transform.header.frame_id, transform.child_frame_id) == ('r1/odom', 'r1/body')
    assert transform.transform.translation.z > 0.2  # the body stands above odom's origin
