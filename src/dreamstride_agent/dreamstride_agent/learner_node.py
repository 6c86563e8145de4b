# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Learner node: trains the world model and actor-critic from the replay store.

A training thread loads closed segments as they appear, waits for ``prefill_steps``,
then trains without pause (``train_ratio: 0``) or at a target ratio of replayed to
collected steps. Every ``sync_every`` seconds it exports the policy, and the ROS side
pushes it to each agent's load_policy service (``agents``: one per robot). An absent
agent is named in an error, with its service's full name and the discovery settings to
check (an agent on another machine), and looked for again at every check while the
pushes to the others go on; one that comes back (a restarted robot) gets the latest
policy at once. A call unanswered after ``push_timeout`` (plus ``push_timeout_per_mb``
for each megabyte of the policy) is abandoned and retried with backoff, so a lost reply
never stops later pushes; training never stops for it. If the training thread fails, the
node exits with
code 1, so whatever supervises the run stops it. Checkpoints are written atomically
every ``checkpoint_every`` seconds and on shutdown; a restarted learner resumes from the
checkpoint and re-reads the store, and the replay's (run_id, seq) keys keep any step
from being added twice.

The learner needs no robot: pointed at an existing replay store it trains offline.
"""

from __future__ import annotations

import threading
import time

from dreamstride_agent.discovery import agent_not_found, push_deadline, push_unanswered
from dreamstride_agent.learner_core import (
    LearnerCore,
    learner_parameters,
    learner_settings_from_parameters,
)
from dreamstride_agent.learning_topics import (
    LEARNER_STATUS,
    LOAD_POLICY,
    LOAD_POLICY_QOS,
    STATUS_QOS,
)
from dreamstride_agent.params import Param, declare
from dreamstride_msgs.msg import LearnerStatus
from dreamstride_msgs.srv import LoadPolicy
import rclpy
from rclpy.clock import Clock, ClockType
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from std_msgs.msg import Header

# The settings' parameters are declared from LearnerSettings' fields (default and
# description live there); only the node's own push parameters are defined here.
PARAMS = [Param(*spec) for spec in learner_parameters()] + [
    Param('agents', [LOAD_POLICY], 'load_policy services to push the policy to.'),
    Param(
        'push_timeout',
        10.0,
        'Seconds to wait for an agent to answer a push before abandoning the call and '
        'retrying (plus push_timeout_per_mb for each megabyte of the policy).',
    ),
    Param(
        'push_timeout_per_mb',
        1.0,
        'Extra seconds to wait for each megabyte of a pushed policy: a 15 MB policy over a '
        'slow link to another machine must not time out on every try.',
    ),
]
# Seconds without the agent's service before the learner says so (an agent started a
# little after the learner is normal; one missing this long points at discovery).
NOT_FOUND_AFTER = 10.0


class Learner(Node):
    """ROS adapter around LearnerCore: status, policy push, parameters."""

    def __init__(self) -> None:
        super().__init__('learner')
        self.p = declare(self, PARAMS)
        settings = learner_settings_from_parameters(self.p)
        self.core = LearnerCore(settings, log=self._log)
        self._pushes: dict[str, dict] = {}
        for name in self.p['agents']:
            client = self.create_client(LoadPolicy, name, qos_profile=LOAD_POLICY_QOS)
            self._pushes[name] = {
                'service': self.resolve_service_name(name),
                'client': client,
                'version': 0,
                'next_try': 0.0,
                'backoff': 1.0,
                'future': None,
                'accepted': False,
                'pushed_at': None,
                'unreachable_since': None,  # time.monotonic() it was first found absent
                'unreachable_logged': False,
                'next_log': 0.0,
            }
        self._push_latency = -1.0
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
        export = self.core.latest_export
        if export is None:
            return
        data, sha256, version = export
        now = time.monotonic()
        for name, push in self._pushes.items():
            future = push['future']
            if future is not None:
                if not future.done():
                    if now - push['pushed_at'] > push['deadline']:
                        self._push_timed_out(name, push, now)
                    continue
                self._push_done(name, push, future)
            if now < push['next_try']:
                continue
            if not push['client'].service_is_ready():
                self._unreachable(name, push, now)
                continue
            if push['unreachable_since'] is not None:
                if push['unreachable_logged']:
                    self.get_logger().info(
                        f'{name} is reachable again after {now - push["unreachable_since"]:.0f} s'
                    )
                push['unreachable_since'] = None
                push['unreachable_logged'] = False
            if push['version'] >= version:
                continue
            request = LoadPolicy.Request(
                format='safetensors', version=version, sha256=sha256, weights=data
            )
            push['future'] = push['client'].call_async(request)
            push['sending'] = version
            push['size'] = len(data)
            push['deadline'] = push_deadline(
                self.p['push_timeout'], self.p['push_timeout_per_mb'], len(data)
            )
            push['pushed_at'] = now
            push['exported_at'] = self.core.latest_export_time

    def _unreachable(self, name: str, push: dict, now: float) -> None:
        """Handle an agent without a load_policy server (stopped, restarting, not up yet).

        Pushes to the other agents go on, and this one is looked for at every check, so
        it gets the latest policy as soon as it is back (a restarted agent starts
        without one). One error names it once it has been gone for a while, then a
        warning every 30 s.
        """
        if push['unreachable_since'] is None:
            push['unreachable_since'] = now
            push['next_log'] = now + NOT_FOUND_AFTER
        gone = now - push['unreachable_since']
        if gone >= 1.0:
            # Gone for longer than a discovery hiccup: whatever comes back is a new
            # agent process, which has no policy yet.
            push['version'] = 0
        if now < push['next_log']:
            return
        push['next_log'] = now + 30.0
        if not push['unreachable_logged']:
            push['unreachable_logged'] = True
            self.get_logger().error(
                f'agent {name} is not reachable: '
                + agent_not_found(push['service'], gone)
                + '; pushing to the other agents, and to it when it is back'
            )
        else:
            self.get_logger().warning(f'{name} still not reachable after {gone:.0f} s')

    def _push_timed_out(self, name: str, push: dict, now: float) -> None:
        push['client'].remove_pending_request(push['future'])
        push['future'] = None
        push['next_try'] = now + push['backoff']
        retry = push['backoff']
        push['backoff'] = min(push['backoff'] * 2.0, 30.0)
        # An agent killed outright still looks present until DDS notices its absence
        # (tens of seconds): this is then the first sign, so it is an error that names it.
        self.get_logger().error(
            f'agent {name}: '
            + push_unanswered(push['service'], push['sending'], push['size'], push['deadline'])
            + f'; pushing to the other agents and retrying it in {retry:g} s'
        )

    def _push_done(self, name: str, push: dict, future) -> None:
        push['future'] = None
        try:
            response = future.result()
        except Exception as exc:  # noqa: BLE001 - a failed call is retried, not fatal
            self.get_logger().warning(f'push to {name} failed: {exc}')
            push['next_try'] = time.monotonic() + push['backoff']
            return
        push['backoff'] = 1.0
        push['accepted'] = response.accepted
        push['version'] = push['sending']
        if response.accepted:
            self.core.note_push_accepted(push['sending'])
            self._push_latency = time.monotonic() - push['exported_at']
            self.get_logger().info(
                f'{name} accepted policy v{push["sending"]} '
                f'({self._push_latency:.2f} s after its export)'
            )
        else:
            self.get_logger().error(
                f'{name} refused policy v{push["sending"]}: {response.message}'
            )

    # --- status -----------------------------------------------------------------
    def _publish_status(self) -> None:
        s = self.core.snapshot()
        last_push = [p['pushed_at'] for p in self._pushes.values() if p['pushed_at']]
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
                policy_accepted=any(p['accepted'] for p in self._pushes.values()),
                last_push_age=(time.monotonic() - max(last_push)) if last_push else -1.0,
                last_push_latency=self._push_latency,
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
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        while rclpy.ok() and node.failure is None:
            executor.spin_once(timeout_sec=0.5)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.close()
        failure = node.failure
        if failure is not None:
            node.get_logger().fatal(f'training thread failed, stopping the learner: {failure}')
        executor.shutdown(timeout_sec=1.0)
        node.destroy_node()
        rclpy.try_shutdown()
    if failure is not None:
        raise SystemExit(1)


if __name__ == '__main__':
    main()
