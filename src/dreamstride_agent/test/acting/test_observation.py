# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
from dreamstride_agent.acting.observation import (
    ObservationSpec,
    SensorError,
    imu_reading,
    joint_reading,
    odometry_reading,
    roll_pitch,
)
import numpy as np
import pytest
from spot_description.spot import JOINT_NAMES


def test_joint_reading_reorders_by_name():
    names = list(reversed(JOINT_NAMES))
    reading = joint_reading(names, list(range(12)), [], 1.0)
    assert reading.position[0] == 11 and reading.position[11] == 0


@pytest.mark.parametrize(
    'names,pos,vel,expected',
    [
        (JOINT_NAMES[:11], [0.0] * 11, [], 'lacks joints'),
        (list(JOINT_NAMES[:11]) + ['arm_sh0'], [0.0] * 12, [], 'lacks joints'),
        (list(JOINT_NAMES[:11]) + ['wheel'], [0.0] * 12, [], "unknown joints ['wheel']"),
        (list(JOINT_NAMES) * 6, [0.0] * 72, [], 'at most 64'),
        (list(JOINT_NAMES[:11]) + ['x' * 200], [0.0] * 12, [], 'longer than 128'),
        (JOINT_NAMES, [0.0] * 11 + [1e39], [], 'float32'),
        (JOINT_NAMES, [0.0] * 11, [], '12 names but 11 positions'),
        (JOINT_NAMES, [0.0] * 12, [0.0] * 3, '12 names but 3 velocities'),
        (JOINT_NAMES, [0.0] * 11 + [float('nan')], [], 'non-finite'),
        (list(JOINT_NAMES[:11]) + [JOINT_NAMES[0]], [0.0] * 12, [], 'repeats'),
    ],
)
def test_malformed_joint_states_are_named(names, pos, vel, expected):
    with pytest.raises(SensorError, match=expected.replace('[', r'\[').replace(']', r'\]')):
        joint_reading(list(names), pos, vel, 0.0)


def test_imu_and_odometry_checks():
    with pytest.raises(SensorError, match='non-finite'):
        imu_reading((0, 0, 0, float('nan')), (0, 0, 0), 0.0)
    with pytest.raises(SensorError, match='unit quaternion'):
        imu_reading((0, 0, 0, 2.0), (0, 0, 0), 0.0)
    with pytest.raises(SensorError, match='odometry'):
        odometry_reading((float('inf'), 0, 0), (0, 0, 0, 1.0), 0.0)


def test_roll_pitch_and_observation_layout():
    s = np.sin(0.25), np.cos(0.25)
    roll, pitch = roll_pitch(np.array([s[0], 0, 0, s[1]]))  # 0.5 rad about x
    assert roll == pytest.approx(0.5) and pitch == pytest.approx(0.0)
    joints = joint_reading(list(JOINT_NAMES), [0.1] * 12, [2.0] * 12, 0.0)
    imu = imu_reading((s[0], 0, 0, s[1]), (0.3, -0.2, 0.9), 0.0)
    obs = ObservationSpec().build(joints, imu)
    assert obs.shape == (16,) and obs.dtype == np.float32
    np.testing.assert_allclose(obs[12:], [0.5, 0.0, 0.3, -0.2], atol=1e-6)
    spec = ObservationSpec(joint_velocities=True)
    assert spec.size == 28 and spec.build(joints, imu)[-1] == 2.0
    assert spec.describe() == 'joint_position:12,roll_pitch:2,roll_pitch_rate:2,joint_velocity:12'


def test_spot_ros2_names_prefix_and_arm_are_accepted():
    names = [f'spot/{n}' for n in reversed(JOINT_NAMES)] + ['spot/arm_sh0', 'arm_f1x']
    reading = joint_reading(names, list(range(12)) + [7.0, 8.0], [], 1.0)
    assert reading.position[0] == 11 and reading.position[11] == 0
    assert reading.prefix == 'spot/'
    assert joint_reading(list(JOINT_NAMES), [0.0] * 12, [], 1.0).prefix == ''
    mixed = ['a/' + n for n in JOINT_NAMES[:6]] + ['b/' + n for n in JOINT_NAMES[6:]]
    with pytest.raises(SensorError, match='mixes robot prefixes'):
        joint_reading(mixed, [0.0] * 12, [], 1.0)


def test_imu_and_odometry_beyond_float32_are_refused():
    with pytest.raises(SensorError, match='float32'):
        imu_reading((0, 0, 0, 1.0), (1e300, 0, 0), 0.0)
    with pytest.raises(SensorError, match='float32'):
        odometry_reading((0, 1e39, 0), (0, 0, 0, 1.0), 0.0)


def test_forward_velocity_is_along_the_heading_in_either_twist_frame():
    yaw = np.pi / 2  # facing odom's +y axis
    facing_y = (0.0, 0.0, np.sin(yaw / 2), np.cos(yaw / 2))
    # Walking forward at 0.3 m/s: along +y in odom, along +x in the body frame.
    in_odom = odometry_reading((0.0, 0.3, 0.0), facing_y, 0.0, 'odom')
    in_body = odometry_reading((0.3, 0.0, 0.0), facing_y, 0.0, 'body')
    for reading in (in_odom, in_body):
        assert reading.forward_velocity == pytest.approx(0.3)
        assert reading.heading_velocity[1] == pytest.approx(0.0, abs=1e-9)
    # Pitched down 30 degrees and moving along the body x: the horizontal part counts.
    pitch = np.radians(30)
    pitched = (0.0, np.sin(pitch / 2), 0.0, np.cos(pitch / 2))
    assert odometry_reading((1.0, 0, 0), pitched, 0.0).forward_velocity == pytest.approx(
        np.cos(pitch)
    )


def _rolled(angle: float) -> tuple[float, float, float, float]:
    """(x, y, z, w) quaternion of a roll by ``angle`` about the body x axis."""
    return (np.sin(angle / 2), 0.0, 0.0, np.cos(angle / 2))


def test_gravity_input_is_continuous_where_roll_wraps_on_the_back():
    # Finding 7 of issue 17: lying on its back the robot rolls a little either side of
    # pi, and the roll input jumps by 2 pi between two nearly equal poses.
    joints = joint_reading(list(JOINT_NAMES), [0.0] * 12, [], 0.0)
    angles = (np.pi - 0.01, np.pi + 0.01)
    for orientation, attitude in (('roll_pitch', slice(12, 14)), ('gravity', slice(12, 15))):
        spec = ObservationSpec(orientation=orientation)
        a, b = (spec.build(joints, imu_reading(_rolled(x), (0, 0, 0), 0.0)) for x in angles)
        jump = np.abs(a[attitude] - b[attitude]).max()
        if orientation == 'roll_pitch':
            assert jump > 6.0  # the wrap: +3.13 then -3.13
        else:
            assert jump < 0.03
    gravity = ObservationSpec(orientation='gravity')
    level = gravity.build(joints, imu_reading((0, 0, 0, 1), (0.3, -0.2, 0.9), 0.0))
    back = gravity.build(joints, imu_reading(_rolled(np.pi), (0, 0, 0), 0.0))
    nose_down = gravity.build(joints, imu_reading((0, np.sin(0.25), 0, np.cos(0.25)), (0,) * 3, 0))
    np.testing.assert_allclose(level[12:], [0, 0, -1, 0.3, -0.2], atol=1e-6)
    np.testing.assert_allclose(back[12:15], [0, 0, 1], atol=1e-6)
    # Pitched nose down by 0.5 rad, gravity points partly along the body's +x.
    np.testing.assert_allclose(nose_down[12:15], [np.sin(0.5), 0, -np.cos(0.5)], atol=1e-6)
    assert gravity.size == 17 and level.shape == (17,)
    assert gravity.describe() == 'joint_position:12,gravity:3,roll_pitch_rate:2'


def test_unknown_orientation_input_is_refused_by_name():
    from dreamstride_agent.acting.agent_core import AgentConfig

    with pytest.raises(ValueError, match="orientation must be one of.*'euler'"):
        AgentConfig(orientation_input='euler')
    plain = dict(command_input=False, yaw_rate_input=False)
    assert AgentConfig(orientation_input='gravity', **plain).observation_spec().size == 17
    assert AgentConfig(orientation_input='roll_pitch', **plain).observation_spec().size == 16
