# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""What the agent decides each control tick, without ROS.

:meth:`AgentCore.decide` is the whole decision of one tick: from the time, a snapshot
of the latest sensor readings (each sensor with its own error state) and whether a
replay recorder is ready, it returns either the step to take (observation, gated
reward, action, safe joint command, episode bookkeeping) or a typed :class:`Hold`
(kind, sensor, detail, and the posture to send, if any). The agent node, the in-process
evaluator and the tests drive this same function with their own clocks, so they act
identically. Nothing here depends on the wording of a message: holds are compared by
kind and sensor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
import dataclasses
from dataclasses import dataclass, field
import enum
import threading

from dreamstride_agent.acting.command_filter import CommandConfig, CommandFilter
from dreamstride_agent.acting.observation import (
    ImuReading,
    JointReading,
    ObservationSpec,
    OdometryReading,
    SensorError,
)
from dreamstride_agent.acting.policy_slot import PolicySlot
from dreamstride_agent.acting.reward import (
    RewardConfig,
    RewardTerms,
    VelocityAverage,
    gated_reward,
    upright_from_quaternion,
)
from dreamstride_agent.acting.self_right import SelfRight
from dreamstride_agent.acting.velocity_command import (
    CommandBoard,
    CommandSampler,
    HeadingHold,
    VelocityCommandConfig,
    yaw_from_quaternion,
)
from dreamstride_agent.config_fields import described
import numpy as np
from spot_description import contract
from spot_description.spot import NUM_JOINTS

HOLD_MODES = ('posture', 'none')


class Sensor(enum.Enum):
    """The sensor streams the agent acts on (values: the contract's topic names)."""

    JOINT_STATES = contract.JOINT_STATES
    IMU = contract.IMU
    ODOMETRY = contract.ODOMETRY


class HoldKind(enum.Enum):
    """Why the agent does not act this tick."""

    NO_RECORDER = 'no_recorder'  # training: no replay recorder listens yet
    NO_DATA = 'no_data'  # a sensor has sent nothing yet
    STALE = 'stale'  # a sensor's newest reading is too old (or from the future)
    MALFORMED = 'malformed'  # a sensor's newest message was refused
    SELF_RIGHT = 'self_right'  # on its back: the scripted self-right runs (self_right.py)


@dataclass(frozen=True)
class Hold:
    """A tick on which the agent does not act, and what it sends instead."""

    kind: HoldKind
    sensor: Sensor | None  # None for NO_RECORDER
    detail: str  # for people: AgentStatus.hold_reason and the log
    command: np.ndarray | None  # the posture to send, or None: send nothing

    @property
    def cause(self) -> tuple[HoldKind, Sensor | None]:
        """What makes two holds the same hold (the detail, e.g. an age, may change)."""
        return self.kind, self.sensor


@dataclass
class AgentConfig:
    """Everything that shapes the agent's behaviour."""

    episode_length: int = described('Steps per episode; episodes are cut by time, no resets.', 250)
    joint_velocities: bool = described('Add the 12 joint velocities to the observation.', False)
    orientation_input: str = described(
        "Body orientation in the observation: 'roll_pitch' (DayDreamer's two angles) or "
        "'gravity' (the gravity direction in the body frame, continuous where roll wraps "
        'at +-pi, on the back).',
        'gravity',
    )
    command_input: bool = described(
        'Add the velocity command (vx, vy, wz) to the observation.', True
    )
    yaw_rate_input: bool = described('Add the body yaw rate (IMU z) to the observation.', True)
    sample_actions: bool = described(
        'Sample actions from the policy (training); false takes its mode (evaluation).', True
    )
    max_sensor_age: float = described(
        'Hold when the newest joint_states/imu/odometry is older than this (s, node clock).', 0.075
    )
    hold_mode: str = described(
        "In hold: 'posture' repeats the last safe command (simulation); 'none' sends "
        'nothing (real robot).',
        'posture',
    )
    dry_run: bool = described('Compute everything but publish no joint commands.', False)
    self_right_after: float = described(
        'Seconds on its back before the agent runs the scripted self-right (joint '
        "commands; the steps are not the policy's and are not published); 0: never "
        '(a real Spot rights itself with its own controller).',
        1.0,
    )
    command: CommandConfig = described('The action-to-command path.', factory=CommandConfig)
    velocity_command: VelocityCommandConfig = described(
        'Where the commanded body velocity comes from.', factory=VelocityCommandConfig
    )
    reward: RewardConfig = described('The gated reward.', factory=RewardConfig)

    def __post_init__(self) -> None:
        self.observation_spec()  # refuses an unknown orientation_input
        if self.hold_mode not in HOLD_MODES:
            raise ValueError(f'hold_mode must be one of {HOLD_MODES}, got {self.hold_mode!r}')
        if not self.max_sensor_age > 0:
            raise ValueError(f'max_sensor_age must be positive, got {self.max_sensor_age}')
        if self.episode_length < 2:
            raise ValueError(f'episode_length must be at least 2, got {self.episode_length}')

    def for_observation(self, observation_keys: str) -> AgentConfig:
        """Return a copy that builds the observation ``observation_keys`` describes.

        ``observation_keys`` is a policy's recorded layout (Step.observation_keys form);
        empty: this configuration as it is. Raises ValueError for a layout no agent builds.
        """
        if not observation_keys:
            return self
        spec = ObservationSpec.from_description(observation_keys)
        return dataclasses.replace(
            self,
            joint_velocities=spec.joint_velocities,
            orientation_input=spec.orientation,
            command_input=spec.velocity_command,
            yaw_rate_input=spec.yaw_rate,
        )

    def observation_spec(self) -> ObservationSpec:
        """Return the layout of the observation this configuration builds."""
        return ObservationSpec(
            self.joint_velocities, self.orientation_input, self.command_input, self.yaw_rate_input
        )


@dataclass
class TickResult:
    """The outcome of one control tick on which the agent acted."""

    observation: np.ndarray
    action: np.ndarray
    command: np.ndarray
    send_command: bool  # False in a dry run
    reward: float
    reward_terms: RewardTerms | None
    is_first: bool
    is_last: bool
    episode_id: int
    episode_step: int
    policy_version: int
    forward_velocity: float
    dropped_policy: str | None = None  # why the active policy was dropped this tick
    # The velocity command (vx, vy, wz) in force this tick.
    velocity_command: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))


Decision = TickResult | Hold


@dataclass(frozen=True)
class SensorSnapshot:
    """The latest valid reading of each sensor and each sensor's current error."""

    joints: JointReading | None = None
    imu: ImuReading | None = None
    odometry: OdometryReading | None = None
    errors: dict[Sensor, str] = field(default_factory=dict)

    def reading(self, sensor: Sensor) -> JointReading | ImuReading | OdometryReading | None:
        """Return the latest valid reading of ``sensor``."""
        return {
            Sensor.JOINT_STATES: self.joints,
            Sensor.IMU: self.imu,
            Sensor.ODOMETRY: self.odometry,
        }[sensor]


class SensorBoard:
    """Latest reading and error state per sensor, written by message callbacks.

    A refused message sets its own sensor's error, which only a valid message of the
    same sensor clears: a bad message on one sensor never clears another's error.
    Thread-safe, so callbacks may run in other threads than the tick.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readings: dict[Sensor, object] = dict.fromkeys(Sensor)
        self._errors: dict[Sensor, str] = {}

    def update(self, sensor: Sensor, make: Callable[[], object]) -> str | None:
        """Store the reading ``make()`` returns, or its SensorError; return the error."""
        try:
            reading = make()
        except SensorError as exc:
            with self._lock:
                self._errors[sensor] = str(exc)
            return str(exc)
        with self._lock:
            self._readings[sensor] = reading
            self._errors.pop(sensor, None)
        return None

    def snapshot(self) -> SensorSnapshot:
        """Return the current state of every sensor (readings are never modified)."""
        with self._lock:
            return SensorSnapshot(
                self._readings[Sensor.JOINT_STATES],
                self._readings[Sensor.IMU],
                self._readings[Sensor.ODOMETRY],
                dict(self._errors),
            )


class RecorderGate:
    """Whether a replay recorder is ready to receive steps (training graphs).

    The step publisher can see a recorder's subscription before the recorder has matched
    the publisher; steps sent in between would be dropped, so the gate opens ``settle``
    seconds after the first match, and stays open afterwards (a recorder that restarts
    later counts its gap, see the recorder).
    """

    def __init__(self, required: bool, settle: float = 1.0) -> None:
        self.open = not required
        self.settle = settle
        self._matched_at: float | None = None

    def ready(self, now: float, subscribers: int) -> bool:
        """Update with the subscriber count at time ``now`` (s, any monotonic clock)."""
        if self.open:
            return True
        if subscribers == 0:
            self._matched_at = None
            return False
        if self._matched_at is None:
            self._matched_at = now
        self.open = now - self._matched_at >= self.settle
        return self.open


class AgentCore:
    """One agent's control-tick decision and state."""

    def __init__(
        self, config: AgentConfig, policies: PolicySlot, rng: np.random.Generator
    ) -> None:
        self.config = config
        self.spec = config.observation_spec()
        self.filter = CommandFilter(config.command)
        self.policies = policies
        self.rng = rng
        # The commanded velocity: cmd_vel (the node writes the board) or the sampler,
        # which draws from its own generator so exploration noise stays as it was.
        vc = config.velocity_command
        self.commands: CommandBoard | CommandSampler = (
            CommandSampler(vc, np.random.default_rng(rng.integers(2**63)))
            if vc.source == 'sampler'
            else CommandBoard(vc)
        )
        self.episode_id = 0
        self.episode_step = 0
        self.hold: Hold | None = None  # the current hold, if holding
        self.hold_counts: Counter[HoldKind] = Counter()  # holds entered, by kind
        self._policy_state = None
        self._restart = True
        self._commanded = False  # a command was computed since the start
        # The tracking reward follows the velocity averaged over about a gait cycle.
        self.velocity_average = VelocityAverage(
            config.reward.velocity_average_time, 1.0 / config.command.control_rate
        )
        # A straight command keeps the heading it started with (heading_hold_gain > 0).
        self.heading_hold = HeadingHold(vc, 1.0 / config.command.control_rate)
        self.self_right = SelfRight(
            config.self_right_after, config.command.max_step, self.filter.lower, self.filter.upper
        )

    # --- the decision -------------------------------------------------------------------
    def decide(
        self,
        now: float,
        sensors: SensorSnapshot,
        recorder_ready: bool = True,
        image: np.ndarray | None = None,
    ) -> Decision:
        """Decide this tick at time ``now`` (s, the clock the readings are stamped on)."""
        hold = self._hold_cause(now, sensors, recorder_ready) or self._self_right(now, sensors)
        if hold is not None:
            self._enter_hold(hold)
            return hold
        self.hold = None
        return self.tick(
            sensors.joints, sensors.imu, sensors.odometry, image, self.commands.command(now)
        )

    def _hold_cause(
        self, now: float, sensors: SensorSnapshot, recorder_ready: bool
    ) -> Hold | None:
        if not recorder_ready:
            return Hold(
                HoldKind.NO_RECORDER, None, 'no replay recorder receives the steps yet', None
            )
        max_age = self.config.max_sensor_age
        for sensor in Sensor:
            error = sensors.errors.get(sensor)
            if error is not None:
                return self._posture_hold(HoldKind.MALFORMED, sensor, error)
            reading = sensors.reading(sensor)
            if reading is None:
                return Hold(HoldKind.NO_DATA, sensor, f'no {sensor.value} received yet', None)
            age = now - reading.stamp
            if age > max_age:
                return self._posture_hold(
                    HoldKind.STALE, sensor, f'{sensor.value} stale ({age:.3f} s > {max_age:.3f} s)'
                )
            if age < -max_age:
                # Stamped ahead of this clock: a clock mismatch or a hostile stamp; either
                # way its age is unknown.
                return self._posture_hold(
                    HoldKind.STALE, sensor, f'{sensor.value} stamped {-age:.3f} s in the future'
                )
        return None

    def _self_right(self, now: float, sensors: SensorSnapshot) -> Hold | None:
        """Return the self-right's hold once the robot has lain on its back long enough."""
        up_z = upright_from_quaternion(*sensors.imu.orientation)
        previous = self.filter.command if self._commanded else sensors.joints.position
        command = self.self_right.command(now, up_z, previous)
        if command is None:
            return None
        if not self.config.dry_run:
            self.filter.command = command.copy()  # the next tick's rate limit starts here
            self._commanded = True
        return Hold(
            HoldKind.SELF_RIGHT,
            None,
            f'down (body up axis z {up_z:.2f}): scripted self-right, {self.self_right.progress}',
            None if self.config.dry_run else command,
        )

    def _posture_hold(self, kind: HoldKind, sensor: Sensor, detail: str) -> Hold:
        cfg = self.config
        send = cfg.hold_mode == 'posture' and not cfg.dry_run and self._commanded
        return Hold(kind, sensor, detail, self.filter.command.copy() if send else None)

    def _enter_hold(self, hold: Hold) -> None:
        if self.hold is None or self.hold.cause != hold.cause:
            self.hold_counts[hold.kind] += 1
        self.hold = hold
        self.interrupt()

    def interrupt(self) -> None:
        """Cut the episode (hold mode): the next tick starts a new one from the measured pose."""
        if self.episode_step:
            self.episode_id += 1
        self.episode_step = 0
        self._policy_state = None
        self._restart = True

    # --- acting -------------------------------------------------------------------------
    def tick(
        self,
        joints: JointReading,
        imu: ImuReading,
        odom: OdometryReading,
        image: np.ndarray | None = None,
        velocity_command: np.ndarray | None = None,
    ) -> TickResult:
        """Act on one set of valid readings and a velocity command (default: the source's)."""
        if velocity_command is None:
            velocity_command = self.commands.command(imu.stamp)
        is_first, velocity_command = self._begin_tick(joints, imu, velocity_command)
        obs = self.spec.build(joints, imu, velocity_command)
        is_last = self.episode_step == self.config.episode_length - 1
        forward = odom.forward_velocity
        terms = self._step_reward(joints, imu, odom, velocity_command, is_first)
        action, version, dropped = self._act(obs, is_first, image)
        command = self.filter(action)
        self._commanded = True
        result = TickResult(
            obs,
            action,
            command,
            not self.config.dry_run,
            terms.total if terms else 0.0,
            terms,
            is_first,
            is_last,
            self.episode_id,
            self.episode_step,
            version,
            forward,
            dropped,
            np.asarray(velocity_command, dtype=np.float32),
        )
        self._advance_episode(is_last)
        return result

    def _begin_tick(
        self, joints: JointReading, imu: ImuReading, velocity_command: np.ndarray
    ) -> tuple[bool, np.ndarray]:
        """Swap in a waiting policy, reset what an episode or a restart starts afresh.

        Returns whether this tick is an episode's first and the velocity command in force
        (the heading hold's correction applied).
        """
        if self.policies.swap() and not self._state_carries_over():
            self._policy_state = None
        is_first = self.episode_step == 0  # also after every hold (interrupt)
        if is_first:
            self.heading_hold.reset()
        if self._restart:
            self.filter.reset(joints.position)
            self.velocity_average.reset()
            self._restart = False
        velocity_command = self.heading_hold.command(
            velocity_command, yaw_from_quaternion(*imu.orientation)
        )
        return is_first, velocity_command

    def _step_reward(
        self,
        joints: JointReading,
        imu: ImuReading,
        odom: OdometryReading,
        velocity_command: np.ndarray,
        is_first: bool,
    ) -> RewardTerms | None:
        """Return the reward of the step that led here; None on an episode's first tick.

        The tracking reward's velocity average takes every tick's reading, the first's too.
        """
        velocity, yaw_rate = odom.heading_velocity, float(imu.angular_velocity[2])
        if self.config.reward.velocity_reward == 'tracking':
            velocity, yaw_rate = self.velocity_average.update(velocity, yaw_rate)
        if is_first:
            return None
        return gated_reward(
            joints.position,
            upright_from_quaternion(*imu.orientation),
            velocity,
            self.config.reward,
            yaw_rate=yaw_rate,
            command=velocity_command,
        )

    def _advance_episode(self, is_last: bool) -> None:
        """Count the tick: the next step of this episode, or the first of the next one."""
        if is_last:
            self.episode_id += 1
            self.episode_step = 0
        else:
            self.episode_step += 1

    def _state_carries_over(self) -> bool:
        """Whether the newly swapped-in policy continues from the current latent state."""
        accepts = getattr(self.policies.active, 'accepts_state', None)
        return accepts is not None and accepts(self._policy_state)

    def _act(
        self, obs: np.ndarray, is_first: bool, image: np.ndarray | None
    ) -> tuple[np.ndarray, int, str | None]:
        policy = self.policies.active
        if policy is None:
            return self.rng.uniform(-1.0, 1.0, NUM_JOINTS).astype(np.float32), 0, None
        if self._policy_state is None:
            is_first = True
        try:
            action, state = policy.step(
                obs, self._policy_state, is_first, image=image, sample=self.config.sample_actions
            )
            action = np.asarray(action, dtype=np.float32)
            problem = (
                None
                if action.shape == (NUM_JOINTS,) and np.all(np.isfinite(action))
                else 'produced a non-finite or misshapen action'
            )
        except (ValueError, RuntimeError) as exc:
            problem = f'failed: {exc}'
        if problem is not None:
            message = self.policies.drop_active(
                f'policy v{self.policies.active_version} {problem}'
            )
            self._policy_state = None
            action, version, _ = self._act(obs, True, image)
            return action, version, message
        self._policy_state = state
        return action, self.policies.active_version, None
