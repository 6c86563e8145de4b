# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""What ``dreamstride train`` tells the user while it runs, and when something is wrong.

:class:`Progress` is ROS-free: it reads the latest AgentStatus and LearnerStatus (any
objects with their fields) at times the caller gives, and returns the lines to print: a
progress line every ``every`` seconds (environment steps, prefill, updates, achieved and
target train ratio, reward, policy version, self-rights, time down) and a warning when
the robot has been down for long. :class:`StatusMonitor` is the rclpy side that feeds it.

"Down" is judged from the reward the agent reports, which needs no extra topic: a robot
on its back or side earns at most the upright term's share (about 5 per step of 14, see
dreamstride_agent.acting.reward), so a status window whose mean reward stays under
:data:`DOWN_REWARD` means it has not got its body up, and the agent's self-right holds
show when the scripted self-right is running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dreamstride_msgs.msg import AgentStatus

# Mean reward per step below which the robot has not got up (on its back: 5.0; lying on
# its belly with the standing pose terms locked: about 5.5 to 6).
DOWN_REWARD = 6.0
# Seconds down before the warning, and between repeated warnings.
DOWN_WARNING_AFTER = 60.0

_MODES = {
    AgentStatus.MODE_RANDOM: 'random',
    AgentStatus.MODE_POLICY: 'policy',
    AgentStatus.MODE_HOLD: 'hold',
}


@dataclass
class Progress:
    """Turns status messages into progress lines and warnings."""

    every: float = 30.0  # s between progress lines
    down_warning_after: float = DOWN_WARNING_AFTER
    agent: Any = None  # latest AgentStatus
    learner: Any = None  # latest LearnerStatus
    _last_line: float | None = None
    _down_since: float | None = None
    _last_warning: float | None = None
    _rewards: list[float] = field(default_factory=list)

    def on_agent(self, now: float, status: Any) -> None:
        """Record an AgentStatus received at ``now`` (s, monotonic)."""
        self.agent = status
        self_righting = status.hold_kind == AgentStatus.HOLD_SELF_RIGHT
        acting = status.mode != AgentStatus.MODE_HOLD
        down = self_righting or (acting and status.steps > 0 and status.mean_reward < DOWN_REWARD)
        if not down:
            self._down_since = None
        elif self._down_since is None:
            self._down_since = now
        if acting and status.steps > 0:
            self._rewards.append(float(status.mean_reward))

    def on_learner(self, status: Any) -> None:
        """Record a LearnerStatus."""
        self.learner = status

    def lines(self, now: float) -> list[str]:
        """Return what to print at ``now`` (s, monotonic): progress line, warnings."""
        out = []
        if self._last_line is None:
            self._last_line = now
        elif now - self._last_line >= self.every:
            self._last_line = now
            out.append(self.line())
        if self._down_since is not None and now - self._down_since >= self.down_warning_after:
            if self._last_warning is None or now - self._last_warning >= self.down_warning_after:
                self._last_warning = now
                out.append(
                    f'warning: the robot has been down for {now - self._down_since:.0f} s '
                    f'(mean reward under {DOWN_REWARD:g} per step, or self-righting); '
                    f'{self.agent.holds_self_right} self-rights so far'
                )
        return out

    def line(self) -> str:
        """Return one progress line from the latest statuses."""
        a, learner = self.agent, self.learner
        if a is None:
            return 'progress: no agent status yet'
        rewards, self._rewards = self._rewards, []
        reward = f'{sum(rewards) / len(rewards):.2f}' if rewards else 'n/a'
        parts = [
            f'steps {a.steps}',
            f'mode {_MODES.get(a.mode, a.mode)}' + (f' ({a.hold_reason})' if a.hold else ''),
            f'reward/step {reward}',
            f'policy v{a.policy_version}',
            f'self-rights {a.holds_self_right}',
        ]
        if learner is None:
            parts.append('learner: no status yet')
        elif learner.state == 'waiting_for_prefill':
            parts.append(f'prefill {learner.replay_steps}/{learner.prefill_steps}')
        else:
            target = f'/{learner.train_ratio_target:g}' if learner.train_ratio_target > 0 else ''
            parts += [
                f'updates {learner.train_step} ({learner.updates_per_second:.2f}/s)',
                f'train ratio {learner.train_ratio:.0f}{target}',
                f'replay {learner.replay_steps}',
            ]
        return 'progress: ' + ', '.join(parts)

    def summary(self) -> str:
        """Return the closing line about the robot and the learner."""
        a, learner = self.agent, self.learner
        if a is None:
            return 'no agent status was received'
        text = f'{a.steps} steps, policy v{a.policy_version}, {a.holds_self_right} self-rights'
        if learner is not None:
            text += f', {learner.train_step} updates, {learner.replay_steps} steps in replay'
        return text


class StatusMonitor:
    """An rclpy node in the command's process that feeds :class:`Progress`."""

    def __init__(self, namespace: str, progress: Progress, env: dict[str, str]) -> None:
        import os
        import time

        from dreamstride_agent.learning_topics import AGENT_STATUS, LEARNER_STATUS, STATUS_QOS
        from dreamstride_msgs.msg import AgentStatus, LearnerStatus
        import rclpy
        from rclpy.context import Context
        from rclpy.signals import SignalHandlerOptions

        # The nodes' ROS settings (domain, discovery range) must be this node's too.
        for key in (
            'ROS_DOMAIN_ID',
            'ROS_AUTOMATIC_DISCOVERY_RANGE',
            'ROS_STATIC_PEERS',
            'FASTDDS_BUILTIN_TRANSPORTS',
            'RMW_IMPLEMENTATION',
        ):
            if key in env:
                os.environ[key] = env[key]
        self._rclpy = rclpy
        self._time = time
        self.progress = progress
        self.context = Context()
        # Ctrl-C belongs to the supervisor, which stops the nodes in order.
        rclpy.init(context=self.context, signal_handler_options=SignalHandlerOptions.NO)
        self.node = rclpy.create_node(
            'dreamstride_progress', namespace=namespace, context=self.context
        )
        self.node.create_subscription(
            AgentStatus,
            AGENT_STATUS,
            lambda m: progress.on_agent(time.monotonic(), m),
            STATUS_QOS,
        )
        self.node.create_subscription(
            LearnerStatus, LEARNER_STATUS, progress.on_learner, STATUS_QOS
        )
        from rclpy.executors import SingleThreadedExecutor

        self._executor = SingleThreadedExecutor(context=self.context)
        self._executor.add_node(self.node)

    def poll(self, seconds: float) -> list[str]:
        """Take status messages for ``seconds``; return the lines due."""
        end = self._time.monotonic() + seconds
        while (left := end - self._time.monotonic()) > 0:
            self._executor.spin_once(timeout_sec=left)
        return self.progress.lines(self._time.monotonic())

    def close(self) -> None:
        """Destroy the node and its context."""
        self._executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
        self._rclpy.try_shutdown(context=self.context)
