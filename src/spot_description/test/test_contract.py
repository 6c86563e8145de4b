# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The robot contract's rules for commands: what a backend applies, refuses and logs."""

from __future__ import annotations

from itertools import pairwise
import math
import time
from types import SimpleNamespace

import pytest
from spot_description import contract, spot
from spot_description.contract import RejectionLog, targets_from_trajectory
from spot_description.spot import JOINT_NAMES
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint


def trajectory(names: list[str], *points: list[float]) -> JointTrajectory:
    return JointTrajectory(
        joint_names=names, points=[JointTrajectoryPoint(positions=p) for p in points]
    )


def refusal(msg: JointTrajectory) -> str:
    """The refusal's message, which must stay short whatever the message held."""
    with pytest.raises(ValueError) as error:
        targets_from_trajectory(msg)
    message = str(error.value)
    assert len(message) < 300, message[:400]
    return message


# --- targets_from_trajectory: what a backend applies ----------------------------------
def test_the_last_point_gives_the_targets_by_name():
    msg = trajectory(['rear_right_knee', 'front_left_hip_x'], [-1.0, 0.1], [-1.2, 0.2])
    assert targets_from_trajectory(msg) == {'rear_right_knee': -1.2, 'front_left_hip_x': 0.2}


def test_every_joint_in_any_order_is_applied_as_floats():
    names = list(reversed(JOINT_NAMES))
    targets = targets_from_trajectory(trajectory(names, [0.0] * len(names), range(len(names))))
    assert targets == {name: float(i) for i, name in enumerate(names)}
    assert all(type(v) is float for v in targets.values())


def test_the_bounds_themselves_are_accepted():
    # As many points as allowed: only the last one counts.
    points = [[0.1]] * (contract.MAX_TRAJECTORY_POINTS - 1) + [[0.2]]
    assert targets_from_trajectory(trajectory(['front_left_knee'], *points)) == {
        'front_left_knee': 0.2
    }


# --- ... and what it refuses, naming the problem --------------------------------------
@pytest.mark.parametrize(
    'msg, problem',
    [
        (trajectory([], [1.0]), 'no joint names'),
        (trajectory([]), 'no joint names'),
        (trajectory(['front_left_knee']), 'no points'),
        (trajectory(['front_left_knee', 'tail'], [-1.0, 0.0]), "unknown joint name(s) ['tail']"),
        (trajectory([''], [0.0]), "unknown joint name(s) ['']"),
        (trajectory(['Front_Left_Knee'], [0.0]), 'unknown joint name'),  # names are exact
        (trajectory(['front_left_knee '], [0.0]), 'unknown joint name'),
        (trajectory(['front_left_knee', 'front_left_knee'], [-1.0, -1.1]), 'repeated joint name'),
        (
            trajectory(['front_left_knee', 'front_left_hip_x'], [-1.0]),
            'point 0 has 1 positions for 2 joint names',
        ),
        (trajectory(['front_left_knee'], []), 'point 0 has 0 positions for 1 joint names'),
        (trajectory(['front_left_knee'], [-1.0], [-1.0, 0.0]), 'point 1 has 2 positions'),
        (
            trajectory(['front_left_knee'], [math.nan]),
            "non-finite positions for ['front_left_knee']",
        ),
        (trajectory(['front_left_knee'], [-1.0], [math.inf]), 'point 1 has non-finite'),
        (trajectory(['front_left_knee'], [-math.inf], [-1.0]), 'point 0 has non-finite'),
    ],
)
def test_a_trajectory_that_cannot_be_applied_is_refused(msg, problem):
    assert problem in refusal(msg)


def test_a_non_finite_position_in_an_earlier_point_refuses_the_whole_message():
    # Only the last point is applied, but a message carrying NaN is not a command to trust.
    names = ['front_left_knee', 'rear_right_hip_y']
    message = refusal(trajectory(names, [0.0, math.nan], [0.0, 0.0]))
    assert "point 0 has non-finite positions for ['rear_right_hip_y']" in message


@pytest.mark.parametrize(
    'msg, problem',
    [
        # Refused by count before any per-name work (5000 repeated names once froze the
        # simulation loop for seconds, quadratic in the count).
        (
            trajectory(['front_left_knee'] * 5000, [0.0] * 5000),
            f'5000 joint names (at most {contract.MAX_TRAJECTORY_JOINTS})',
        ),
        (
            trajectory(['front_left_knee'], *([[0.0]] * 5000)),
            f'5000 points (at most {contract.MAX_TRAJECTORY_POINTS})',
        ),
        (
            trajectory(['front_left_knee'], *([[0.0]] * (contract.MAX_TRAJECTORY_POINTS + 1))),
            f'{contract.MAX_TRAJECTORY_POINTS + 1} points',
        ),
        (trajectory(['x' * 100_000], [0.0]), f'longer than {contract.MAX_JOINT_NAME}'),
        (trajectory([f'joint_{i:05d}' for i in range(60)], [0.0] * 60), 'and 57 more'),
        (trajectory(['front_left_knee'], [0.0] * 1_000_000), '1000000 positions for 1'),
        (trajectory(['\x00' * 50, 'é' * 50], [0.0, 0.0]), 'unknown joint name'),
    ],
)
def test_a_hostile_trajectory_is_refused_quickly_with_a_short_message(msg, problem):
    start = time.perf_counter()
    assert problem in refusal(msg)
    assert time.perf_counter() - start < 1.0


# --- logging refusals: a flood of bad commands cannot flood the log ---------------------
def test_a_repeated_cause_is_logged_at_most_once_a_second():
    log = RejectionLog()
    times = [0.01 * i for i in range(300)]  # the same cause at 100 Hz for 3 s
    logged = [t for t in times if log.should_log('no points', 100.0 + t)]
    assert len(logged) == 3
    assert all(b - a >= 1.0 for a, b in pairwise(logged))


def test_a_new_cause_is_logged_at_once_up_to_the_lines_per_second():
    log = RejectionLog(per_second=10)
    assert log.should_log('a', 5.0) and log.should_log('b', 5.0) and log.should_log('a', 5.0)
    # 'a', 'b', 'a': each a change of cause. Then 20 more new causes in the same second:
    logged = sum(log.should_log(f'cause {i}', 5.5) for i in range(20))
    assert logged == 7  # ten lines in the window, whatever the causes
    assert log.should_log('cause 0', 6.0)  # the next window (one second after its start)


def test_causes_that_alternate_are_each_logged():
    # An alternation is a new cause every time: logged until the window is full.
    log = RejectionLog(per_second=4)
    assert [log.should_log(c, 1.0) for c in 'ababab'] == [True] * 4 + [False] * 2


class _Request:
    POSE_STANDING, POSE_ON_BACK, POSE_RANDOM, POSE_LYING = 0, 1, 2, 3


def test_reset_poses_map_every_constant_to_its_start_pose():
    assert contract.reset_poses(_Request) == {
        0: 'standing',
        1: 'on_back',
        2: 'random',
        3: 'lying',
    }
    assert sorted(contract.reset_poses(_Request).values()) == sorted(spot.START_POSES)


def test_reset_poses_refuse_a_request_without_a_start_pose():
    class Old:
        POSE_STANDING, POSE_ON_BACK, POSE_RANDOM = 0, 1, 2

    with pytest.raises(ValueError, match="no constant for the poses \\['lying'\\]"):
        contract.reset_poses(Old)


def test_requested_pose_names_the_pose_or_fills_the_refusal():
    poses = contract.reset_poses(_Request)
    response = SimpleNamespace(success=True, message='')
    assert contract.requested_pose(poses, SimpleNamespace(pose=3), response) == 'lying'
    assert response.success and response.message == ''  # left for the backend to fill
    assert contract.requested_pose(poses, SimpleNamespace(pose=9), response) is None
    assert not response.success
    assert response.message == 'unknown pose 9; expected one of [0, 1, 2, 3]'
