from dreamstride_agent.reward import RewardConfig, gated_reward, upright_from_quaternion
import numpy as np
import pytest
from spot_description.spot import JOINT_GROUPS, STANDING_POSE


def test_upright_from_quaternion():
    assert upright_from_quaternion(0, 0, 0, 1) == pytest.approx(1.0)
    assert upright_from_quaternion(1, 0, 0, 0) == pytest.approx(-1.0)    # rolled over
    s = np.sqrt(0.5)
    assert upright_from_quaternion(s, 0, 0, s) == pytest.approx(0.0)     # on its side


def test_standing_and_walking_scores_the_maximum():
    r = gated_reward(STANDING_POSE, up_z=1.0, forward_velocity=0.3)
    assert r.total == pytest.approx(14.0)
    assert gated_reward(STANDING_POSE, 1.0, 0.6).total == pytest.approx(14.0)   # clipped


def test_on_its_back_scores_only_the_neutral_velocity_term():
    r = gated_reward(STANDING_POSE, up_z=-1.0, forward_velocity=1.0)
    assert (r.upright, r.hip_x, r.hip_y, r.knee, r.velocity) == (0, 0, 0, 0, 0)
    assert r.total == pytest.approx(5.0)


def test_terms_are_gated_in_order():
    pose = STANDING_POSE.copy()
    pose[JOINT_GROUPS['hip_y']] += 1.0        # thighs far from standing
    r = gated_reward(pose, up_z=1.0, forward_velocity=0.3)
    assert r.hip_x == pytest.approx(1.0)
    assert r.hip_y < 0.7
    assert r.knee == 0.0 and r.velocity == 0.0   # gated off despite a good knee pose
    assert r.total == pytest.approx(1.0 + 1.0 + r.hip_y + 5.0)


def test_backwards_walking_is_penalised_and_target_is_a_parameter():
    back = gated_reward(STANDING_POSE, 1.0, -0.3)
    assert back.velocity == -1.0 and back.total == pytest.approx(4.0)
    slow = gated_reward(STANDING_POSE, 1.0, 0.3, RewardConfig(velocity_target=0.6))
    assert slow.velocity == pytest.approx(0.5)
