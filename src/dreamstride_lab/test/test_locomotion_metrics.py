# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The walk criterion and the physical measures, on synthetic trajectories."""

import math

from dreamstride_lab.locomotion_metrics import (
    FORWARD_COMMAND,
    WALK,
    LocomotionMeasures,
    LocomotionMeter,
    VelocityCommand,
)
import numpy as np
import pytest

DT = 0.05  # the agent's control period (20 Hz)
STAND = 0.45  # body height standing (m)


def drive(
    speed: float,
    yaw_rate: float,
    *,
    start_yaw: float = 0.0,
    command: VelocityCommand = FORWARD_COMMAND,
    steps: int = WALK.steps,
    non_foot=lambda k: False,
    up_z=lambda k: 1.0,
    height=lambda k: STAND,
    slip: float = 0.01,
):
    """Meter a body moving at ``speed`` along its heading while turning at ``yaw_rate``."""
    position, yaw = np.array([1.0, -2.0, STAND]), start_yaw
    meter = LocomotionMeter(DT, position, yaw, command)
    for k in range(steps):
        mid = yaw + yaw_rate * DT / 2
        position = position + DT * speed * np.array([math.cos(mid), math.sin(mid), 0.0])
        position[2] = height(k)
        yaw = math.remainder(yaw + yaw_rate * DT, 2 * math.pi)  # wrapped, as read
        meter.add(position, yaw, up_z(k), True, non_foot(k), [slip, slip, math.nan, slip])
    return meter.result()


def test_a_straight_walk_at_0_3_passes():
    m = drive(0.3, 0.0, start_yaw=2.5)  # any heading: the command is in the body frame
    assert WALK.failures(m) == []
    assert m.net_speed_along_command == pytest.approx(0.3)
    assert m.displacement_along_command == pytest.approx(0.3 * 12.5)
    assert m.tracking_error == pytest.approx(0.0, abs=1e-9)
    assert m.yaw_rate_error == pytest.approx(0.0, abs=1e-9)
    assert m.heading_drift_deg == pytest.approx(0.0, abs=1e-9)
    assert m.time_to_stand == pytest.approx(DT)
    assert m.non_foot_contact_share == 0.0 and m.upright_share == 1.0
    assert m.foot_slip == pytest.approx(0.01)


def test_a_circle_at_0_43_with_19_degrees_per_second_fails():
    # gravity-seed1/final_policy: fast along its own heading, going round.
    m = drive(0.43, math.radians(19.0))
    reasons = WALK.failures(m)
    assert any('heading drift' in r for r in reasons)
    assert any('net speed' in r for r in reasons)
    assert m.heading_drift_deg == pytest.approx(19.0 * 12.5)  # unwrapped: 237.5, not -122.5
    assert m.net_speed_along_command < 0.0  # past half a turn it is heading back
    # In its own heading frame it runs 0.13 m/s too fast; the turning shows in the yaw rate.
    assert m.tracking_error == pytest.approx(0.13)
    assert m.yaw_rate_error == pytest.approx(math.radians(19.0))


def test_several_loops_count_fully():
    m = drive(0.43, math.radians(19.0), steps=1000)
    assert m.heading_drift_deg == pytest.approx(19.0 * 50.0)
    assert m.max_heading_error_deg == pytest.approx(19.0 * 50.0)


def test_knee_dragging_fails():
    m = drive(0.3, 0.0, non_foot=lambda k: k % 5 == 4)
    assert m.non_foot_contact_share == pytest.approx(0.2)
    assert WALK.failures(m) == ['non-foot contact on 20% > 5% of steps']


def test_falling_on_the_back_fails_upright():
    m = drive(0.3, 0.0, up_z=lambda k: 1.0 if k < 50 else -1.0)
    assert m.upright_share == pytest.approx(0.2)
    assert any('upright' in r for r in WALK.failures(m))


def test_lying_on_the_belly_is_upright_but_not_standing():
    m = drive(0.0, 0.0, height=lambda k: 0.16)
    assert m.upright_share == 1.0
    assert m.time_to_stand is None
    assert 'never stood' in WALK.failures(m)


def test_the_getting_up_from_lying_is_not_counted_as_contact():
    # Knees on the floor while it gets up for 2 s, then on its feet: stood at 2 s.
    rising = 40
    m = drive(
        0.3,
        0.0,
        non_foot=lambda k: k < rising,
        height=lambda k: 0.16 if k < rising else STAND,
    )
    assert m.time_to_stand == pytest.approx((rising + 1) * DT)
    assert m.non_foot_contact_share == 0.0
    assert WALK.passed(m)
    slow = drive(0.3, 0.0, non_foot=lambda k: k < 70, height=lambda k: 0.16 if k < 70 else STAND)
    assert any('stood after' in r for r in WALK.failures(slow))


def test_a_turning_command_followed_exactly_has_no_drift():
    turn = VelocityCommand(vx=0.3, wz=0.1)
    m = drive(0.3, 0.1, command=turn, start_yaw=-1.0)
    assert m.heading_drift_deg == pytest.approx(0.0, abs=1e-6)
    assert m.tracking_error == pytest.approx(0.0, abs=1e-9)
    assert m.yaw_rate_error == pytest.approx(0.0, abs=1e-9)
    # Along the commanded arc's chord: the whole net displacement.
    assert m.displacement_along_command == pytest.approx(m.net_displacement)
    # Going straight instead drifts by the commanded turn and misses the rate.
    straight = drive(0.3, 0.0, command=turn)
    assert straight.heading_drift_deg == pytest.approx(-math.degrees(0.1 * 12.5))


def test_a_zero_command_measures_how_far_it_wandered():
    m = drive(0.1, 0.0, command=VelocityCommand())
    assert m.displacement_along_command == pytest.approx(0.1 * 12.5)
    assert m.tracking_error == pytest.approx(0.1)


def test_commands_must_be_finite():
    with pytest.raises(ValueError, match='non-finite'):
        VelocityCommand(vx=math.nan)


def test_the_criterion_applies_to_lying_starts_of_250_steps():
    assert WALK.applies('lying', 250)
    assert not WALK.applies('standing', 250)
    assert not WALK.applies('lying', 1000)


def _measures(**values) -> LocomotionMeasures:
    fields = dict(
        steps=250,
        duration=12.5,
        displacement_along_command=0.0,
        net_speed_along_command=0.0,
        net_displacement=0.0,
        tracking_error=0.0,
        yaw_rate_error=0.0,
        heading_drift_deg=0.0,
        max_heading_error_deg=0.0,
        non_foot_contact_share=0.0,
        foot_slip=0.0,
        upright_share=1.0,
        time_to_stand=0.0,
    )
    return LocomotionMeasures(**{**fields, **values})


def test_omnidirectional_commands_are_ones_training_can_draw_and_are_judged_by_errors():
    from dataclasses import replace

    from dreamstride_agent.acting.velocity_command import VelocityCommandConfig
    from dreamstride_lab.locomotion_metrics import OMNI_COMMANDS, TRACKING

    sampler = VelocityCommandConfig(sampler='uniform')
    assert len(OMNI_COMMANDS) == 8
    for name, c in OMNI_COMMANDS.items():
        assert abs(c.vx) <= sampler.range_vx and abs(c.vy) <= sampler.range_vy, name
        assert abs(c.wz) <= sampler.range_wz, name
        sampler.check((c.vx, c.vy, c.wz))  # and cmd_vel would accept it
    # The eight directions differ: forward/backward, both sides, both turns, diagonals.
    assert len({(c.vx, c.vy, c.wz) for c in OMNI_COMMANDS.values()}) == 8
    good = _measures(tracking_error=0.08, yaw_rate_error=0.15)
    assert TRACKING.failures(good) == []
    bad = replace(good, tracking_error=0.12, yaw_rate_error=0.3)
    assert len(TRACKING.failures(bad)) == 2
