# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Rotations, reset placements and the camera downsample (no ROS, no Webots)."""

import math

import numpy as np
import pytest
from spot_description import spot
from spot_webots import image, poses
from spot_webots.conversion import JointConversion

CONVERSION = JointConversion.for_kinds()


def test_leg_frame_rotation_is_the_proto_rotation():
    proto = poses.axis_rotation((0.577350, -0.577354, -0.577346), 2.094389)
    np.testing.assert_allclose(poses.LEG_ROTATION, proto, atol=1e-4)


def test_quaternion_and_axis_angle_round_trip():
    rng = np.random.default_rng(2)
    for _ in range(50):
        q = rng.normal(size=4)
        q /= np.linalg.norm(q)
        rotation = poses.quaternion_to_axis_angle(q)
        back = poses.axis_angle_to_quaternion(rotation)
        assert abs(np.dot(back, q)) == pytest.approx(1.0)  # q and -q are one rotation
        np.testing.assert_allclose(
            poses.axis_rotation(rotation[:3], rotation[3]),
            poses.quaternion_to_matrix(q),
            atol=1e-12,
        )
    np.testing.assert_allclose(
        poses.axis_angle_to_quaternion([1, 0, 0, math.pi]), [0, 1, 0, 0], atol=1e-12
    )


def test_matrix_to_quaternion_inverts_quaternion_to_matrix():
    rng = np.random.default_rng(3)
    for q in [*rng.normal(size=(50, 4)), [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]]:
        q = np.asarray(q, dtype=float) / np.linalg.norm(q)
        q = -q if q[0] < 0 else q
        np.testing.assert_allclose(
            poses.matrix_to_quaternion(poses.quaternion_to_matrix(q)), q, atol=1e-12
        )


def test_standing_reset_puts_the_feet_just_above_the_ground():
    pose = poses.reset_pose('standing', CONVERSION)
    np.testing.assert_array_equal(pose.rotation, [0, 0, 1, 0])
    np.testing.assert_array_equal(pose.joints, spot.STANDING_POSE)
    feet = poses.leg_positions(CONVERSION.to_webots(pose.joints))['foot']
    bottom = pose.height + feet[:, 2].min() - poses.FOOT_RADIUS
    assert bottom == pytest.approx(poses.RESET_CLEARANCE)
    assert 0.45 < pose.height < 0.55


def test_on_back_reset_turns_half_a_turn_about_x_and_rests_on_the_back():
    pose = poses.reset_pose('on_back', CONVERSION)
    np.testing.assert_allclose(pose.rotation, [1, 0, 0, math.pi])
    assert pose.height == pytest.approx(poses.BODY_BOX_MAX[2] + poses.RESET_CLEARANCE)


def test_random_reset_is_seeded_within_limits_and_above_the_ground():
    lower, upper = CONVERSION.contract_limits()
    for seed in range(20):
        a = poses.reset_pose('random', CONVERSION, np.random.default_rng(seed))
        b = poses.reset_pose('random', CONVERSION, np.random.default_rng(seed))
        np.testing.assert_array_equal(a.joints, b.joints)
        assert np.all(a.joints >= np.maximum(spot.JOINT_LOWER, lower))
        assert np.all(a.joints <= np.minimum(spot.JOINT_UPPER, upper))
        matrix = poses.axis_rotation(a.rotation[:3], a.rotation[3])
        gap = a.height + poses.lowest_point(matrix, CONVERSION.to_webots(a.joints))
        assert poses.RANDOM_DROP_HEIGHT[0] <= gap <= poses.RANDOM_DROP_HEIGHT[1]


def test_unknown_pose_is_refused():
    with pytest.raises(ValueError, match='unknown pose'):
        poses.reset_pose('sitting', CONVERSION)


def test_downsample_crops_to_the_aspect_and_averages_blocks_in_rgb():
    width, height = 12, 8
    bgra = np.zeros((height, width, 4), dtype=np.uint8)
    bgra[..., 0] = 200  # blue
    bgra[..., 2] = np.arange(width)[None, :] * 10  # red grows to the right
    bgra[..., 3] = 255
    rgb, crop = image.downsample_bgra(bgra.tobytes(), width, height, 2, 2)
    assert crop == (2, 0, 8, 8, 4)  # 8x8 from the middle, 4x4 blocks
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb[:, :, 2], 200)
    np.testing.assert_array_equal(rgb[:, 0, 0], np.mean([20, 30, 40, 50]))
    np.testing.assert_array_equal(rgb[:, 1, 0], np.mean([60, 70, 80, 90]))
    with pytest.raises(ValueError):
        image.downsample_bgra(bytes(10), width, height, 2, 2)


def test_pinhole_matrix_of_the_downsampled_image():
    crop = image.downsample_bgra(bytes(1080 * 720 * 4), 1080, 720, 64, 64)[1]
    k = image.pinhole_matrix(math.pi / 2, 1080, 720, crop)
    block = crop[4]
    assert block == 11
    assert k[0] == pytest.approx(540 / block) and k[4] == k[0]
    assert k[2] == pytest.approx(32) and k[5] == pytest.approx(32)


def test_lying_reset_rests_upright_on_the_folded_legs_within_the_motors_limits():
    pose = poses.reset_pose('lying', CONVERSION)
    np.testing.assert_array_equal(pose.rotation, [0, 0, 1, 0])
    np.testing.assert_array_equal(pose.joints, spot.LYING_POSE)
    lower, upper = CONVERSION.contract_limits()
    assert np.all((pose.joints >= lower) & (pose.joints <= upper))
    matrix = poses.axis_rotation(pose.rotation[:3], pose.rotation[3])
    lowest = poses.lowest_point(matrix, CONVERSION.to_webots(pose.joints))
    assert pose.height + lowest == pytest.approx(poses.RESET_CLEARANCE)
    # Folded legs: the body sits far lower than standing.
    assert pose.height < poses.reset_pose('standing', CONVERSION).height - 0.2


def test_every_start_pose_has_a_webots_reset():
    assert poses.POSES == spot.START_POSES
    for name in spot.START_POSES:
        poses.reset_pose(name, CONVERSION, np.random.default_rng(0))
