"""Agent node: acts on the robot at the control rate and publishes every step it takes.

Each tick (a timer at ``control_rate``, on sim time under ``use_sim_time``) the node
checks the latest sensor messages, builds the observation, computes DayDreamer's
gated reward, chooses an action (uniform random until the learner's first policy
arrives, then the policy), passes it through the safety path (map around the
standing pose, low-pass, rate limit, joint limits) and publishes the joint
trajectory and a Step.

Stale or malformed sensors put the node in hold: it repeats the last safe command
(``hold_mode: posture``, simulation) or sends nothing (``hold_mode: none``, real
robot), publishes no Step (there is no valid observation) and says why in its
status. The episode is cut there: the next valid step starts a new one.

Policies arrive on the ``load_policy`` service as safetensors bytes. They are
validated in the service's own thread and swapped in at the start of a tick, so a
tick never waits for a policy load. A policy whose action is non-finite is dropped
on the spot and the previous one (or random exploration) restored.
"""

from __future__ import annotations

import threading
import time
import uuid

from dreamstride_agent.agent_core import AgentConfig, AgentCore, TickResult
from dreamstride_agent.commands import CommandConfig
from dreamstride_agent.control_stats import PeriodStats
from dreamstride_agent.graph_names import AGENT_STATUS, LOAD_POLICY, STATUS_QOS, STEP_QOS, STEPS
from dreamstride_agent.observation import (
    ObservationSpec,
    SensorError,
    imu_reading,
    joint_reading,
    odometry_reading,
    stale_reason,
)
from dreamstride_agent.params import Param, declare
from dreamstride_agent.policy_slot import PolicySlot
from dreamstride_agent.reward import RewardConfig
from dreamstride_msgs.msg import AgentStatus, Step
from dreamstride_msgs.srv import LoadPolicy
from nav_msgs.msg import Odometry
import numpy as np
import rclpy
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.duration import Duration
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node
from sensor_msgs.msg import Image, Imu, JointState
from spot_description import contract
from spot_description.spot import JOINT_NAMES, NUM_JOINTS
from std_msgs.msg import Header
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

# Seconds (wall clock) the agent waits after a recorder's subscription appears.
RECORDER_SETTLE = 1.0

PARAMS = [
    Param('control_rate', 20.0, 'Agent steps per second (Hz); DayDreamer used 20.'),
    Param('episode_length', 250, 'Steps per episode; episodes are cut by time, no resets.'),
    Param('max_sensor_age', 0.075,
          'Hold when the newest joint_states/imu/odometry is older than this (s, node clock).'),
    Param('hold_mode', 'posture',
          "In hold: 'posture' repeats the last safe command (simulation); 'none' sends "
          'nothing (real robot).'),
    Param('dry_run', False, 'Compute everything but publish no joint commands.'),
    Param('joint_velocities', False, 'Add the 12 joint velocities to the observation.'),
    Param('camera', False, 'Attach the latest camera/image to each Step.'),
    Param('filter_cutoff', 1.5, 'Butterworth low-pass cut-off on the targets (Hz), 0 = off.'),
    Param('max_step', 0.25, 'Largest change of a joint command per tick (rad).'),
    Param('action_scale_hip_x', 0.6, 'Target offset from the standing pose for action 1 (rad).'),
    Param('action_scale_hip_y', 1.2, 'Target offset from the standing pose for action 1 (rad).'),
    Param('action_scale_knee', 1.2, 'Target offset from the standing pose for action 1 (rad).'),
    Param('velocity_target', 0.3, 'Forward speed for the full velocity reward (m/s).'),
    Param('reward_gate', 0.7, 'Each reward term counts once the previous one exceeds this.'),
    Param('max_policy_bytes', 64 * 1024 * 1024, 'Largest accepted policy file (bytes).'),
    Param('seed', 0, 'Seed of the random exploration (0: from the OS).'),
    Param('robot_name', '', 'Robot name written into each Step (default: the namespace).'),
    Param('policy_checkpoint', '',
          'Act with this learner checkpoint from the start (evaluation); empty: act randomly '
          'until the learner pushes a policy.'),
    Param('wait_for_recorder', False,
          'Take no step until a replay recorder subscribes to the steps, so a run records '
          'from its first step (training graphs set it).'),
    Param('policy_sample', True,
          'Sample actions from the policy (training); false takes its mode (evaluation).'),
]


def _stamp_seconds(node: Node) -> float:
    return node.get_clock().now().nanoseconds * 1e-9


class Agent(Node):
    """The acting half of DayDreamer's actor/learner split (ROS adapter of AgentCore)."""

    def __init__(self) -> None:
        super().__init__('agent')
        self.p = declare(self, PARAMS)
        self.period = 1.0 / self.p['control_rate']
        self.robot_name = self.p['robot_name'] or self.get_namespace().strip('/') or 'robot'
        config = AgentConfig(
            episode_length=self.p['episode_length'],
            joint_velocities=self.p['joint_velocities'],
            sample_actions=self.p['policy_sample'],
            command=CommandConfig(
                control_rate=self.p['control_rate'], filter_cutoff=self.p['filter_cutoff'],
                max_step=self.p['max_step'],
                action_scale={g: self.p[f'action_scale_{g}'] for g in ('hip_x', 'hip_y', 'knee')}),
            reward=RewardConfig(velocity_target=self.p['velocity_target'],
                                gate=self.p['reward_gate']))
        self.policies = PolicySlot(obs_dim=ObservationSpec(config.joint_velocities).size,
                                   act_dim=NUM_JOINTS, max_bytes=self.p['max_policy_bytes'])
        self.core = AgentCore(config, self.policies,
                              np.random.default_rng(self.p['seed'] or None))
        if self.p['policy_checkpoint']:
            self._load_checkpoint(self.p['policy_checkpoint'])
        self.run_id = uuid.uuid4().hex[:12]
        self.seq = 0
        self._lock = threading.Lock()
        self._joints = self._imu = self._odom = None
        self._sensor_error: str | None = None
        self._image: Image | None = None
        self.hold_reason = 'no sensor data yet'
        self.stats = PeriodStats(self.period)
        # Fixed for the node's life: built once, not on every tick.
        self._observation_keys = self.core.spec.describe()
        self._joint_names = list(JOINT_NAMES)
        # Until the first recorder subscribes (wait_for_recorder), steps would be lost.
        self._recorder_seen = not self.p['wait_for_recorder']
        self._recorder_matched_at: float | None = None
        self._rewards: list[float] = []

        sensors = MutuallyExclusiveCallbackGroup()
        self.create_subscription(JointState, contract.JOINT_STATES, self._on_joint_states,
                                 contract.SENSOR_QOS, callback_group=sensors)
        self.create_subscription(Imu, contract.IMU, self._on_imu, contract.SENSOR_QOS,
                                 callback_group=sensors)
        self.create_subscription(Odometry, contract.ODOMETRY, self._on_odometry,
                                 contract.SENSOR_QOS, callback_group=sensors)
        if self.p['camera']:
            self.create_subscription(Image, contract.CAMERA_IMAGE, self._on_image,
                                     contract.SENSOR_QOS, callback_group=sensors)
        self.command_pub = self.create_publisher(JointTrajectory, contract.JOINT_TRAJECTORY,
                                                 contract.COMMAND_QOS)
        self.step_pub = self.create_publisher(Step, STEPS, STEP_QOS)
        self.status_pub = self.create_publisher(AgentStatus, AGENT_STATUS, STATUS_QOS)
        self.create_service(LoadPolicy, LOAD_POLICY, self._on_load_policy,
                            callback_group=MutuallyExclusiveCallbackGroup())
        self.create_timer(self.period, self._tick, callback_group=MutuallyExclusiveCallbackGroup())
        self.create_timer(1.0, self._publish_status,
                          callback_group=MutuallyExclusiveCallbackGroup())
        acting = f'policy v{self.policies.active_version}' if self.p['policy_checkpoint'] \
            else 'randomly until a policy arrives'
        self.get_logger().info(
            f'agent {self.run_id} for {self.robot_name}: {self.p["control_rate"]:g} Hz, '
            f'observation {self.core.spec.describe()}, acting {acting}'
            + (' (dry run: no commands sent)' if self.p['dry_run'] else ''))

    def _load_checkpoint(self, path: str) -> None:
        """Act with a learner checkpoint from the start (evaluation)."""
        from dreamstride_agent.dreamer.agent import DreamerAgent
        learner = DreamerAgent.from_checkpoint(path, device='cpu')
        data, sha256 = learner.export_policy(max(learner.step, 1))
        accepted, message = self.policies.offer('safetensors', max(learner.step, 1), sha256, data)
        if not accepted:
            raise RuntimeError(f'policy_checkpoint {path}: {message}')
        self.policies.swap()

    # --- sensors (store the latest reading; the tick decides what to do) -------
    def _store(self, kind: str, make) -> None:
        try:
            reading = make()
        except SensorError as exc:
            with self._lock:
                self._sensor_error = str(exc)
            return
        with self._lock:
            setattr(self, f'_{kind}', reading)
            if self._sensor_error and self._sensor_error.startswith(
                    {'joints': 'joint_states', 'imu': 'imu', 'odom': 'odometry'}[kind]):
                self._sensor_error = None

    def _on_joint_states(self, msg: JointState) -> None:
        now = _stamp_seconds(self)
        self._store('joints', lambda: joint_reading(list(msg.name), list(msg.position),
                                                    list(msg.velocity), now))

    def _on_imu(self, msg: Imu) -> None:
        o, w, now = msg.orientation, msg.angular_velocity, _stamp_seconds(self)
        self._store('imu', lambda: imu_reading((o.x, o.y, o.z, o.w), (w.x, w.y, w.z), now))

    def _on_odometry(self, msg: Odometry) -> None:
        v, now = msg.twist.twist.linear, _stamp_seconds(self)
        self._store('odom', lambda: odometry_reading((v.x, v.y, v.z), now))

    def _on_image(self, msg: Image) -> None:
        self._image = msg

    # --- policy service ---------------------------------------------------------
    def _on_load_policy(self, request: LoadPolicy.Request, response: LoadPolicy.Response):
        accepted, message = self.policies.offer(
            request.format, request.version, request.sha256, bytes(request.weights))
        response.accepted = accepted
        response.message = message
        response.active_version = self.policies.active_version
        # One call site per severity: rclpy refuses a second severity at the same call site.
        if accepted:
            self.get_logger().info(f'load_policy v{request.version}: {message}')
        else:
            self.get_logger().warning(f'load_policy v{request.version}: {message}')
        return response

    # --- control loop -------------------------------------------------------------
    def _tick(self) -> None:
        now = _stamp_seconds(self)
        self.stats.tick(now)
        if not self._recorder_seen:
            # The publisher can see the recorder's subscription before the recorder has
            # matched the publisher; volatile steps sent in between are dropped, so wait
            # a moment after the first match.
            if self.step_pub.get_subscription_count() == 0:
                self._recorder_matched_at = None
                self._hold('no replay recorder subscribed to the steps yet')
                return
            if self._recorder_matched_at is None:
                self._recorder_matched_at = time.monotonic()
            if time.monotonic() - self._recorder_matched_at < RECORDER_SETTLE:
                self._hold('no step yet: replay recorder found, discovery settling')
                return
            self._recorder_seen = True
        with self._lock:
            joints, imu, odom, error = self._joints, self._imu, self._odom, self._sensor_error
        reason = error or stale_reason(now, self.p['max_sensor_age'], joint_states=(
            joints and joints.stamp), imu=(imu and imu.stamp), odometry=(odom and odom.stamp))
        if reason is not None:
            self._hold(reason)
            return
        if self.hold_reason:
            self.get_logger().info(f'sensors valid again ({self.hold_reason} cleared)')
            self.hold_reason = ''
        image = None
        if self._image is not None and self.policies.active is not None and \
                self.policies.active.metadata.image_shape is not None:
            image = np.frombuffer(bytes(self._image.data), np.uint8).reshape(
                self._image.height, self._image.width, -1)
        result = self.core.tick(joints, imu, odom, image)
        if result.dropped_policy:
            self.get_logger().error(result.dropped_policy)
        if not self.p['dry_run']:
            self._publish_command(result.command)
        self._publish_step(result)
        self._rewards.append(result.reward)

    def _hold(self, reason: str) -> None:
        # Log when the hold starts or its cause changes, not every tick of a stale hold
        # (whose reason carries the growing age).
        if reason.split(' (')[0] != self.hold_reason.split(' (')[0]:
            self.get_logger().warning(f'hold: {reason}')
        self.hold_reason = reason
        self.core.interrupt()
        if self.p['hold_mode'] == 'posture' and not self.p['dry_run'] \
                and not reason.startswith('no '):
            self._publish_command(self.core.filter.command)

    def _publish_command(self, command: np.ndarray) -> None:
        point = JointTrajectoryPoint(positions=command.tolist(),
                                     time_from_start=Duration(seconds=self.period).to_msg())
        self.command_pub.publish(JointTrajectory(joint_names=self._joint_names, points=[point]))

    def _publish_step(self, r: TickResult) -> None:
        msg = Step(
            header=Header(stamp=self.get_clock().now().to_msg(), frame_id=self.robot_name),
            seq=self.seq, run_id=self.run_id, episode_id=r.episode_id,
            episode_step=r.episode_step, observation=r.observation.tolist(),
            observation_keys=self._observation_keys, action=r.action.tolist(),
            reward=r.reward, is_first=r.is_first, is_last=r.is_last, is_terminal=False,
            policy_version=r.policy_version, hold=False,
            forward_velocity=r.forward_velocity,
            reward_terms=r.reward_terms.as_list() if r.reward_terms else [])
        if self._image is not None:
            msg.image = self._image
        self.step_pub.publish(msg)
        self.seq += 1

    def _publish_status(self) -> None:
        s = self.stats.summary()
        holding = bool(self.hold_reason)
        mode = AgentStatus.MODE_HOLD if holding else (
            AgentStatus.MODE_POLICY if self.policies.active else AgentStatus.MODE_RANDOM)
        rewards, self._rewards = self._rewards, []
        self.status_pub.publish(AgentStatus(
            header=Header(stamp=self.get_clock().now().to_msg(), frame_id=self.robot_name),
            mode=mode, hold=holding, hold_reason=self.hold_reason,
            policy_version=self.policies.active_version,
            policy_age=self.policies.active_age(), policy_sha256=self.policies.active_sha256,
            steps=self.seq, episode_id=self.core.episode_id,
            episode_step=self.core.episode_step,
            control_period_mean=s['mean'], control_period_p50=s['p50'],
            control_period_p99=s['p99'], control_period_max=s['max'],
            deadline_misses=self.stats.deadline_misses,
            mean_reward=float(np.mean(rewards)) if rewards else 0.0,
            policies_refused=self.policies.refused, last_refusal=self.policies.last_refusal))


def main(args: list[str] | None = None) -> None:
    """Run the agent with a multi-threaded executor (policy loads never block a tick)."""
    import torch
    torch.set_num_threads(1)    # batch-1 inference gains nothing from threads; the learner does
    rclpy.init(args=args)
    node = Agent()
    executor = MultiThreadedExecutor(num_threads=3)
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        executor.shutdown(timeout_sec=1.0)
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == '__main__':
    main()
