# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Learner node: trains the world model and actor-critic from the replay store.

A training thread loads closed segments as they appear, waits for ``prefill_steps``,
then trains without pause (``train_ratio: 0``) or at a target ratio of replayed to
collected steps. Every ``sync_every`` seconds it exports the policy, and the ROS side
pushes it to each agent's load_policy service (``agents``: one per robot) on the schedule
of :mod:`dreamstride_agent.learning.policy_push`: an absent agent is named in an error and looked
for again while the pushes to the others go on, and an unanswered call is retried with
backoff; training never stops for it. If the training thread fails, the node exits with
code 1, so whatever supervises the run stops it. Checkpoints are written atomically
every ``checkpoint_every`` seconds and on shutdown; a restarted learner resumes from the
checkpoint and re-reads the store, and the replay's (run_id, seq) keys keep any step
from being added twice.

The learner needs no robot: pointed at an existing replay store it trains offline.
"""

from __future__ import annotations

import threading
import time

from dreamstride_agent.learning.learner_core import (
    LearnerCore,
    learner_parameters,
    learner_settings_from_parameters,
)
from dreamstride_agent.learning.policy_push import AgentPush, PolicyPusher
from dreamstride_agent.learning_topics import (
    LEARNER_STATUS,
    LOAD_POLICY,
    LOAD_POLICY_QOS,
    STATUS_QOS,
)
from dreamstride_msgs.msg import LearnerStatus
from dreamstride_msgs.srv import LoadPolicy
import rclpy
from rclpy.clock import Clock, ClockType
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from spot_description.parameters import ParameterSpec, declare
from spot_description.spin_loop import run_node
from std_msgs.msg import Header

# The settings' parameters are declared from LearnerSettings' fields (default and
# description live there); only the node's own push parameters are defined here.
PARAMS = learner_parameters() + [
    ParameterSpec('agents', [LOAD_POLICY], 'load_policy services to push the policy to.'),
    ParameterSpec(
        'push_timeout',
        10.0,
        'Seconds to wait for an agent to answer a push before abandoning the call and '
        'retrying (plus push_timeout_per_mb for each megabyte of the policy).',
    ),
    ParameterSpec(
        'push_timeout_per_mb',
        1.0,
        'Extra seconds to wait for each megabyte of a pushed policy: a 15 MB policy over a '
        'slow link to another machine must not time out on every try.',
    ),
]


class Learner(Node):
    """ROS adapter around LearnerCore: status, policy push, parameters."""

    def __init__(self) -> None:
        super().__init__('learner')
        self.p = declare(self, PARAMS)
        settings = learner_settings_from_parameters(self.p)
        self.core = LearnerCore(settings, log=self._log)
        self.pusher = PolicyPusher(
            [
                AgentPush(
                    name,
                    self.resolve_service_name(name),
                    self.create_client(LoadPolicy, name, qos_profile=LOAD_POLICY_QOS),
                )
                for name in self.p['agents']
            ],
            lambda data, sha256, version: LoadPolicy.Request(
                format='safetensors', version=version, sha256=sha256, weights=data
            ),
            time.monotonic,
            self._log,
            self.core.note_push_accepted,
            self.p['push_timeout'],
            self.p['push_timeout_per_mb'],
        )
        self.status_pub = self.create_publisher(LearnerStatus, LEARNER_STATUS, STATUS_QOS)
        # A cheap check at 10 Hz: a new export goes out within 0.1 s.
        # On the steady clock: a simulation paused by the ratio lock waits for this status
        # (its env_step_budget), so it must go out while simulated time stands still.
        steady = Clock(clock_type=ClockType.STEADY_TIME)
        self.create_timer(0.1, self._push_policies, clock=steady)
        self.create_timer(1.0, self._publish_status, clock=steady)
        self.failure: str | None = None
        self._thread = threading.Thread(target=self._train, name='training', daemon=True)
        self._thread.start()

    def _train(self) -> None:
        try:
            self.core.run()
        except Exception as exc:  # noqa: BLE001 - reported, then the node exits non-zero
            self.failure = f'{type(exc).__name__}: {exc}'

    def _log(self, level: str, message: str) -> None:
        # One call site per severity: rclpy raises ValueError when one call site logs at a
        # severity other than its first (getattr(logger, level) would be one call site).
        logger = self.get_logger()
        if level == 'debug':
            logger.debug(message)
        elif level == 'info':
            logger.info(message)
        elif level == 'warning':
            logger.warning(message)
        elif level == 'error':
            logger.error(message)
        else:
            logger.fatal(message)

    # --- policy push ------------------------------------------------------------
    def _push_policies(self) -> None:
        self.pusher.check(self.core.latest_export, self.core.latest_export_time)

    # --- status -----------------------------------------------------------------
    def _publish_status(self) -> None:
        s = self.core.snapshot()
        last_push = self.pusher.last_push
        self.status_pub.publish(
            LearnerStatus(
                header=Header(stamp=self.get_clock().now().to_msg()),
                state=s['state'],
                message=s['message'],
                train_step=s['train_step'],
                updates_per_second=s['updates_per_second'],
                replay_steps=s['replay_steps'],
                replay_segments=s['replay_segments'],
                replay_segments_refused=s['replay_segments_refused'],
                prefill_steps=self.p['prefill_steps'],
                train_ratio=s['train_ratio'],
                train_ratio_target=float(self.p['train_ratio']),
                world_model_loss=s['losses'].get('world_model', 0.0),
                kl_loss=s['losses'].get('kl', 0.0),
                actor_loss=s['losses'].get('actor', 0.0),
                critic_loss=s['losses'].get('critic', 0.0),
                policy_version=s['policy_version'],
                policy_accepted=self.pusher.any_accepted,
                last_push_age=-1.0 if last_push is None else time.monotonic() - last_push,
                last_push_latency=self.pusher.latency,
                env_step_budget=s['env_step_budget'],
            )
        )

    def close(self) -> None:
        """Stop training and write a final checkpoint."""
        self.core.stop()
        self._thread.join(timeout=60.0)


def main(args: list[str] | None = None) -> None:
    """Run the learner until shut down or until training fails (exit code 1).

    One executor thread: the node only serves timers and push replies; the training
    thread does the work.
    """
    rclpy.init(args=args)
    node = Learner()

    def close() -> None:
        node.close()
        if node.failure is not None:
            node.get_logger().fatal(
                f'training thread failed, stopping the learner: {node.failure}'
            )

    run_node(
        node, SingleThreadedExecutor(), close, wake=0.5, until=lambda: node.failure is not None
    )
    if node.failure is not None:
        raise SystemExit(1)


if __name__ == '__main__':
    main()
