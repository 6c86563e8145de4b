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
import uuid

from dreamstride_agent.commands import CommandConfig, CommandFilter
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
from dreamstride_agent.reward import RewardConfig, gated_reward, upright_from_quaternion
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
from spot_description.spot import JOINT_NAMES
from std_msgs.msg import Header
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

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
]


def _stamp_seconds(node: Node) -> float:
    return node.get_clock().now().nanoseconds * 1e-9


class Agent(Node):
    """The acting half of DayDreamer's actor/learner split."""

    def __init__(self) -> None:
        super().__init__('agent')
        self.p = declare(self, PARAMS)
        self.period = 1.0 / self.p['control_rate']
        self.robot_name = self.p['robot_name'] or self.get_namespace().strip('/') or 'robot'
        self.spec = ObservationSpec(joint_velocities=self.p['joint_velocities'])
        self.reward_config = RewardConfig(velocity_target=self.p['velocity_target'],
                                          gate=self.p['reward_gate'])
        self.filter = CommandFilter(CommandConfig(
            control_rate=self.p['control_rate'], filter_cutoff=self.p['filter_cutoff'],
            max_step=self.p['max_step'],
            action_scale={g: self.p[f'action_scale_{g}'] for g in ('hip_x', 'hip_y', 'knee')}))
        seed = self.p['seed'] or None
        self.rng = np.random.default_rng(seed)
        self.policies = PolicySlot(obs_dim=self.spec.size, act_dim=len(JOINT_NAMES),
                                   max_bytes=self.p['max_policy_bytes'])
        self.run_id = uuid.uuid4().hex[:12]
        self.seq = 0
        self.episode_id = 0
        self.episode_step = 0
        self._policy_state = None
        self._needs_filter_reset = True
        self._lock = threading.Lock()
        self._joints = self._imu = self._odom = None
        self._sensor_error: str | None = None
        self._image: Image | None = None
        self.hold_reason = 'no sensor data yet'
        self.stats = PeriodStats(self.period)
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
        self.get_logger().info(
            f'agent {self.run_id} for {self.robot_name}: {self.p["control_rate"]:g} Hz, '
            f'observation {self.spec.describe()}, acting randomly until a policy arrives')

    # --- sensors (store the latest reading; the tick decides what to do) -------
    def _on_joint_states(self, msg: JointState) -> None:
        try:
            reading = joint_reading(list(msg.name), list(msg.position), list(msg.velocity),
                                    _stamp_seconds(self))
        except SensorError as exc:
            with self._lock:
                self._sensor_error = str(exc)
            return
        with self._lock:
            self._joints = reading
            if self._sensor_error and self._sensor_error.startswith('joint_states'):
                self._sensor_error = None

    def _on_imu(self, msg: Imu) -> None:
        o, w = msg.orientation, msg.angular_velocity
        try:
            reading = imu_reading((o.x, o.y, o.z, o.w), (w.x, w.y, w.z), _stamp_seconds(self))
        except SensorError as exc:
            with self._lock:
                self._sensor_error = str(exc)
            return
        with self._lock:
            self._imu = reading
            if self._sensor_error and self._sensor_error.startswith('imu'):
                self._sensor_error = None

    def _on_odometry(self, msg: Odometry) -> None:
        v = msg.twist.twist.linear
        try:
            reading = odometry_reading((v.x, v.y, v.z), _stamp_seconds(self))
        except SensorError as exc:
            with self._lock:
                self._sensor_error = str(exc)
            return
        with self._lock:
            self._odom = reading
            if self._sensor_error and self._sensor_error.startswith('odometry'):
                self._sensor_error = None

    def _on_image(self, msg: Image) -> None:
        self._image = msg

    # --- policy service ---------------------------------------------------------
    def _on_load_policy(self, request: LoadPolicy.Request, response: LoadPolicy.Response):
        accepted, message = self.policies.offer(
            request.format, request.version, request.sha256, bytes(request.weights))
        response.accepted = accepted
        response.message = message
        response.active_version = self.policies.active_version
        log = self.get_logger().info if accepted else self.get_logger().warning
        log(f'load_policy v{request.version}: {message}')
        return response

    # --- control loop -------------------------------------------------------------
    def _tick(self) -> None:
        now = _stamp_seconds(self)
        self.stats.tick(now)
        if self.policies.swap():
            self._policy_state = None
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
        if self._needs_filter_reset:
            self.filter.reset(joints.position)
            self._needs_filter_reset = False
        obs = self.spec.build(joints, imu)
        is_first = self.episode_step == 0
        is_last = self.episode_step == self.p['episode_length'] - 1
        reward = 0.0
        if not is_first:
            reward = gated_reward(joints.position, upright_from_quaternion(*imu.orientation),
                                  float(odom.linear_velocity[0]), self.reward_config).total
        action, version = self._act(obs, is_first)
        command = self.filter(action)
        if not self.p['dry_run']:
            self._publish_command(command)
        self._publish_step(obs, action, reward, is_first, is_last, version)
        self._rewards.append(reward)
        if is_last:
            self.episode_id += 1
            self.episode_step = 0
        else:
            self.episode_step += 1

    def _act(self, obs: np.ndarray, is_first: bool) -> tuple[np.ndarray, int]:
        policy = self.policies.active
        if policy is None:
            return self.rng.uniform(-1.0, 1.0, len(JOINT_NAMES)).astype(np.float32), 0
        if self._policy_state is None:
            self._policy_state = policy.initial_state()
            is_first = True
        action, state = policy.step(obs, self._policy_state, is_first)
        action = np.asarray(action, dtype=np.float32)
        if action.shape != (len(JOINT_NAMES),) or not np.all(np.isfinite(action)):
            message = self.policies.drop_active(
                f'policy v{self.policies.active_version} produced a non-finite or misshapen '
                'action')
            self.get_logger().error(message)
            self._policy_state = None
            return self._act(obs, True)
        self._policy_state = state
        return action, self.policies.active_version

    def _hold(self, reason: str) -> None:
        if reason != self.hold_reason:
            self.get_logger().warning(f'hold: {reason}')
        self.hold_reason = reason
        self._needs_filter_reset = True
        self._policy_state = None
        self.episode_step = 0     # the episode is cut; the next valid step starts a new one
        if self.p['hold_mode'] == 'posture' and not self.p['dry_run'] \
                and not reason.startswith('no '):
            self._publish_command(self.filter.command)

    def _publish_command(self, command: np.ndarray) -> None:
        point = JointTrajectoryPoint(positions=command.tolist(),
                                     time_from_start=Duration(seconds=self.period).to_msg())
        self.command_pub.publish(JointTrajectory(joint_names=list(JOINT_NAMES), points=[point]))

    def _publish_step(self, obs: np.ndarray, action: np.ndarray, reward: float, is_first: bool,
                      is_last: bool, version: int) -> None:
        msg = Step(
            header=Header(stamp=self.get_clock().now().to_msg(), frame_id=self.robot_name),
            seq=self.seq, run_id=self.run_id, episode_id=self.episode_id,
            episode_step=self.episode_step, observation=obs.tolist(),
            observation_keys=self.spec.describe(), action=action.tolist(), reward=reward,
            is_first=is_first, is_last=is_last, is_terminal=False, policy_version=version,
            hold=False)
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
            steps=self.seq, episode_id=self.episode_id, episode_step=self.episode_step,
            control_period_mean=s['mean'], control_period_p50=s['p50'],
            control_period_p99=s['p99'], control_period_max=s['max'],
            deadline_misses=self.stats.deadline_misses,
            mean_reward=float(np.mean(rewards)) if rewards else 0.0,
            policies_refused=self.policies.refused, last_refusal=self.policies.last_refusal))


def main(args: list[str] | None = None) -> None:
    """Run the agent with a multi-threaded executor (policy loads never block a tick)."""
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
