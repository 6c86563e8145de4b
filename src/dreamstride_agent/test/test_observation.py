from dreamstride_agent.observation import (
    ObservationSpec,
    SensorError,
    imu_reading,
    joint_reading,
    odometry_reading,
    roll_pitch,
    stale_reason,
)
import numpy as np
import pytest
from spot_description.spot import JOINT_NAMES


def test_joint_reading_reorders_by_name():
    names = list(reversed(JOINT_NAMES))
    reading = joint_reading(names, list(range(12)), [], 1.0)
    assert reading.position[0] == 11 and reading.position[11] == 0


@pytest.mark.parametrize('names,pos,vel,expected', [
    (JOINT_NAMES[:11], [0.0] * 11, [], 'lacks joints'),
    (list(JOINT_NAMES[:11]) + ['arm_sh0'], [0.0] * 12, [], "unknown joints ['arm_sh0']"),
    (JOINT_NAMES, [0.0] * 11, [], '12 names but 11 positions'),
    (JOINT_NAMES, [0.0] * 12, [0.0] * 3, '12 names but 3 velocities'),
    (JOINT_NAMES, [0.0] * 11 + [float('nan')], [], 'non-finite'),
    (list(JOINT_NAMES[:11]) + [JOINT_NAMES[0]], [0.0] * 12, [], 'repeats'),
])
def test_malformed_joint_states_are_named(names, pos, vel, expected):
    with pytest.raises(SensorError, match=expected.replace('[', r'\[').replace(']', r'\]')):
        joint_reading(list(names), pos, vel, 0.0)


def test_imu_and_odometry_checks():
    with pytest.raises(SensorError, match='non-finite'):
        imu_reading((0, 0, 0, float('nan')), (0, 0, 0), 0.0)
    with pytest.raises(SensorError, match='unit quaternion'):
        imu_reading((0, 0, 0, 2.0), (0, 0, 0), 0.0)
    with pytest.raises(SensorError, match='odometry'):
        odometry_reading((float('inf'), 0, 0), 0.0)


def test_roll_pitch_and_observation_layout():
    s = np.sin(0.25), np.cos(0.25)
    roll, pitch = roll_pitch(np.array([s[0], 0, 0, s[1]]))     # 0.5 rad about x
    assert roll == pytest.approx(0.5) and pitch == pytest.approx(0.0)
    joints = joint_reading(list(JOINT_NAMES), [0.1] * 12, [2.0] * 12, 0.0)
    imu = imu_reading((s[0], 0, 0, s[1]), (0.3, -0.2, 0.9), 0.0)
    obs = ObservationSpec().build(joints, imu)
    assert obs.shape == (16,) and obs.dtype == np.float32
    np.testing.assert_allclose(obs[12:], [0.5, 0.0, 0.3, -0.2], atol=1e-6)
    spec = ObservationSpec(joint_velocities=True)
    assert spec.size == 28 and spec.build(joints, imu)[-1] == 2.0
    assert spec.describe() == 'joint_position:12,roll_pitch:2,roll_pitch_rate:2,joint_velocity:12'


def test_stale_reason():
    assert stale_reason(10.0, 0.1, joint_states=9.95, imu=9.99) is None
    assert stale_reason(10.0, 0.1, joint_states=None) == 'no joint_states received yet'
    assert 'imu stale' in stale_reason(10.0, 0.1, joint_states=9.95, imu=9.5)
