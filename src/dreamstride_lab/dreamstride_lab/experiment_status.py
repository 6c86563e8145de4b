# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The walking experiment's status watcher: status.csv, and the reset service's client.

While the experiment trains, a small node of its own subscribes to the agent's and the
learner's status and writes a row to status.csv every few seconds (a resumed run goes
on after the earlier sittings' rows), and, when ``--rescue-after`` or
``--lie-down-every`` asks for it, feeds the IMU to the reset schedule and calls the
simulation's reset service.
"""

from __future__ import annotations

import csv
from pathlib import Path
import time

from dreamstride_agent.acting.reward import upright_from_quaternion
from dreamstride_lab.reset_schedule import ResetSchedule
from spot_description.contract import DEFAULT_NAMESPACE

# status.csv's columns, in the order they are written.
STATUS_COLUMNS = (
    'wall_s',
    'env_steps',
    'agent_mode',
    'hold_reason',
    'policy_version',
    'deadline_misses',
    'period_p99_ms',
    'mean_reward',
    'train_step',
    'updates_per_second',
    'replay_steps',
    'world_model_loss',
    'learner_state',
    'rescues',
    'lie_downs',
    'self_rights',
    'ticks_held',
)


def read_status_rows(path: Path) -> list[dict]:
    """Return status.csv's rows with numbers as floats."""
    with open(path, newline='') as f:
        # (A row with more fields than the header, written by a later version under an
        # older header, keeps its extras under None: they are dropped.)
        return [
            {
                k: (v if k in ('hold_reason', 'learner_state') else float(v or 0))
                for k, v in r.items()
                if k is not None
            }
            for r in csv.DictReader(f)
        ]


class StatusWatcher:
    """Subscribe to the agent and learner status; log them to status.csv; rescue."""

    def __init__(
        self,
        path: Path,
        rescue_after: float = 0.0,
        lie_down_every: float = 0.0,
        earlier: list[dict] | None = None,
    ) -> None:
        """Log to ``path``; ``earlier``: the rows of the sittings before (a resumed run)."""
        self._start_node(rescue_after, lie_down_every)
        earlier = earlier or []
        # A resumed run goes on where the last sitting's rows ended: its wall clock and
        # its environment steps (this agent process counts from 0 again).
        self.start = time.time() - (earlier[-1]['wall_s'] if earlier else 0.0)
        self.steps_before = int(earlier[-1]['env_steps']) if earlier else 0
        self.rows: list[dict] = list(earlier)
        self._open_log(path, earlier)
        self._last_row = 0.0

    def _start_node(self, rescue_after: float, lie_down_every: float) -> None:
        """Start rclpy and the watcher's node: status subscriptions, the reset client."""
        from dreamstride_agent.learning_topics import AGENT_STATUS, LEARNER_STATUS, STATUS_QOS
        from dreamstride_msgs.msg import AgentStatus, LearnerStatus
        from dreamstride_msgs.srv import ResetRobot
        import rclpy
        from rclpy.signals import SignalHandlerOptions
        from sensor_msgs.msg import Imu
        from spot_description import contract

        self.rclpy = rclpy
        # rclpy's own SIGINT handler would shut this context down under the watcher's
        # spin (ExternalShutdownException) and lose the whole analysis; Ctrl-C must reach
        # the supervisor's handler, which stops the nodes and lets the results be written.
        rclpy.init(signal_handler_options=SignalHandlerOptions.NO)
        self.node = rclpy.create_node('experiment_watcher', namespace=DEFAULT_NAMESPACE)
        self.agent: AgentStatus | None = None
        self.learner: LearnerStatus | None = None
        self.node.create_subscription(
            AgentStatus, AGENT_STATUS, lambda m: setattr(self, 'agent', m), STATUS_QOS
        )
        self.node.create_subscription(
            LearnerStatus, LEARNER_STATUS, lambda m: setattr(self, 'learner', m), STATUS_QOS
        )
        self.schedule = ResetSchedule(rescue_after, lie_down_every)
        self._reset = self.node.create_client(ResetRobot, contract.RESET_SERVICE)
        self._reset_request = ResetRobot.Request(pose=ResetRobot.Request.POSE_LYING)
        self._pending = None
        if self.schedule.enabled:
            self.node.create_subscription(Imu, contract.IMU, self._on_imu, contract.SENSOR_QOS)

    def _open_log(self, path: Path, earlier: list[dict]) -> None:
        """Open status.csv at ``path`` and write its header and the earlier sittings' rows."""
        # Rewritten whole, the earlier sittings' rows first, as they were written: a file
        # written by an older version may have fewer columns (those stay empty).
        written = []
        if earlier:
            with open(path, newline='') as f:
                written = [
                    {k: v for k, v in r.items() if k is not None} for r in csv.DictReader(f)
                ]
        self.file = open(path, 'w', newline='')
        self.writer = csv.DictWriter(
            self.file, restval='', extrasaction='ignore', fieldnames=list(STATUS_COLUMNS)
        )
        self.writer.writeheader()
        self.writer.writerows(written)
        self.file.flush()

    def spin(self, seconds: float) -> None:
        """Take messages for ``seconds``, then write a status row if one is due (5 s)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.rclpy.spin_once(self.node, timeout_sec=0.1)
        if time.monotonic() - self._last_row >= 5.0 and self.agent is not None:
            self._last_row = time.monotonic()
            a, learner = self.agent, self.learner
            row = {
                'wall_s': round(time.time() - self.start, 1),
                'env_steps': self.steps_before + a.steps,
                'agent_mode': a.mode,
                'hold_reason': a.hold_reason,
                'policy_version': a.policy_version,
                'deadline_misses': a.deadline_misses,
                'period_p99_ms': round(a.control_period_p99 * 1e3, 1),
                'mean_reward': round(a.mean_reward, 3),
                'train_step': learner.train_step if learner else 0,
                'updates_per_second': round(learner.updates_per_second, 3) if learner else 0,
                'replay_steps': learner.replay_steps if learner else 0,
                'world_model_loss': round(learner.world_model_loss, 4) if learner else 0,
                'learner_state': learner.state if learner else '',
                'rescues': self.schedule.rescues,
                'lie_downs': self.schedule.lie_downs,
                # The agent's own self-rights (joint commands, not resets), and every tick
                # it did not act on (holds, self-right included): no Step for those.
                'self_rights': a.holds_self_right,
                'ticks_held': a.ticks_held,
            }
            self.rows.append(row)
            self.writer.writerow(row)
            self.file.flush()

    def _on_imu(self, msg) -> None:
        """Feed the reset schedule; call the reset service when it says so."""
        q = msg.orientation
        now = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        reset = self.schedule.due(now, upright_from_quaternion(q.x, q.y, q.z, q.w))
        if reset and self._pending is None and self._reset.service_is_ready():
            self.schedule.requested(reset, now)
            self._pending = self._reset.call_async(self._reset_request)
            self._pending.add_done_callback(self._rescued)

    def _rescued(self, future) -> None:
        self._pending = None
        self.schedule.reset_done(future.result() is not None and future.result().success)

    def close(self) -> None:
        """Close status.csv, the node and the watcher's ROS context."""
        self.file.close()
        self.node.destroy_node()
        self.rclpy.try_shutdown()
