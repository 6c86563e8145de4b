# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The agent's decision (AgentCore.decide) driven directly with an injected clock."""

from __future__ import annotations

from agent_ticks import PERIOD, feed, make_core
from dreamstride_agent.acting.agent_core import (
    AgentConfig,
    Hold,
    HoldKind,
    RecorderGate,
    Sensor,
    SensorBoard,
    TickResult,
)
from dreamstride_agent.acting.command_filter import CommandConfig
from dreamstride_agent.acting.observation import imu_reading, joint_reading
import numpy as np
import pytest
from spot_description.spot import JOINT_LOWER, JOINT_NAMES, JOINT_UPPER, STANDING_POSE


def bad_joints(board: SensorBoard, t: float) -> None:
    board.update(
        Sensor.JOINT_STATES, lambda: joint_reading(list(JOINT_NAMES), [float('nan')] * 12, [], t)
    )


def test_no_data_then_acting_then_stale_then_acting_again():
    core, board = make_core(), SensorBoard()
    first = core.decide(0.0, board.snapshot())
    assert isinstance(first, Hold) and first.kind is HoldKind.NO_DATA
    assert first.sensor is Sensor.JOINT_STATES and first.command is None
    feed(board, 0.0)
    steps = [core.decide(t * PERIOD, board.snapshot()) for t in range(1)]
    assert isinstance(steps[0], TickResult) and steps[0].is_first
    # No new data: the readings age past max_sensor_age on the injected clock.
    assert isinstance(core.decide(0.05, board.snapshot()), TickResult)
    stale = core.decide(0.1, board.snapshot())
    assert isinstance(stale, Hold) and stale.kind is HoldKind.STALE
    assert stale.sensor is Sensor.JOINT_STATES
    assert stale.command is not None  # posture: the last safe command is repeated
    # Valid data again: the agent acts at the very next tick, starting a new episode.
    feed(board, 0.15)
    back = core.decide(0.15, board.snapshot())
    assert isinstance(back, TickResult) and back.is_first and back.episode_id == 1
    assert core.hold is None
    assert core.hold_counts == {HoldKind.NO_DATA: 1, HoldKind.STALE: 1}


def test_a_stale_hold_is_one_hold_while_its_age_grows():
    core, board = make_core(), SensorBoard()
    feed(board, 0.0)
    core.decide(0.0, board.snapshot())
    holds = [core.decide(0.1 + i * PERIOD, board.snapshot()) for i in range(10)]
    assert len({h.detail for h in holds}) == 10  # the detail carries the age ...
    assert core.hold_counts[HoldKind.STALE] == 1  # ... the cause is the same hold


def test_a_bad_message_on_one_sensor_never_clears_another_sensors_error():
    core, board = make_core(), SensorBoard()
    feed(board, 0.0)
    assert isinstance(core.decide(0.0, board.snapshot()), TickResult)
    bad_joints(board, 0.01)
    # Bad, then good, on the IMU: must not clear the joint_states error.
    board.update(Sensor.IMU, lambda: imu_reading((0, 0, 0, 2.0), (0, 0, 0), 0.02))
    feed(board, 0.03, skip=(Sensor.JOINT_STATES,))
    for t in (0.05, 0.1, 0.15):
        hold = core.decide(t, board.snapshot())
        assert isinstance(hold, Hold) and hold.kind is HoldKind.MALFORMED
        assert hold.sensor is Sensor.JOINT_STATES and 'non-finite' in hold.detail
        feed(board, t, skip=(Sensor.JOINT_STATES,))
    feed(board, 0.2)  # a valid joint_states message clears its own error
    assert isinstance(core.decide(0.2, board.snapshot()), TickResult)


def test_readings_from_the_future_are_held():
    core, board = make_core(), SensorBoard()
    feed(board, 5.0)
    hold = core.decide(1.0, board.snapshot())
    assert isinstance(hold, Hold) and hold.kind is HoldKind.STALE and 'future' in hold.detail


def test_waiting_for_the_recorder_sends_nothing_and_takes_no_step():
    core, board = make_core(), SensorBoard()
    feed(board, 0.0)
    hold = core.decide(0.0, board.snapshot(), recorder_ready=False)
    assert isinstance(hold, Hold) and hold.kind is HoldKind.NO_RECORDER
    assert hold.sensor is None and hold.command is None and core.episode_step == 0


def test_recorder_gate_opens_after_settling_and_stays_open():
    gate = RecorderGate(required=True, settle=1.0)
    assert not gate.ready(0.0, 0)
    assert not gate.ready(0.5, 1)
    assert not gate.ready(1.0, 0)  # the match went away: settle again
    assert not gate.ready(1.2, 1)
    assert gate.ready(2.2, 1)
    assert gate.ready(3.0, 0)  # once open, a recorder restart does not close it
    assert RecorderGate(required=False).ready(0.0, 0)


@pytest.mark.parametrize(
    'config,sends',
    [
        ({'hold_mode': 'posture'}, True),
        ({'hold_mode': 'none'}, False),
        ({'hold_mode': 'posture', 'dry_run': True}, False),
    ],
)
def test_what_a_hold_sends(config, sends):
    core, board = make_core(**config), SensorBoard()
    feed(board, 0.0)
    acted = core.decide(0.0, board.snapshot())
    assert acted.send_command is not config.get('dry_run', False)
    hold = core.decide(1.0, board.snapshot())
    assert (hold.command is not None) is sends
    if sends:
        np.testing.assert_array_equal(hold.command, acted.command)


def test_no_posture_before_the_first_command():
    core, board = make_core(), SensorBoard()
    feed(board, 0.0)
    hold = core.decide(1.0, board.snapshot())
    assert hold.kind is HoldKind.STALE and hold.command is None


def test_episodes_are_cut_by_time_and_by_holds():
    core, board = make_core(episode_length=4), SensorBoard()
    results = []
    for i in range(6):
        feed(board, i * PERIOD)
        results.append(core.decide(i * PERIOD, board.snapshot()))
    assert [r.is_first for r in results] == [True, False, False, False, True, False]
    assert [r.is_last for r in results] == [False, False, False, True, False, False]
    assert [r.episode_id for r in results] == [0, 0, 0, 0, 1, 1]
    assert results[0].reward_terms is None and results[1].reward_terms is not None
    core.decide(1.0, board.snapshot())  # stale: cuts episode 1
    feed(board, 1.05)
    after = core.decide(1.05, board.snapshot())
    assert after.is_first and after.episode_id == 2


class NanPolicy:
    """A policy that passed validation but acts with NaN."""

    class metadata:  # noqa: N801 - mimics Policy.metadata
        image_shape = None

    def step(self, obs, state, is_first, image=None, sample=True):
        return np.full(12, np.nan, dtype=np.float32), state


def test_a_nan_policy_is_dropped_and_random_exploration_acts_in_the_same_tick():
    core, board = make_core(), SensorBoard()
    core.policies.active, core.policies.active_version = NanPolicy(), 3
    feed(board, 0.0)
    result = core.decide(0.0, board.snapshot())
    assert isinstance(result, TickResult)
    assert result.dropped_policy and 'v3' in result.dropped_policy
    assert np.all(np.isfinite(result.action)) and np.all(np.abs(result.action) <= 1.0)
    assert result.policy_version == 0 and core.policies.active is None
    assert core.policies.refused == 1


def test_commands_restart_from_the_measured_pose_within_limits_after_a_hold():
    max_step = 0.1
    core = make_core(command=CommandConfig(max_step=max_step))
    board = SensorBoard()
    rng = np.random.default_rng(1)
    t, previous = 0.0, None
    for round_ in range(3):
        # The robot is found somewhere else after each hold (it fell, was moved).
        pose = rng.uniform(JOINT_LOWER, JOINT_UPPER)
        for _ in range(20):
            feed(board, t, pose=pose)
            result = core.decide(t, board.snapshot())
            assert isinstance(result, TickResult)
            assert np.all(result.command >= JOINT_LOWER) and np.all(result.command <= JOINT_UPPER)
            reference = pose if previous is None else previous
            assert np.max(np.abs(result.command - reference)) <= max_step + 1e-9
            previous = result.command
            t += PERIOD
        hold = core.decide(t + 1.0, board.snapshot())
        assert isinstance(hold, Hold)
        t += 1.0 + PERIOD
        previous = None  # after a hold the command restarts from the measured pose
        del round_


def _exported_versions(versions: tuple[int, ...]) -> list[tuple[int, bytes, str]]:
    """The same tiny untrained policy (the default observation, 12 actions) as each version."""
    from dreamstride_agent.dreamer.config import load_config
    from dreamstride_agent.dreamer.learner import DreamerLearner
    import torch

    torch.manual_seed(0)
    obs_dim = AgentConfig().observation_spec().size
    learner = DreamerLearner(load_config('tiny'), obs_dim, 12, device='cpu')
    return [(v, *learner.export_policy(v)) for v in versions]


def _actions_with_swaps(swap_at: dict[int, tuple[int, bytes, str]], ticks: int):
    core, board = make_core(sample_actions=False), SensorBoard()
    results = []
    for i in range(ticks):
        if i in swap_at:
            version, data, sha = swap_at[i]
            accepted, message = core.policies.offer('safetensors', version, sha, data)
            assert accepted, message
        feed(board, i * PERIOD, pose=STANDING_POSE + 0.01 * i)
        results.append(core.decide(i * PERIOD, board.snapshot()))
    return results


def test_a_new_policy_version_continues_from_the_latent_state_mid_episode():
    v1, v2 = _exported_versions((1, 2))
    steady = _actions_with_swaps({0: v1}, 6)
    swapped = _actions_with_swaps({0: v1, 3: v2}, 6)
    assert [r.policy_version for r in swapped] == [1, 1, 1, 2, 2, 2]
    assert not any(r.is_first for r in swapped[1:])  # the swap is not an episode start
    # Same weights under a new version: acting goes on exactly as if nothing changed.
    # Restarting the latent state at the swap (the old behaviour) changes these actions.
    for a, b in zip(steady, swapped, strict=True):
        np.testing.assert_array_equal(a.action, b.action)
