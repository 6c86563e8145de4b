# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""What `dreamstride train` prints: progress lines, the robot-down warning, the summary."""

from dreamstride_bringup.progress import DOWN_REWARD, Progress
from dreamstride_msgs.msg import AgentStatus, LearnerStatus


def agent(steps: int, reward: float, **fields) -> AgentStatus:
    return AgentStatus(
        steps=steps, mean_reward=reward, mode=AgentStatus.MODE_POLICY, policy_version=3, **fields
    )


def test_a_progress_line_every_interval_with_the_numbers_a_user_needs():
    progress = Progress(every=30.0)
    learner = LearnerStatus(
        state='training',
        train_step=120,
        updates_per_second=1.25,
        train_ratio=250.0,
        train_ratio_target=256.0,
        replay_steps=5480,
    )
    progress.on_learner(learner)
    lines = []
    for t in range(0, 95):
        progress.on_agent(float(t), agent(20 * t, 9.5))
        lines += progress.lines(float(t))
    assert len(lines) == 3  # at 30, 60 and 90 s
    line = lines[-1]
    for part in (
        'steps 1800',
        'reward/step 9.50',
        'policy v3',
        'updates 120 (1.25/s)',
        'train ratio 250/256',
        'replay 5480',
        'self-rights 0',
    ):
        assert part in line, (part, line)
    progress.on_learner(
        LearnerStatus(state='waiting_for_prefill', replay_steps=1200, prefill_steps=5000)
    )
    assert 'prefill 1200/5000' in progress.line()


def test_a_robot_down_for_long_is_warned_about_and_a_standing_one_is_not():
    down, up = Progress(every=1e9), Progress(every=1e9)
    warnings = {'down': [], 'up': []}
    for t in range(0, 200):
        down.on_agent(float(t), agent(20 * t, 5.0))  # on its back: 5 per step
        up.on_agent(float(t), agent(20 * t, 9.0))
        warnings['down'] += down.lines(float(t))
        warnings['up'] += up.lines(float(t))
    assert warnings['up'] == []
    assert len(warnings['down']) == 3  # at 60, 120 and 180 s down
    assert (
        'down for 60 s' in warnings['down'][0] and f'under {DOWN_REWARD:g}' in warnings['down'][0]
    )
    # Getting up clears it.
    down.on_agent(201.0, agent(4020, 9.0))
    assert down.lines(261.0) == []


def test_the_self_right_counts_as_down_and_the_summary_says_what_was_done():
    progress = Progress(every=1e9, down_warning_after=5.0)
    righting = agent(
        100, 0.0, hold=True, hold_kind=AgentStatus.HOLD_SELF_RIGHT, holds_self_right=2
    )
    righting.mode = AgentStatus.MODE_HOLD
    out = []
    for t in range(10):
        progress.on_agent(float(t), righting)
        out += progress.lines(float(t))
    assert len(out) == 1 and '2 self-rights' in out[0]
    progress.on_learner(LearnerStatus(train_step=7, replay_steps=100))
    assert (
        progress.summary() == '100 steps, policy v3, 2 self-rights, 7 updates, 100 steps in replay'
    )
