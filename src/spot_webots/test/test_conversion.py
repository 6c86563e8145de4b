# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The conversion between the Webots Spot and the contract: names, signs, offsets, limits."""

import math

import numpy as np
import pytest
from spot_description import spot
from spot_webots import conversion, poses
from spot_webots.conversion import JointConversion

CONVERSION = JointConversion.for_kinds()
KIND_INDEX = {kind: i for i, kind in enumerate(spot.LEG_JOINTS)}


def index(name: str) -> int:
    return spot.JOINT_NAMES.index(name)


def random_contract(rng: np.random.Generator, n: int = 200) -> np.ndarray:
    """Joint angles within both spot_description's and the Webots motors' limits."""
    lower, upper = CONVERSION.contract_limits()
    return rng.uniform(
        np.maximum(spot.JOINT_LOWER, lower),
        np.minimum(spot.JOINT_UPPER, upper),
        size=(n, spot.NUM_JOINTS),
    )


# --- names -------------------------------------------------------------------------------
def test_device_names_follow_the_contract_joint_order():
    assert len(conversion.MOTOR_NAMES) == len(conversion.SENSOR_NAMES) == spot.NUM_JOINTS
    assert (
        conversion.MOTOR_NAMES[index('front_left_hip_x')] == 'front left shoulder abduction motor'
    )
    assert (
        conversion.MOTOR_NAMES[index('front_right_hip_y')] == 'front right shoulder rotation motor'
    )
    assert conversion.MOTOR_NAMES[index('rear_left_knee')] == 'rear left elbow motor'
    assert (
        conversion.SENSOR_NAMES[index('rear_right_hip_x')]
        == 'rear right shoulder abduction sensor'
    )
    for motor, sensor in zip(conversion.MOTOR_NAMES, conversion.SENSOR_NAMES, strict=True):
        assert sensor == motor.replace(' motor', ' sensor')


# --- offsets and signs -------------------------------------------------------------------
def test_zero_offsets_derived_from_the_proto_geometry():
    assert conversion.ZERO_OFFSET['hip_x'] == 0.0
    assert conversion.ZERO_OFFSET['hip_y'] == pytest.approx(0.5961, abs=1e-4)
    assert conversion.ZERO_OFFSET['knee'] == pytest.approx(-1.2886, abs=1e-4)
    # the link lengths docs/spot_facts.md gives for the Webots leg
    assert math.hypot(*conversion.WEBOTS_THIGH) == pytest.approx(0.368, abs=1e-3)
    assert math.hypot(*conversion.WEBOTS_SHANK) == pytest.approx(0.353, abs=1e-3)


def test_webots_zero_is_the_crouch_and_its_foot_is_0579_m_below_the_hip():
    crouch = CONVERSION.to_contract(np.zeros(spot.NUM_JOINTS))
    assert crouch[index('front_left_hip_y')] == pytest.approx(0.5961, abs=1e-4)
    assert crouch[index('front_left_knee')] == pytest.approx(-1.2886, abs=1e-4)
    points = poses.leg_positions(np.zeros(spot.NUM_JOINTS))
    assert np.allclose(points['rotation'][:, 2] - points['foot'][:, 2], 0.5905, atol=1e-3)
    assert np.allclose(points['foot'][:, 2], -0.579, atol=1e-3)  # below the body origin


def test_round_trips_are_exact():
    rng = np.random.default_rng(0)
    for q in random_contract(rng):
        np.testing.assert_allclose(
            CONVERSION.to_contract(CONVERSION.to_webots(q)), q, rtol=0, atol=1e-12
        )
    webots = rng.uniform(conversion.WEBOTS_LOWER, conversion.WEBOTS_UPPER, size=(200, 12))
    for w in webots:
        np.testing.assert_allclose(
            CONVERSION.to_webots(CONVERSION.to_contract(w)), w, rtol=0, atol=1e-12
        )
    custom = JointConversion.for_kinds({'hip_y': 0.3, 'knee': -1.0})
    for q in random_contract(rng, 20):
        np.testing.assert_allclose(custom.to_contract(custom.to_webots(q)), q, atol=1e-12)


@pytest.mark.parametrize(
    'joint,motor_kind', [('hip_x', 'abduction'), ('hip_y', 'rotation'), ('knee', 'elbow')]
)
def test_a_positive_contract_step_moves_the_webots_motor_negative(joint, motor_kind):
    for leg in spot.LEGS:
        step = np.zeros(spot.NUM_JOINTS)
        step[index(f'{leg}_{joint}')] = 0.1
        before = CONVERSION.to_webots(spot.STANDING_POSE)
        after = CONVERSION.to_webots(spot.STANDING_POSE + step)
        moved = after - before
        assert moved[index(f'{leg}_{joint}')] == pytest.approx(-0.1)
        assert np.count_nonzero(moved) == 1, f'{motor_kind} of {leg} only'


def test_webots_readings_come_out_in_contract_convention():
    # Webots' demo controller lies Spot down with abduction -0.4 (left) / +0.4 (right),
    # rotation -0.99, elbow 1.59: legs splayed out, thighs back, shanks folded forward.
    lie_down = np.array(
        [-0.40, -0.99, 1.59, 0.40, -0.99, 1.59, -0.40, -0.99, 1.59, 0.40, -0.99, 1.59]
    )
    q = CONVERSION.to_contract(lie_down)
    assert q[index('front_left_hip_x')] == pytest.approx(0.40)  # left leg out: +x rotation
    assert q[index('front_right_hip_x')] == pytest.approx(-0.40)
    assert q[index('rear_left_hip_y')] == pytest.approx(0.5961 + 0.99, abs=1e-4)
    assert q[index('rear_left_knee')] == pytest.approx(-1.2886 - 1.59, abs=1e-4)
    np.testing.assert_allclose(CONVERSION.rate_to_contract(np.ones(12)), -np.ones(12))


def _sagittal_angle(vector: np.ndarray, hip_x: float) -> float:
    """Angle from straight down (+ backwards) of a leg vector, the abduction undone."""
    v = spot.rpy_matrix((-hip_x, 0.0, 0.0)) @ vector
    return math.atan2(-v[0], -v[2])


def test_conversion_agrees_with_the_proto_joint_axes():
    """Same contract angles, same leg shape: thigh, shank and leg plane as spot_description."""
    rng = np.random.default_rng(1)
    for q in random_contract(rng, 100):
        webots = CONVERSION.to_webots(q)
        points = poses.leg_positions(webots)
        zero = poses.leg_positions(np.where(np.arange(12) % 3 == 0, 0.0, webots))
        for i in range(len(spot.LEGS)):
            hip_x, hip_y, knee = q[3 * i : 3 * i + 3]
            thigh = points['elbow'][i] - points['rotation'][i]
            shank = points['foot'][i] - points['elbow'][i]
            sd_thigh = spot.rpy_matrix((0, hip_y, 0)) @ np.array(spot.KNEE_ORIGIN)
            sd_shank = spot.rpy_matrix((0, hip_y + knee, 0)) @ np.array(spot.FOOT_ORIGIN)
            assert _sagittal_angle(thigh, hip_x) == pytest.approx(
                math.atan2(-sd_thigh[0], -sd_thigh[2]), abs=1e-4
            )
            assert _sagittal_angle(shank, hip_x) == pytest.approx(
                math.atan2(-sd_shank[0], -sd_shank[2]), abs=1e-4
            )
            # hip_x turns the foot about body +x, by the contract angle
            foot, foot0 = (p['foot'][i] - p['abduction'][i] for p in (points, zero))
            turned = math.atan2(foot[2], foot[1]) - math.atan2(foot0[2], foot0[1])
            assert math.remainder(turned - hip_x, 2 * math.pi) == pytest.approx(0, abs=1e-4)


def test_standing_pose_is_inside_the_webots_motor_limits():
    webots = CONVERSION.to_webots(spot.STANDING_POSE)
    assert np.all(webots >= conversion.WEBOTS_LOWER) and np.all(webots <= conversion.WEBOTS_UPPER)
    assert webots[index('front_left_hip_y')] == pytest.approx(-0.444, abs=1e-3)
    assert webots[index('front_left_knee')] == pytest.approx(0.511, abs=1e-3)


# --- limits ------------------------------------------------------------------------------
def test_clamp_to_the_webots_motor_limits():
    wanted = np.array([0.9, -2.0, 2.0] * 4)
    clamped, mask = conversion.clamp(wanted)
    np.testing.assert_array_equal(clamped, [0.5, -1.7, 1.6] * 4)
    assert mask.all()
    inside = np.zeros(12)
    clamped, mask = conversion.clamp(inside)
    np.testing.assert_array_equal(clamped, inside)
    assert not mask.any()


def test_webots_limits_in_contract_convention():
    lower, upper = CONVERSION.contract_limits()
    assert lower[index('front_left_hip_x')] == pytest.approx(-0.5)
    assert upper[index('front_left_hip_x')] == pytest.approx(0.6)
    assert lower[index('rear_right_hip_y')] == pytest.approx(0.5961 - 1.7, abs=1e-4)
    assert upper[index('rear_right_hip_y')] == pytest.approx(0.5961 + 1.7, abs=1e-4)
    assert lower[index('rear_right_knee')] == pytest.approx(-1.2886 - 1.6, abs=1e-4)
    assert upper[index('rear_right_knee')] == pytest.approx(-1.2886 + 0.45, abs=1e-4)


def test_bad_signs_and_offsets_are_refused():
    with pytest.raises(ValueError, match='signs'):
        JointConversion.for_kinds(signs={'knee': 0.5})
    with pytest.raises(ValueError, match='finite'):
        JointConversion.for_kinds({'knee': math.nan})
