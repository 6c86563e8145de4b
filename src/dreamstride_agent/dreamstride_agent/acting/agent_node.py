# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Agent node: acts on the robot at the control rate and publishes every step it takes.

Each tick (a timer at ``control_rate``, on sim time under ``use_sim_time``) the node
hands the latest sensor readings to :meth:`AgentCore.decide`, which either acts
(observation, DayDreamer's gated reward, an action: uniform random until the learner's
first policy arrives, then the policy; the safety path: map around the standing pose,
low-pass, rate limit, joint limits) or holds. The node publishes what the core decided:
the joint trajectory and a Step, or, in hold, the posture the core names (or nothing)
and no Step. Each sensor has its own error state; the cause of a hold is logged once
and reported in the status.

Executor: one thread, rclpy's events executor where rclpy's version runs coroutine
service callbacks on it (Jazzy's 7.1.6 does not), else the SingleThreadedExecutor
(``spinning.make_executor``). rclpy's multi-threaded executor costs a core by
itself at these message rates and starves the tick; the Python single-threaded one
rebuilds its wait set in Python on every wake-up (0.137 against 0.094 cores in an A/B,
``spinning``). Policies arrive on the
``load_policy`` service as safetensors bytes; its callback is a coroutine that hands
validation to a worker thread and awaits it, so the tick goes on while a policy is
checked, and it answers every request it takes, whatever the request holds. A
validated policy is swapped in at the start of a tick.

Sensor age: under ``use_sim_time`` the backend stamps each message on the same
simulated clock as /clock, so a reading's age is judged from its header stamp (a burst
of /clock messages then cannot make fresh data look stale); on the wall clock (a real
robot, whose clock may be offset from ours) from the time the message was received.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
import time
import uuid

from dreamstride_agent.acting.agent_core import (
    AgentConfig,
    AgentCore,
    Hold,
    HoldKind,
    RecorderGate,
    Sensor,
    SensorBoard,
    TickResult,
)
from dreamstride_agent.acting.agent_parameters import (
    agent_config_from_parameters,
    agent_parameters,
)
from dreamstride_agent.acting.control_stats import PeriodStats
from dreamstride_agent.acting.observation import (
    TWIST_FRAMES,
    imu_reading,
    joint_reading,
    odometry_reading,
)
from dreamstride_agent.acting.policy_file import read_policy_file
from dreamstride_agent.acting.policy_slot import PolicySlot
from dreamstride_agent.acting.velocity_command import VelocityCommandConfig
from dreamstride_agent.learning_topics import (
    AGENT_STATUS,
    LOAD_POLICY,
    LOAD_POLICY_QOS,
    STATUS_QOS,
    STEP_QOS,
    STEPS,
)
from dreamstride_agent.spinning import executor_name, make_executor
from dreamstride_msgs.msg import AgentStatus, Step
from dreamstride_msgs.srv import LoadPolicy
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
import numpy as np
import rclpy
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.task import Future
from sensor_msgs.msg import Image, Imu, JointState
from spot_description import contract
from spot_description.parameters import declare
from spot_description.spin_loop import run_node
from spot_description.spot import JOINT_NAMES, NUM_JOINTS
from std_msgs.msg import Header
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

# Seconds (wall clock) the agent waits after a recorder's subscription appears.
RECORDER_SETTLE = 1.0

_HOLD_KIND_FIELD = {
    HoldKind.NO_RECORDER: AgentStatus.HOLD_NO_RECORDER,
    HoldKind.NO_DATA: AgentStatus.HOLD_NO_DATA,
    HoldKind.STALE: AgentStatus.HOLD_STALE,
    HoldKind.MALFORMED: AgentStatus.HOLD_MALFORMED,
    HoldKind.SELF_RIGHT: AgentStatus.HOLD_SELF_RIGHT,
}

# Declared from the configuration dataclasses' fields (defaults and descriptions live
# there, and the node-only ones in agent_parameters), so no default is restated here.
PARAMS = agent_parameters()


def _seconds(stamp) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


class Agent(Node):
    """The acting half of DayDreamer's actor/learner split (ROS adapter of AgentCore)."""

    def __init__(self) -> None:
        super().__init__('agent')
        self.p = declare(self, PARAMS)
        self.period = 1.0 / self.p['control_rate']
        self.robot_name = self.p['robot_name'] or self.get_namespace().strip('/') or 'robot'
        if self.p['odometry_twist_frame'] not in TWIST_FRAMES:
            raise ValueError(
                f'odometry_twist_frame must be one of {list(TWIST_FRAMES)}, got '
                f'{self.p["odometry_twist_frame"]!r}'
            )
        config = self._make_core()
        self.run_id = uuid.uuid4().hex[:12]
        self.seq = 0
        self.sensors = SensorBoard()
        self.recorder = RecorderGate(required=self.p['wait_for_recorder'], settle=RECORDER_SETTLE)
        self._stamp_from_header = bool(self.get_parameter('use_sim_time').value)
        self._image: Image | None = None
        self._ticks_held = 0
        self.stats = PeriodStats(self.period)
        # Fixed for the node's life: built once, not on every tick.
        self._observation_keys = self.core.spec.describe()
        self._joint_names = list(JOINT_NAMES)
        self._rewards: list[float] = []
        # One worker validates offered policies in turn, outside the executor's thread.
        self._validator = ThreadPoolExecutor(max_workers=1, thread_name_prefix='policy_validation')
        self._create_interfaces(config.velocity_command)
        self._log_start(config.velocity_command)

    def _make_core(self) -> AgentConfig:
        """Build the policy slot and the core; load ``policy_checkpoint`` if one is named.

        Returns the configuration the core runs, observing the layout the checkpoint's
        policy was trained on where there is one.
        """
        config = agent_config_from_parameters(self.p)
        policy = None
        if self.p['policy_checkpoint']:
            policy = read_policy_file(self.p['policy_checkpoint'])
            # Observe what the policy was trained on (its file records the layout).
            config = config.for_observation(policy.observation_keys)
        self.policies = PolicySlot(
            obs_dim=config.observation_spec().size,
            act_dim=NUM_JOINTS,
            max_bytes=self.p['max_policy_bytes'],
        )
        self.core = AgentCore(config, self.policies, np.random.default_rng(self.p['seed'] or None))
        if policy is not None:
            accepted, message = self.policies.offer(
                'safetensors', policy.version, policy.sha256, policy.data
            )
            if not accepted:
                raise RuntimeError(f'policy_checkpoint {policy.path}: {message}')
            self.policies.swap()
        return config

    def _create_interfaces(self, vc: VelocityCommandConfig) -> None:
        """Create the subscriptions, publishers, the load_policy service and the timers."""
        qos = contract.SENSOR_QOS
        self.create_subscription(JointState, contract.JOINT_STATES, self._on_joint_states, qos)
        self.create_subscription(Imu, contract.IMU, self._on_imu, qos)
        self.create_subscription(Odometry, contract.ODOMETRY, self._on_odometry, qos)
        if self.p['camera']:
            self.create_subscription(Image, contract.CAMERA_IMAGE, self._on_image, qos)
        self._command_refusal_logged = -float('inf')
        if vc.source == 'topic':
            self.create_subscription(
                Twist, contract.CMD_VEL, self._on_cmd_vel, contract.CMD_VEL_QOS
            )
        self.command_pub = self.create_publisher(
            JointTrajectory, contract.JOINT_TRAJECTORY, contract.COMMAND_QOS
        )
        self.step_pub = self.create_publisher(Step, STEPS, STEP_QOS)
        self.status_pub = self.create_publisher(AgentStatus, AGENT_STATUS, STATUS_QOS)
        # Its own reentrant group: a request awaiting validation must not hold back the
        # tick or the next request (groups gate callbacks even on one thread).
        self.create_service(
            LoadPolicy,
            LOAD_POLICY,
            self._on_load_policy,
            qos_profile=LOAD_POLICY_QOS,
            callback_group=ReentrantCallbackGroup(),
        )
        self.create_timer(self.period, self._tick)
        self.create_timer(1.0, self._publish_status)

    def _log_start(self, vc: VelocityCommandConfig) -> None:
        """Log the one start-up line: run id, rate, observation, policy, command source."""
        acting = (
            f'policy v{self.policies.active_version}'
            if self.p['policy_checkpoint']
            else 'randomly until a policy arrives'
        )
        self.get_logger().info(
            f'agent {self.run_id} for {self.robot_name}: {self.p["control_rate"]:g} Hz, '
            f'observation {self.core.spec.describe()}, acting {acting}, velocity command '
            + (
                f'from {contract.CMD_VEL} (zero when older than {vc.timeout:g} s)'
                if vc.source == 'topic'
                else f'from the {vc.sampler} training sampler'
            )
            + (' (dry run: no commands sent)' if self.p['dry_run'] else '')
        )

    # --- sensors (store the latest reading; the tick decides what to do) -------
    def _stamp(self, header: Header) -> float:
        if self._stamp_from_header:
            return _seconds(header.stamp)
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_joint_states(self, msg: JointState) -> None:
        stamp = self._stamp(msg.header)
        self.sensors.update(
            Sensor.JOINT_STATES,
            lambda: joint_reading(list(msg.name), msg.position, msg.velocity, stamp),
        )

    def _on_imu(self, msg: Imu) -> None:
        o, w, stamp = msg.orientation, msg.angular_velocity, self._stamp(msg.header)
        self.sensors.update(
            Sensor.IMU, lambda: imu_reading((o.x, o.y, o.z, o.w), (w.x, w.y, w.z), stamp)
        )

    def _on_odometry(self, msg: Odometry) -> None:
        v, o = msg.twist.twist.linear, msg.pose.pose.orientation
        stamp = self._stamp(msg.header)
        self.sensors.update(
            Sensor.ODOMETRY,
            lambda: odometry_reading(
                (v.x, v.y, v.z), (o.x, o.y, o.z, o.w), stamp, self.p['odometry_twist_frame']
            ),
        )

    def _on_cmd_vel(self, msg: Twist) -> None:
        lin, ang = msg.linear, msg.angular
        now = self.get_clock().now().nanoseconds * 1e-9
        refusal = self.core.commands.update(now, (lin.x, lin.y, lin.z), (ang.x, ang.y, ang.z))
        # A sender that keeps sending bad commands must not flood the log: once a second.
        if refusal is not None and time.monotonic() - self._command_refusal_logged >= 1.0:
            self._command_refusal_logged = time.monotonic()
            self.get_logger().warning(f'{refusal[:300]} (refused; commanding zero velocity)')

    def _on_image(self, msg: Image) -> None:
        self._image = msg

    # --- policy service ---------------------------------------------------------
    async def _on_load_policy(
        self, request: LoadPolicy.Request, response: LoadPolicy.Response
    ) -> LoadPolicy.Response:
        # Whatever happens, the caller gets an answer and the agent goes on acting.
        try:
            accepted, message = await self._validate(request)
        except Exception as exc:  # noqa: BLE001 - a request must never stop the agent
            accepted, message = False, f'refused: internal error ({type(exc).__name__})'
        response.accepted = accepted
        response.message = message
        response.active_version = self.policies.active_version
        # One call site per severity: rclpy refuses a second severity at the same call site.
        if accepted:
            self.get_logger().info(f'load_policy v{request.version}: {message}')
        else:
            self.get_logger().warning(f'load_policy v{request.version}: {message[:300]}')
        return response

    def _validate(self, request: LoadPolicy.Request) -> Future:
        """Check the request in the worker thread; the returned future holds the verdict."""
        done: Future = Future(executor=self.executor)
        # A done callback makes the executor wake up as soon as the verdict is in.
        done.add_done_callback(lambda _: None)

        def work() -> None:
            try:
                done.set_result(
                    self.policies.offer(
                        request.format, request.version, request.sha256, bytes(request.weights)
                    )
                )
            except BaseException as exc:  # noqa: BLE001 - answered as a refusal
                done.set_result((False, f'refused: internal error ({type(exc).__name__})'))

        self._validator.submit(work)
        return done

    # --- control loop -------------------------------------------------------------
    def _tick(self) -> None:
        now = self.get_clock().now().nanoseconds * 1e-9
        self.stats.tick(now)
        ready = self.recorder.ready(time.monotonic(), self.step_pub.get_subscription_count())
        was_holding = self.core.hold
        sensors = self.sensors.snapshot()
        if sensors.joints is not None:
            # Name the joints in commands as the robot names them in joint_states.
            self._joint_names = [sensors.joints.prefix + n for n in JOINT_NAMES]
        decision = self.core.decide(now, sensors, ready, self._policy_image())
        if isinstance(decision, Hold):
            self._ticks_held += 1
            if was_holding is None or was_holding.cause != decision.cause:
                self.get_logger().warning(f'hold: {decision.detail}')
            if decision.command is not None:
                self._publish_command(decision.command)
            return
        if was_holding is not None:
            self.get_logger().info(f'acting again ({was_holding.detail} cleared)')
        if decision.dropped_policy:
            self.get_logger().error(decision.dropped_policy)
        if decision.send_command:
            self._publish_command(decision.command)
        self._publish_step(decision)
        self._rewards.append(decision.reward)

    def _policy_image(self) -> np.ndarray | None:
        """Return the latest camera image when the active policy reads images."""
        active = self.policies.active
        if self._image is None or active is None or active.metadata.image_shape is None:
            return None
        msg = self._image
        return np.frombuffer(bytes(msg.data), np.uint8).reshape(msg.height, msg.width, -1)

    def _publish_command(self, command: np.ndarray) -> None:
        point = JointTrajectoryPoint(
            positions=command.tolist(), time_from_start=Duration(seconds=self.period).to_msg()
        )
        self.command_pub.publish(JointTrajectory(joint_names=self._joint_names, points=[point]))

    def _publish_step(self, r: TickResult) -> None:
        msg = Step(
            header=Header(stamp=self.get_clock().now().to_msg(), frame_id=self.robot_name),
            seq=self.seq,
            run_id=self.run_id,
            episode_id=r.episode_id,
            episode_step=r.episode_step,
            observation=r.observation.tolist(),
            observation_keys=self._observation_keys,
            action=r.action.tolist(),
            reward=r.reward,
            is_first=r.is_first,
            is_last=r.is_last,
            is_terminal=False,
            policy_version=r.policy_version,
            hold=False,
            forward_velocity=r.forward_velocity,
            velocity_command=r.velocity_command,
            reward_terms=r.reward_terms.as_list() if r.reward_terms else [],
        )
        if self._image is not None:
            msg.image = self._image
        self.step_pub.publish(msg)
        self.seq += 1

    def _publish_status(self) -> None:
        s = self.stats.summary()
        hold = self.core.hold
        mode = (
            AgentStatus.MODE_HOLD
            if hold
            else (AgentStatus.MODE_POLICY if self.policies.active else AgentStatus.MODE_RANDOM)
        )
        rewards, self._rewards = self._rewards, []
        counts = self.core.hold_counts
        now = self.get_clock().now().nanoseconds * 1e-9
        self.status_pub.publish(
            AgentStatus(
                header=Header(stamp=self.get_clock().now().to_msg(), frame_id=self.robot_name),
                mode=mode,
                hold=hold is not None,
                hold_reason=hold.detail if hold else '',
                hold_kind=_HOLD_KIND_FIELD[hold.kind] if hold else AgentStatus.HOLD_NONE,
                hold_sensor=hold.sensor.value if hold and hold.sensor else '',
                holds_no_recorder=counts[HoldKind.NO_RECORDER],
                holds_no_data=counts[HoldKind.NO_DATA],
                holds_stale=counts[HoldKind.STALE],
                holds_malformed=counts[HoldKind.MALFORMED],
                holds_self_right=counts[HoldKind.SELF_RIGHT],
                ticks_held=self._ticks_held,
                policy_version=self.policies.active_version,
                policy_age=self.policies.active_age(),
                policy_sha256=self.policies.active_sha256,
                steps=self.seq,
                episode_id=self.core.episode_id,
                episode_step=self.core.episode_step,
                control_period_mean=s['mean'],
                control_period_p50=s['p50'],
                control_period_p99=s['p99'],
                control_period_max=s['max'],
                deadline_misses=self.stats.deadline_misses,
                mean_reward=float(np.mean(rewards)) if rewards else 0.0,
                policies_refused=self.policies.refused,
                last_refusal=self.policies.last_refusal,
                velocity_command=self.core.commands.command(now),
                commands_refused=self.core.commands.refused,
                last_command_refusal=self.core.commands.last_refusal,
            )
        )

    def close(self) -> None:
        """Let the last steps reach the recorder; stop the validation worker."""
        # Steps are reliable, but a writer destroyed before its readers acknowledged the
        # last samples loses them: wait (briefly) until every published step is acked.
        try:
            acked = self.step_pub.wait_for_all_acked(Duration(seconds=2.0))
        except Exception:  # noqa: BLE001 - the context may be gone already; nothing to wait for
            acked = True
        if not acked:
            self.get_logger().warning('stopping with steps not yet acknowledged by a recorder')
        self._validator.shutdown(wait=False, cancel_futures=True)


def main(args: list[str] | None = None) -> None:
    """Run the agent on one executor thread (see the module docstring for why)."""
    import torch

    torch.set_num_threads(1)  # batch-1 inference gains nothing from threads; the learner does
    rclpy.init(args=args)
    node = Agent()
    executor = make_executor()
    node.get_logger().info(f'spinning on the {executor_name(executor)} executor')
    run_node(node, executor, node.close)


if __name__ == '__main__':
    main()
