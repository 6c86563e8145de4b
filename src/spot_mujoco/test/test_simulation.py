# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""SpotSimulation (no ROS): standing, servo tracking, resets, sensors, rendering."""

from hypothesis import given, settings
from hypothesis import strategies as st
import mujoco
import numpy as np
import pytest
from spot_description import spot
from spot_mujoco.simulation import (
    ImuNoise,
    RenderingUnavailableError,
    SpotSimulation,
)

GRAVITY = 9.81


@pytest.fixture
def sim():
    with SpotSimulation(seed=0) as simulation:
        yield simulation


def seconds(sim: SpotSimulation, duration: float) -> int:
    return round(duration / sim.timestep)


def test_holds_the_standing_pose_for_ten_seconds(sim):
    start = sim.body_state().position
    heights, drift = [], []
    for _ in range(100):
        sim.step(seconds(sim, 0.1))
        position = sim.body_state().position
        heights.append(position[2])
        drift.append(np.linalg.norm(position[:2] - start[:2]))
    assert sim.time == pytest.approx(10.0)
    assert np.max(np.abs(np.array(heights) - start[2])) < 0.05
    assert max(drift) < 0.05
    assert sim.body_z_axis()[2] > 0.999
    np.testing.assert_allclose(sim.joints().position, spot.STANDING_POSE, atol=0.1)


@pytest.mark.parametrize(
    'joint,target',
    [('front_left_hip_x', 0.3), ('rear_right_hip_y', 0.7), ('front_right_knee', -1.4)],
)
def test_joint_target_is_reached_within_half_a_second(sim, joint, target):
    # On its back the legs carry no load, so a servo reaches its target (standing, the
    # load leaves a steady error of torque / kp, a few hundredths of a radian).
    sim.reset('on_back')
    sim.step(seconds(sim, 0.5))
    index = spot.JOINT_NAMES.index(joint)
    assert abs(sim.joints().position[index] - target) > 0.25
    assert sim.set_position_targets({joint: target}) == []
    sim.step(seconds(sim, 0.5))
    assert sim.joints().position[index] == pytest.approx(target, abs=0.02)


def test_joint_target_is_reached_while_standing(sim):
    sim.step(seconds(sim, 0.5))
    sim.set_position_targets({'front_left_hip_x': 0.25})
    sim.step(seconds(sim, 0.5))
    assert sim.joints().position[0] == pytest.approx(0.25, abs=0.03)
    assert sim.body_z_axis()[2] > 0.95


def test_targets_as_an_array_and_by_name(sim):
    pose = np.tile([0.1, 0.9, -1.6], 4)
    sim.set_position_targets(pose)
    np.testing.assert_allclose(sim.position_targets, pose)
    sim.set_position_targets({'rear_left_knee': -2.0, 'front_left_hip_x': -0.2})
    expected = pose.copy()
    expected[spot.JOINT_NAMES.index('rear_left_knee')] = -2.0
    expected[0] = -0.2
    np.testing.assert_allclose(sim.position_targets, expected)


@pytest.mark.parametrize(
    'bad,problem',
    [
        ({'front_left_hip_z': 0.1}, 'unknown joint name'),
        (np.zeros(11), 'expected 12 targets'),
        ({'front_left_knee': float('nan')}, 'non-finite'),
        (np.full(12, np.inf), 'non-finite'),
    ],
)
def test_bad_targets_are_refused_and_change_nothing(sim, bad, problem):
    before = sim.position_targets
    with pytest.raises(ValueError, match=problem):
        sim.set_position_targets(bad)
    np.testing.assert_array_equal(sim.position_targets, before)


def test_targets_beyond_the_limits_are_clamped_and_counted(sim):
    clamped = sim.set_position_targets(
        {'front_left_knee': 0.5, 'front_left_hip_x': -3.0, 'front_left_hip_y': 1.0}
    )
    assert sorted(clamped) == ['front_left_hip_x', 'front_left_knee']
    assert sim.clamped_targets == 2
    assert sim.position_targets[2] == spot.JOINT_UPPER[2]
    assert sim.position_targets[0] == spot.JOINT_LOWER[0]
    sim.set_position_targets(np.full(spot.NUM_JOINTS, 10.0))
    assert sim.clamped_targets == 2 + spot.NUM_JOINTS
    np.testing.assert_array_equal(sim.position_targets, spot.JOINT_UPPER)


@pytest.fixture(scope='module')
def shared_sim():
    with SpotSimulation(seed=0) as simulation:
        yield simulation


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.floats(-10.0, 10.0), min_size=spot.NUM_JOINTS, max_size=spot.NUM_JOINTS))
def test_any_finite_targets_end_within_the_limits(shared_sim, values):
    sim = shared_sim
    before = sim.clamped_targets
    clamped = sim.set_position_targets(values)
    values = np.array(values)
    outside = (values < spot.JOINT_LOWER) | (values > spot.JOINT_UPPER)
    assert sorted(clamped) == sorted(np.array(spot.JOINT_NAMES)[outside])
    assert sim.clamped_targets - before == outside.sum()
    targets = sim.position_targets
    assert np.all((spot.JOINT_LOWER <= targets) & (targets <= spot.JOINT_UPPER))
    np.testing.assert_array_equal(targets[~outside], values[~outside])


def test_reset_on_back_leaves_the_body_upside_down(sim):
    sim.step(seconds(sim, 0.2))
    sim.reset('on_back')
    assert sim.body_z_axis()[2] < -0.99
    np.testing.assert_allclose(sim.position_targets, spot.STANDING_POSE)
    sim.step(seconds(sim, 2.0))
    assert sim.body_z_axis()[2] < -0.99  # still on its back: it has to learn to roll over
    body = sim.body_state()
    assert 0.05 < body.position[2] < 0.15
    assert np.linalg.norm(body.linear_velocity) < 0.01
    # An upside-down IMU feels gravity's reaction along its -z axis.
    np.testing.assert_allclose(sim.imu().linear_acceleration, [0, 0, -GRAVITY], atol=0.05)
    sim.reset('standing')
    assert sim.body_z_axis()[2] > 0.999


def test_random_resets_are_seeded_and_start_free_of_contacts(sim):
    sim.reset('random', seed=7)
    first = (sim.data.qpos.copy(), sim.position_targets)
    assert sim.data.ncon == 0
    assert np.all(sim.joints().position >= spot.JOINT_LOWER)
    assert np.all(sim.joints().position <= spot.JOINT_UPPER)
    np.testing.assert_allclose(first[1], sim.joints().position)
    sim.reset('random')
    assert not np.allclose(sim.data.qpos, first[0])
    sim.reset('random', seed=7)
    np.testing.assert_array_equal(sim.data.qpos, first[0])
    sim.step(seconds(sim, 1.5))
    assert np.all(np.isfinite(sim.data.qpos))
    assert sim.body_state().position[2] < 0.6  # it fell onto the ground


def test_reset_keeps_time_running_and_rejects_unknown_poses(sim):
    sim.step(100)
    before = sim.time
    sim.reset('standing')
    assert sim.time == before
    with pytest.raises(ValueError, match='unknown pose'):
        sim.reset('sitting')


def test_imu_at_rest_reads_gravity_and_no_rotation(sim):
    sim.step(seconds(sim, 2.0))
    imu = sim.imu()
    np.testing.assert_allclose(imu.linear_acceleration, [0, 0, GRAVITY], atol=0.05)
    np.testing.assert_allclose(imu.angular_velocity, 0, atol=0.01)
    np.testing.assert_allclose(np.abs(imu.orientation), [1, 0, 0, 0], atol=0.01)
    np.testing.assert_array_equal(sim.imu().linear_acceleration, imu.linear_acceleration)


def test_imu_noise():
    noise = ImuNoise(orientation=0.01, gyro=0.05, accel=0.2)
    with SpotSimulation(seed=1, imu_noise=noise) as sim:
        sim.step(500)
        readings = [sim.imu() for _ in range(400)]
    gyro = np.array([r.angular_velocity for r in readings])
    accel = np.array([r.linear_acceleration for r in readings])
    quats = np.array([r.orientation for r in readings])
    assert np.std(gyro, axis=0) == pytest.approx([0.05] * 3, rel=0.2)
    assert np.std(accel, axis=0) == pytest.approx([0.2] * 3, rel=0.2)
    np.testing.assert_allclose(np.linalg.norm(quats, axis=1), 1.0)
    assert 0.003 < np.std(quats[:, 1]) < 0.01  # half the rotation angle's std


def test_body_twist_is_in_the_body_frame(sim):
    # Turned 90 degrees left, moving along world +x: that is the body's -y.
    quat = np.array([np.cos(np.pi / 4), 0, 0, np.sin(np.pi / 4)])
    sim.data.qpos[3:7] = quat
    sim.data.qvel[:6] = [1.0, 0.0, 0.0, 0.0, 0.0, 0.5]
    mujoco.mj_forward(sim.model, sim.data)
    body = sim.body_state()
    np.testing.assert_allclose(body.orientation, quat)
    np.testing.assert_allclose(body.linear_velocity, [0, -1, 0], atol=1e-12)
    np.testing.assert_allclose(body.angular_velocity, [0, 0, 0.5])
    np.testing.assert_allclose(sim.imu().angular_velocity, [0, 0, 0.5], atol=1e-9)


def test_joint_readings_follow_joint_names(sim):
    joints = sim.joints()
    for reading in (joints.position, joints.velocity, joints.effort):
        assert reading.shape == (spot.NUM_JOINTS,)
    np.testing.assert_allclose(joints.position, spot.STANDING_POSE)
    sim.step(seconds(sim, 1.0))
    effort = sim.joints().effort
    knees = spot.JOINT_GROUPS['knee']
    assert np.all(effort[knees] > 10) and np.all(np.abs(effort) <= spot.JOINT_EFFORT)
    # The feet are soft (mujoco_menagerie's contact parameters): they sink in a little.
    assert np.all(np.abs(sim.foot_positions()[:, 2] - spot.FOOT_RADIUS) < 0.02)


def test_saturated_servos_move_smoothly_within_the_velocity_limits(sim):
    # From one end of the range to the other, on its back: the torque saturates. The joint
    # must neither chatter (velocity flipping sign step by step) nor exceed the real
    # robot's velocity limits by much.
    sim.reset('on_back')
    sim.step(seconds(sim, 0.5))
    sim.set_position_targets(spot.JOINT_LOWER)
    velocities = []
    for _ in range(seconds(sim, 1.0)):
        sim.step()
        velocities.append(sim.joints().velocity)
    velocities = np.array(velocities)
    peak = np.abs(velocities).max(axis=0)
    assert np.all(peak < 1.1 * spot.JOINT_VELOCITY)
    flips = (velocities[1:] * velocities[:-1] < 0) & (
        np.maximum(np.abs(velocities[1:]), np.abs(velocities[:-1])) > 1.0
    )
    # Servo chatter flips the velocity nearly every step (hundreds of flips here); a knee
    # that folds its lower leg against the body box bounces a few times (8 for the front
    # left knee with Boston Dynamics' 0.24 x 0.18 m box).
    assert np.all(flips.sum(axis=0) <= 20), flips.sum(axis=0)
    front_left = slice(0, 3)  # the rear legs' swing forwards ends on the ground
    np.testing.assert_allclose(
        sim.joints().position[front_left], spot.JOINT_LOWER[front_left], atol=0.05
    )


def test_render_cameras(sim):
    try:
        track = sim.render('track', 64, 64)
    except RenderingUnavailableError as error:
        pytest.skip(f'no off-screen rendering here: {error}')
    head = sim.render('head', 96, 48)
    assert track.shape == (64, 64, 3) and track.dtype == np.uint8
    assert head.shape == (48, 96, 3)
    assert track.std() > 10  # not a blank frame
    sim.reset('on_back')
    assert np.abs(sim.render('track', 64, 64).astype(int) - track).mean() > 1


def test_floor_contacts_tell_feet_from_the_rest(sim):
    sim.step(seconds(sim, 0.5))
    standing = sim.floor_contacts()
    assert standing.feet.all() and standing.only_feet and not standing.non_foot
    # Standing still, the feet do not slide (MuJoCo's soft contacts creep a few mm/s).
    assert np.nanmax(standing.foot_slip) < 0.02
    sim.reset('on_back')
    sim.step(seconds(sim, 0.5))
    back = sim.floor_contacts()
    assert back.body and back.non_foot and not back.feet.any()
    assert np.isnan(back.foot_slip).all()


def test_knees_on_the_floor_are_not_feet(sim):
    # Kneeling: the lower legs folded back flat, so the knees and shins take the weight.
    kneel = {
        f'{leg}_knee': spot.JOINT_UPPER[spot.JOINT_NAMES.index(f'{leg}_knee')] for leg in spot.LEGS
    }
    kneel.update({f'{leg}_hip_y': 1.55 for leg in spot.LEGS})
    sim.set_position_targets(kneel)
    sim.step(seconds(sim, 1.0))
    contacts = sim.floor_contacts()
    assert contacts.non_foot and not contacts.only_feet
    assert contacts.lower_legs.any() or contacts.upper_legs.any() or contacts.body


def test_a_foot_dragged_over_the_floor_slips(sim):
    sim.step(seconds(sim, 0.5))
    root = sim.model.body(spot.BODY_LINK).jntadr[0]
    # Push the whole robot sideways at 0.5 m/s: the feet slide with it.
    sim.data.qvel[sim.model.jnt_dofadr[root] + 1] = 0.5
    mujoco.mj_forward(sim.model, sim.data)
    contacts = sim.floor_contacts()
    assert np.nanmin(contacts.foot_slip) > 0.3


def test_yaw_and_joint_noise_make_starts_that_differ(sim):
    sim.reset('lying', yaw=1.0)
    assert sim.body_yaw() == pytest.approx(1.0)
    assert sim.body_z_axis()[2] > 0.999
    sim.reset('on_back', yaw=-2.0)
    assert sim.body_yaw() == pytest.approx(-2.0)
    assert sim.body_z_axis()[2] < -0.999
    starts = []
    for seed in (0, 1, 2):
        sim.reset('lying', seed=seed, joint_noise=0.05)
        starts.append(sim.joints().position)
        assert sim.data.ncon == 0  # still placed clear of the floor
    assert min(np.abs(a - b).max() for a in starts for b in starts if a is not b) > 0.02
    sim.reset('lying', seed=1, joint_noise=0.05)
    np.testing.assert_array_equal(sim.joints().position, starts[1])  # seeded
    sim.reset('standing')
    np.testing.assert_array_equal(sim.joints().position, spot.STANDING_POSE)
