# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
import math

from dreamstride_agent.acting.observation import SensorError, odometry_reading
from dreamstride_agent.acting.reward import (
    RewardConfig,
    VelocityAverage,
    gated_reward,
    tracking_reward,
    upright_from_quaternion,
    velocity_reward,
)
import numpy as np
import pytest
from spot_description.spot import JOINT_GROUPS, STANDING_POSE

# DayDreamer's reward (runs 1 to 7): speed along the current heading.
HEADING = RewardConfig(velocity_reward='heading')
FORWARD = (0.3, 0.0, 0.0)  # DayDreamer's task as a velocity command


def test_upright_from_quaternion():
    assert upright_from_quaternion(0, 0, 0, 1) == pytest.approx(1.0)
    assert upright_from_quaternion(1, 0, 0, 0) == pytest.approx(-1.0)  # rolled over
    s = np.sqrt(0.5)
    assert upright_from_quaternion(s, 0, 0, s) == pytest.approx(0.0)  # on its side


def test_standing_and_walking_scores_the_maximum():
    r = gated_reward(STANDING_POSE, up_z=1.0, velocity=0.3, config=HEADING)
    assert r.total == pytest.approx(14.0)
    assert gated_reward(STANDING_POSE, 1.0, 0.6, HEADING).total == pytest.approx(14.0)  # clipped
    tracked = gated_reward(STANDING_POSE, 1.0, (0.3, 0.0), command=FORWARD)
    assert tracked.total == pytest.approx(14.0)
    # Tracking pays for the speed asked for: overshooting is not better, unlike the heading term.
    assert gated_reward(STANDING_POSE, 1.0, 0.6, command=FORWARD).total < 14.0


def test_circling_scores_below_walking_straight_only_with_the_tracking_reward():
    """The policy of run 6 seed 1 circled at 0.43 m/s turning 19 deg/s and earned it all."""
    circling = dict(velocity=(0.43, 0.0), yaw_rate=math.radians(19.0))
    straight = dict(velocity=(0.3, 0.0), yaw_rate=0.0)
    old = [
        gated_reward(STANDING_POSE, 1.0, config=HEADING, **m).total for m in (circling, straight)
    ]
    assert old[0] == pytest.approx(old[1]) == pytest.approx(14.0)
    new = [
        gated_reward(STANDING_POSE, 1.0, command=FORWARD, **m).total for m in (circling, straight)
    ]
    assert new[1] == pytest.approx(14.0)
    assert new[0] < new[1] - 3.0  # most of the velocity term's 5 points are lost
    # Turning in place when asked to turn is paid; the same turn under a straight command
    # is not.
    turn = (0.0, 0.0, 0.5)
    assert tracking_reward((0.0, 0.0), 0.5, turn) == pytest.approx(1.0)
    assert tracking_reward((0.0, 0.0), 0.5, FORWARD) == 0.0


def _tracked(samples, time_constant, command=FORWARD):
    """Mean tracking term over the last second of (forward, lateral, yaw rate) at 20 Hz."""
    average = VelocityAverage(time_constant, 0.05)
    terms = [tracking_reward(*average.update(s[:2], s[2]), command) for s in samples]
    return float(np.mean(terms[-20:]))


def test_the_average_keeps_a_swaying_trot_and_still_refuses_circling():
    """gait_probe's trot: 0.3 m/s straight, the body swaying at the 1.5 Hz step rate."""
    t = np.arange(100) * 0.05  # 5 s at 20 Hz
    sway = 2.0 * np.pi * 1.5 * t
    trot = np.stack(
        [0.3 + 0.18 * np.sin(sway), 0.16 * np.sin(sway + 1.0), 0.5 * np.sin(sway + 0.5)], 1
    )
    circling = np.tile([0.43, 0.0, math.radians(19.0)], (100, 1))
    # Instantaneous readings (run 8) pay the trot little, as they paid the real one 0.09.
    assert _tracked(trot, 0.0) < 0.4
    assert _tracked(trot, 1.0) > 0.85
    assert _tracked(circling, 1.0) < 0.25
    assert _tracked(circling, 0.0) == pytest.approx(_tracked(circling, 1.0))


def test_velocity_average_starts_from_its_first_reading_after_a_reset():
    average = VelocityAverage(1.0, 0.05)
    assert average.update((0.2, 0.1), 0.3) == ((0.2, 0.1), 0.3)
    (forward, _), _ = average.update((0.0, 0.0), 0.0)
    assert forward == pytest.approx(0.2 * math.exp(-0.05))
    average.reset()
    assert average.update(0.5, -0.1) == ((0.5, 0.0), -0.1)
    assert VelocityAverage(0.0, 0.05).alpha == 1.0  # 0: instantaneous
    with pytest.raises(ValueError, match='yaw rate must be finite'):
        average.update(0.1, float('nan'))
    with pytest.raises(ValueError, match='velocity_average_time'):
        RewardConfig(velocity_average_time=-1.0)


def test_tracking_reward_follows_the_command_in_every_direction():
    for command in [(0.3, 0, 0), (-0.3, 0, 0), (0, 0.2, 0), (0, -0.2, 0), (0.2, 0.2, 0.3)]:
        assert tracking_reward(command[:2], command[2], command) == pytest.approx(1.0)
        # Standing still earns nothing when asked to move...
        assert tracking_reward((0.0, 0.0), 0.0, command) < 0.5
    # ...and everything when asked to stand (the zero command, or no command at all).
    assert gated_reward(STANDING_POSE, 1.0, 0.0).total == pytest.approx(14.0)
    assert gated_reward(STANDING_POSE, 1.0, (0.3, 0.0)).total < 10.0
    # Halfway to the commanded speed earns half of the linear factor, as DayDreamer's ramp.
    assert tracking_reward((0.15, 0.0), 0.0, FORWARD) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ('yaw_rate', 'command'), [(float('nan'), FORWARD), (0.0, (0.3, float('inf'), 0.0))]
)
def test_tracking_reward_refuses_non_finite_inputs(yaw_rate, command):
    with pytest.raises(ValueError, match='finite'):
        tracking_reward((0.3, 0.0), yaw_rate, command)


def test_unknown_velocity_reward_is_refused_by_name():
    with pytest.raises(ValueError, match="velocity_reward must be one of.*'speed'"):
        RewardConfig(velocity_reward='speed')


def test_on_its_back_scores_only_the_neutral_velocity_term():
    r = gated_reward(STANDING_POSE, up_z=-1.0, velocity=1.0)
    assert (r.upright, r.hip_x, r.hip_y, r.knee, r.velocity) == (0, 0, 0, 0, 0)
    assert r.total == pytest.approx(5.0)


def test_terms_are_gated_in_order():
    pose = STANDING_POSE.copy()
    pose[JOINT_GROUPS['hip_y']] += 1.0  # thighs far from standing
    r = gated_reward(pose, up_z=1.0, velocity=0.3)
    assert r.hip_x == pytest.approx(1.0)
    assert r.hip_y < 0.7
    assert r.knee == 0.0 and r.velocity == 0.0  # gated off despite a good knee pose
    assert r.total == pytest.approx(1.0 + 1.0 + r.hip_y + 5.0)


@pytest.mark.parametrize('config', [HEADING, RewardConfig()], ids=['heading', 'tracking'])
def test_moving_backwards_never_scores_below_standing_still(config):
    still = gated_reward(STANDING_POSE, 1.0, 0.0, config, command=FORWARD)
    assert still.velocity == 0.0 and still.total == pytest.approx(9.0)
    for velocity in (-0.3, (-0.3, 0.0), (-0.2, 0.2), (0.0, 0.3)):
        r = gated_reward(STANDING_POSE, 1.0, velocity, config, command=FORWARD)
        assert r.velocity == 0.0 and r.total == pytest.approx(9.0), velocity
    # Standing and drifting backwards beats lying on the back (5.0).
    assert (
        gated_reward(STANDING_POSE, 1.0, -0.3, config, command=FORWARD).total
        > gated_reward(STANDING_POSE, -1.0, 0.0, config, command=FORWARD).total
    )


def test_velocity_term_is_the_forward_fraction_times_the_clipped_speed():
    # Diagonal at 45 degrees: forward fraction cos(45), forward speed 0.3 m/s.
    r = gated_reward(STANDING_POSE, 1.0, (0.3, 0.3), HEADING)
    assert r.velocity == pytest.approx(math.sqrt(0.5))
    assert r.total == pytest.approx(4.0 + 10.0 * (math.sqrt(0.5) + 1.0) / 2.0)
    assert velocity_reward((0.15, 0.0), 0.3) == pytest.approx(0.5)
    assert velocity_reward(0.15, 0.6) == pytest.approx(0.25)
    slow = gated_reward(
        STANDING_POSE,
        1.0,
        (0.3, 0.0),
        RewardConfig(velocity_reward='heading', velocity_target=0.6),
    )
    assert slow.velocity == pytest.approx(0.5)


@pytest.mark.parametrize('velocity', [(0.1, 0.2, 0.3), float('nan'), 'fast'])
def test_malformed_velocity_is_rejected(velocity):
    with pytest.raises(ValueError, match='velocity'):
        gated_reward(STANDING_POSE, -1.0, velocity)


def yaw_pitch_quaternion(yaw: float, pitch: float) -> tuple[float, float, float, float]:
    """(x, y, z, w) of a rotation by yaw about world z after pitch about body y."""
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    return (-sy * sp, cy * sp, sy * cp, cy * cp)


def heading_velocity(body_velocity, orientation):
    """The reward's velocity input as the agent computes it (one definition, observation)."""
    return tuple(odometry_reading(body_velocity, orientation, 0.0).heading_velocity)


def test_heading_velocity_turns_by_yaw_only():
    # Yawed 90 degrees: a body-frame forward velocity stays forward in the heading frame.
    q = yaw_pitch_quaternion(math.pi / 2, 0.0)
    assert heading_velocity((0.3, 0.0, 0.0), q) == pytest.approx((0.3, 0.0), abs=1e-9)
    assert heading_velocity((0.0, 0.2, 0.0), q) == pytest.approx((0.0, 0.2), abs=1e-9)
    # Pitched nose-down 30 degrees and moving along its body x: part of that is downwards,
    # which does not count, and heading is still the yaw direction.
    q = yaw_pitch_quaternion(1.0, math.radians(30))
    forward, lateral = heading_velocity((0.4, 0.0, 0.0), q)
    assert forward == pytest.approx(0.4 * math.cos(math.radians(30)))
    assert lateral == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(SensorError, match='quaternion'):
        heading_velocity((0.4, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0))


def test_stood_reads_the_same_from_reward_terms_and_a_steps_list():
    from dreamstride_agent.acting.reward import TERM_NAMES, stood

    standing = gated_reward(STANDING_POSE, 1.0, 0.0)
    crouched = STANDING_POSE.copy()
    crouched[JOINT_GROUPS['knee']] += 0.8  # knee term 0.5: under the gate
    low = gated_reward(crouched, 1.0, 0.0)
    assert stood(standing) and stood(standing.as_list())
    assert not stood(low) and not stood(low.as_list())
    assert TERM_NAMES == ('upright', 'hip_x', 'hip_y', 'knee', 'velocity')
    assert stood(low, gate=0.4)  # the gate is the configuration's
