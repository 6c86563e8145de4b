# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""On its back the agent runs the scripted self-right: joint commands, not a teleport."""

from agent_ticks import PERIOD, UPRIGHT, make_core
from dreamstride_agent.acting.agent_core import Hold, HoldKind, SensorBoard, TickResult
from dreamstride_agent.acting.observation import imu_reading, joint_reading, odometry_reading
from dreamstride_agent.acting.self_right import SelfRight
import numpy as np
from spot_description.self_right import self_right_schedule
from spot_description.spot import JOINT_LOWER, JOINT_NAMES, JOINT_UPPER, STANDING_POSE

ON_BACK = (1.0, 0.0, 0.0, 0.0)  # (x, y, z, w): half a turn about x


def _feed(board, t, orientation, sensors):
    joints, imu, odometry = sensors
    board.update(joints, lambda: joint_reading(list(JOINT_NAMES), list(STANDING_POSE), [], t))
    board.update(imu, lambda: imu_reading(orientation, (0.0, 0.0, 0.0), t))
    board.update(odometry, lambda: odometry_reading((0.0, 0.0, 0.0), orientation, t))


def run(core, ticks: int, orientation, start: int = 0) -> list:
    from dreamstride_agent.acting.agent_core import Sensor

    board, out = SensorBoard(), []
    for i in range(start, start + ticks):
        _feed(board, i * PERIOD, orientation, (Sensor.JOINT_STATES, Sensor.IMU, Sensor.ODOMETRY))
        out.append(core.decide(i * PERIOD, board.snapshot()))
    return out


def test_after_a_second_on_its_back_the_agent_rights_itself_with_rate_limited_commands():
    core = make_core(self_right_after=1.0)
    decisions = run(core, 20 + len(self_right_schedule()) + 5, ON_BACK)
    # One second (20 ticks at 20 Hz) of acting on its back, then the manoeuvre.
    assert all(isinstance(d, TickResult) for d in decisions[:20])
    manoeuvre = decisions[20 : 20 + len(self_right_schedule())]
    assert all(isinstance(d, Hold) and d.kind is HoldKind.SELF_RIGHT for d in manoeuvre)
    commands = np.array([d.command for d in manoeuvre])
    previous = np.vstack([decisions[19].command, commands[:-1]])
    assert np.all(np.abs(commands - previous) <= core.config.command.max_step + 1e-9)
    lower, upper = core.filter.lower, core.filter.upper  # the limits less the margin
    assert np.all(commands >= lower) and np.all(commands <= upper)
    # It reaches the script's key poses (each held for 15 ticks), inside the margin.
    final = np.clip(self_right_schedule()[-1], lower, upper)
    np.testing.assert_allclose(commands[-1], final, atol=1e-9)
    # Counted once, and the episode was cut: the policy's next step starts a new one.
    assert core.hold_counts[HoldKind.SELF_RIGHT] == 1
    after = decisions[20 + len(self_right_schedule())]
    # Still on its back (these readings never change): the policy acts again, in a new
    # episode, for another second before the next try.
    assert isinstance(after, TickResult) and after.is_first
    assert core.self_right.started == 1


def test_upright_robot_and_disabled_self_right_never_run_it():
    upright = run(make_core(self_right_after=1.0), 200, UPRIGHT)
    assert all(isinstance(d, TickResult) for d in upright)
    disabled = run(make_core(self_right_after=0.0), 200, ON_BACK)
    assert all(isinstance(d, TickResult) for d in disabled)


def test_dry_run_sends_nothing_while_on_its_back():
    decisions = run(make_core(self_right_after=0.5, dry_run=True), 40, ON_BACK)
    holds = [d for d in decisions if isinstance(d, Hold)]
    assert holds and all(h.command is None for h in holds)


def test_self_right_retries_after_waiting_again_when_still_on_its_back():
    recovery = SelfRight(0.5, 0.25, JOINT_LOWER, JOINT_UPPER)
    n = len(self_right_schedule())
    previous = STANDING_POSE.copy()
    running = []
    for i in range(2 * (n + 10) + 5):
        command = recovery.command(i * PERIOD, -1.0, previous)
        running.append(command is not None)
        if command is not None:
            previous = command
    assert recovery.started == 2
    # Each manoeuvre is followed by 10 ticks (0.5 s) of waiting before the next.
    first_end = running.index(True) + n
    assert running[first_end : first_end + 10] == [False] * 10
