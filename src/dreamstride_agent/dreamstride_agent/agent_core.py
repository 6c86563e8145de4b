"""What the agent does each control tick, without ROS.

From checked sensor readings to an observation, the gated reward, an action (random
exploration until a policy is active, then the policy) and a safe joint command, with
the episode bookkeeping (is_first / is_last, episodes cut by time). The agent node
and the offline evaluator both drive this class, so they act identically.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dreamstride_agent.commands import CommandConfig, CommandFilter
from dreamstride_agent.observation import (
    ImuReading,
    JointReading,
    ObservationSpec,
    OdometryReading,
)
from dreamstride_agent.policy_slot import PolicySlot
from dreamstride_agent.reward import (
    RewardConfig,
    RewardTerms,
    gated_reward,
    upright_from_quaternion,
)
import numpy as np
from spot_description.spot import NUM_JOINTS


@dataclass
class AgentConfig:
    """Everything that shapes the agent's behaviour."""

    episode_length: int = 250
    joint_velocities: bool = False
    sample_actions: bool = True     # policy samples (training) or takes the mode (evaluation)
    command: CommandConfig = field(default_factory=CommandConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)


@dataclass
class TickResult:
    """The outcome of one control tick."""

    observation: np.ndarray
    action: np.ndarray
    command: np.ndarray
    reward: float
    reward_terms: RewardTerms | None
    is_first: bool
    is_last: bool
    episode_id: int
    episode_step: int
    policy_version: int
    forward_velocity: float
    dropped_policy: str | None = None   # why the active policy was dropped this tick


class AgentCore:
    """One agent's control-tick logic and state."""

    def __init__(self, config: AgentConfig, policies: PolicySlot,
                 rng: np.random.Generator) -> None:
        self.config = config
        self.spec = ObservationSpec(joint_velocities=config.joint_velocities)
        self.filter = CommandFilter(config.command)
        self.policies = policies
        self.rng = rng
        self.episode_id = 0
        self.episode_step = 0
        self._policy_state = None
        self._restart = True

    def interrupt(self) -> None:
        """Cut the episode (hold mode): the next tick starts a new one from the measured pose."""
        if self.episode_step:
            self.episode_id += 1
        self.episode_step = 0
        self._policy_state = None
        self._restart = True

    def tick(self, joints: JointReading, imu: ImuReading, odom: OdometryReading,
             image: np.ndarray | None = None) -> TickResult:
        """Act on one set of valid readings."""
        if self.policies.swap():
            self._policy_state = None
        if self._restart:
            self.filter.reset(joints.position)
            self._restart = False
        obs = self.spec.build(joints, imu)
        is_first = self.episode_step == 0
        is_last = self.episode_step == self.config.episode_length - 1
        terms = None
        if not is_first:
            terms = gated_reward(joints.position, upright_from_quaternion(*imu.orientation),
                                 float(odom.linear_velocity[0]), self.config.reward)
        action, version, dropped = self._act(obs, is_first, image)
        command = self.filter(action)
        result = TickResult(obs, action, command, terms.total if terms else 0.0, terms,
                            is_first, is_last, self.episode_id, self.episode_step, version,
                            float(odom.linear_velocity[0]), dropped)
        if is_last:
            self.episode_id += 1
            self.episode_step = 0
        else:
            self.episode_step += 1
        return result

    def _act(self, obs: np.ndarray, is_first: bool, image: np.ndarray | None
             ) -> tuple[np.ndarray, int, str | None]:
        policy = self.policies.active
        if policy is None:
            return self.rng.uniform(-1.0, 1.0, NUM_JOINTS).astype(np.float32), 0, None
        if self._policy_state is None:
            is_first = True
        try:
            action, state = policy.step(obs, self._policy_state, is_first, image=image,
                                        sample=self.config.sample_actions)
            action = np.asarray(action, dtype=np.float32)
            problem = None if action.shape == (NUM_JOINTS,) and np.all(np.isfinite(action)) \
                else 'produced a non-finite or misshapen action'
        except (ValueError, RuntimeError) as exc:
            problem = f'failed: {exc}'
        if problem is not None:
            message = self.policies.drop_active(
                f'policy v{self.policies.active_version} {problem}')
            self._policy_state = None
            action, version, _ = self._act(obs, True, image)
            return action, version, message
        self._policy_state = state
        return action, self.policies.active_version, None
