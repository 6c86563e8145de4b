# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The velocity command: cmd_vel checks, staleness, the training sampler, the agent's use."""

import math

from agent_ticks import MAX_AGE, PERIOD, feed
from dreamstride_agent.acting.agent_core import AgentConfig, AgentCore, Sensor, SensorBoard
from dreamstride_agent.acting.observation import ObservationSpec, imu_reading
from dreamstride_agent.acting.policy_slot import PolicySlot
from dreamstride_agent.acting.velocity_command import (
    CommandBoard,
    CommandSampler,
    HeadingHold,
    VelocityCommandConfig,
    yaw_from_quaternion,
)
import numpy as np
import pytest

ZERO = (0.0, 0.0, 0.0)


def test_missing_or_stale_command_means_zero_velocity():
    board = CommandBoard(VelocityCommandConfig(timeout=0.5))
    np.testing.assert_array_equal(board.command(0.0), ZERO)  # nothing received yet
    assert board.update(1.0, (0.3, 0.1, 0.0), (0.0, 0.0, 0.2)) is None
    np.testing.assert_allclose(board.command(1.4), (0.3, 0.1, 0.2), rtol=1e-6)
    np.testing.assert_array_equal(board.command(1.6), ZERO)  # 0.6 s old: stand
    # A command stamped ahead of the clock (a clock that jumped back) is not trusted either.
    np.testing.assert_array_equal(board.command(0.2), ZERO)


@pytest.mark.parametrize(
    ('linear', 'angular', 'reason'),
    [
        ((math.nan, 0.0, 0.0), ZERO, 'not finite'),
        ((0.1, 0.0, math.inf), ZERO, 'not finite'),  # even in a component a robot ignores
        ((0.0, 0.0, 0.0), (-math.inf, 0.0, 0.0), 'not finite'),
        ((5.0, 0.0, 0.0), ZERO, 'exceeds max_linear 1 m/s'),
        ((0.0, -1e300, 0.0), ZERO, 'exceeds max_linear'),
        ((0.0, 0.0, 0.0), (0.0, 0.0, 3.0), 'angular.z 3 rad/s exceeds max_angular 1 rad/s'),
    ],
)
def test_hostile_commands_are_refused_with_a_reason_and_never_used(linear, angular, reason):
    board = CommandBoard(VelocityCommandConfig())
    assert board.update(0.0, (0.2, 0.0, 0.0), ZERO) is None
    refusal = board.update(0.1, linear, angular)
    assert refusal is not None and reason in refusal
    assert board.refused == 1 and board.last_refusal == refusal
    # The accepted command stays in force until it ages out; the refused one never is.
    np.testing.assert_allclose(board.command(0.2), (0.2, 0.0, 0.0), rtol=1e-6)
    np.testing.assert_array_equal(board.command(0.7), ZERO)


def test_fixed_sampler_is_daydreamers_forward_task():
    sampler = CommandSampler(VelocityCommandConfig(sampler='fixed'), np.random.default_rng(0))
    for t in (0.0, 10.0, 1000.0):
        np.testing.assert_allclose(sampler.command(t), (0.3, 0.0, 0.0), rtol=1e-6)


def test_uniform_sampler_holds_each_draw_for_its_period_within_the_ranges():
    cfg = VelocityCommandConfig(sampler='uniform', resample_period=5.0, zero_probability=0.2)
    sampler = CommandSampler(cfg, np.random.default_rng(3))
    draws = []
    for k in range(200):
        first = sampler.command(5.0 * k)
        np.testing.assert_array_equal(sampler.command(5.0 * k + 4.9), first)  # held
        draws.append(first.copy())
    draws = np.array(draws)
    assert np.all(np.abs(draws) <= [cfg.range_vx, cfg.range_vy, cfg.range_wz])
    zeros = np.mean(np.all(draws == 0, axis=1))
    assert 0.1 < zeros < 0.3  # about zero_probability
    assert len({tuple(d) for d in draws}) > 100  # really drawn, not one command


@pytest.mark.parametrize(
    ('field', 'value', 'match'),
    [
        ('source', 'joystick', 'source must be one of'),
        ('sampler', 'gaussian', 'sampler must be one of'),
        ('timeout', 0.0, 'timeout must be positive'),
        ('fixed_vx', 2.0, 'fixed sampler command'),
        ('range_wz', 5.0, 'uniform sampler ranges'),
        ('zero_probability', 1.5, 'zero_probability'),
        ('heading_hold_gain', -1.0, 'heading_hold_gain'),
    ],
)
def test_bad_configuration_is_refused_by_name(field, value, match):
    with pytest.raises(ValueError, match=match):
        VelocityCommandConfig(**{field: value})


def _core(**velocity_command) -> tuple[AgentCore, SensorBoard]:
    config = AgentConfig(
        max_sensor_age=MAX_AGE, velocity_command=VelocityCommandConfig(**velocity_command)
    )
    slot = PolicySlot(config.observation_spec().size, 12, 1 << 20)
    return AgentCore(config, slot, np.random.default_rng(0)), SensorBoard()


def test_the_agent_observes_and_reports_the_command_in_force():
    core, board = _core(source='topic', timeout=0.5)
    keys = core.spec.describe()
    assert keys.endswith('velocity_command:3') and 'yaw_rate:1' in keys
    assert ObservationSpec.from_description(keys) == core.spec
    core.commands.update(0.0, (0.25, -0.1, 0.0), (0.0, 0.0, 0.3))
    seen = []
    for i in range(20):  # 1 s at 20 Hz: the command ages out after 0.5 s
        feed(board, i * PERIOD)
        result = core.decide(i * PERIOD, board.snapshot())
        np.testing.assert_array_equal(result.observation[-3:], result.velocity_command)
        seen.append(result.velocity_command.copy())
    np.testing.assert_allclose(seen[0], (0.25, -0.1, 0.3), rtol=1e-6)
    np.testing.assert_allclose(seen[10], (0.25, -0.1, 0.3), rtol=1e-6)  # 0.5 s: still fresh
    np.testing.assert_array_equal(seen[11], ZERO)  # stale: stand


def test_the_reward_pays_for_the_command_the_agent_was_given():
    """The same motion (standing pose, 0.2 m/s forward) under three commands."""
    rewards = {}
    for name, vx in (('stand', 0.0), ('walk', 0.3), ('exact', 0.2)):
        core, board = _core(source='sampler', sampler='fixed', fixed_vx=vx)
        for i in range(3):
            feed(board, i * PERIOD)  # standing pose, upright, 0.2 m/s forward
            result = core.decide(i * PERIOD, board.snapshot())
        rewards[name] = result.reward
    # Pose terms 4, plus 10 * (r_velocity + 1) / 2 with r_velocity = 1 - error / 0.3.
    assert rewards['exact'] == pytest.approx(14.0)
    assert rewards['walk'] == pytest.approx(4.0 + 5.0 * (2.0 - 0.1 / 0.3))
    assert rewards['stand'] == pytest.approx(4.0 + 5.0 * (2.0 - 0.2 / 0.3))


def _yawed(yaw: float) -> tuple[float, float, float, float]:
    return (0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2))


def test_yaw_from_quaternion():
    for yaw in (0.0, 0.3, -2.0, 3.1):
        assert yaw_from_quaternion(*_yawed(yaw)) == pytest.approx(yaw)


def test_heading_hold_steers_back_to_the_heading_it_started_with():
    hold = HeadingHold(VelocityCommandConfig(heading_hold_gain=1.0, heading_hold_limit=0.5), 0.05)
    straight = np.array([0.3, 0.0, 0.0], np.float32)
    np.testing.assert_array_equal(hold.command(straight, 1.0), straight)  # holds 1.0 rad
    assert hold.command(straight, 1.2)[2] == pytest.approx(-0.2)  # drifted left: turn right
    assert hold.command(straight, 0.9)[2] == pytest.approx(0.1)
    assert hold.command(straight, 0.0)[2] == pytest.approx(0.5)  # at most the limit
    np.testing.assert_array_equal(hold.command(straight, 1.2)[:2], straight[:2])
    # Across +-pi the error is the short way round.
    hold.reset()
    hold.command(straight, math.pi - 0.05)
    assert hold.command(straight, -math.pi + 0.05)[2] == pytest.approx(-0.1, abs=1e-5)


def test_heading_hold_follows_a_commanded_turn_and_holds_nothing_when_standing():
    cfg = VelocityCommandConfig(heading_hold_gain=1.0, heading_hold_limit=0.5)
    hold = HeadingHold(cfg, 0.05)
    turn = np.array([0.3, 0.0, 0.4], np.float32)
    yaw = 0.0
    for _ in range(40):  # a body turning exactly as asked is not corrected
        assert hold.command(turn, yaw)[2] == pytest.approx(0.4, abs=1e-5)
        yaw += 0.4 * 0.05
    # Asked only to stand, a robot pushed round is not asked to turn back ...
    zero = np.zeros(3, np.float32)
    np.testing.assert_array_equal(hold.command(zero, yaw + 1.0), zero)
    # ... and a later straight command holds the heading it then has.
    straight = np.array([0.3, 0.0, 0.0], np.float32)
    assert hold.command(straight, yaw + 1.0)[2] == 0.0
    assert hold.command(straight, yaw + 1.1)[2] == pytest.approx(-0.1, abs=1e-5)
    # Never past max_angular, and off (gain 0) the command passes as it was.
    near = VelocityCommandConfig(heading_hold_gain=1.0, max_angular=0.5)
    capped = HeadingHold(near, 0.05)
    capped.command(np.array([0.3, 0.0, 0.45], np.float32), 0.0)
    assert capped.command(np.array([0.3, 0.0, 0.45], np.float32), -0.3)[2] == 0.5
    off = HeadingHold(VelocityCommandConfig(), 0.05)
    off.command(straight, 0.0)
    assert off.command(straight, 1.0) is straight


def test_the_agent_observes_and_is_paid_for_the_held_heading():
    """A body turned 0.2 rad from the heading its episode started with, under vx 0.3."""
    core, board = _core(source='sampler', sampler='fixed', heading_hold_gain=1.0)
    for i, yaw in enumerate((0.0, 0.2)):
        feed(board, i * PERIOD)
        board.update(
            Sensor.IMU, lambda yaw=yaw, t=i * PERIOD: imu_reading(_yawed(yaw), (0, 0, 0), t)
        )
        result = core.decide(i * PERIOD, board.snapshot())
    np.testing.assert_allclose(result.velocity_command, (0.3, 0.0, -0.2), atol=1e-6)
    np.testing.assert_array_equal(result.observation[-3:], result.velocity_command)
    # Not turning (yaw rate 0) while asked to turn back by 0.2 rad/s costs the yaw factor.
    unheld, board = _core(source='sampler', sampler='fixed')
    for i in range(2):
        feed(board, i * PERIOD)
        baseline = unheld.decide(i * PERIOD, board.snapshot())
    assert result.reward < baseline.reward - 1.0
