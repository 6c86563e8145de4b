# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Evaluate a policy on the MuJoCo Spot, in-process, and film it.

The agent's own tick logic (AgentCore: observation, gated reward, command path) drives
SpotSimulation directly, with the simulation stepped for exactly one control period
per tick, so an evaluation is deterministic for a seed and much faster than real time.
Without a checkpoint the agent acts uniformly at random (the baseline).

Each episode starts from its pose at a random heading with a little joint noise (drawn
from the seed), and is measured by physics against a velocity command
(locomotion_metrics: net speed along the command, heading drift, non-foot floor contact,
foot slip, upright share) beside the reward, which pays speed along the current heading
and so cannot tell walking from circling. Whether a policy walked is decided by
locomotion_metrics.WALK alone.

The agent's configuration comes from the parameter files a launched evaluation agent
gets (graph.node_graph('eval', 'mujoco'), the ``--config`` file last) and ``-p``
overrides, read as rcl reads them and turned into an AgentConfig by the function the
agent node uses, so the in-process evaluation acts as ``dreamstride eval --ros`` would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dreamstride_bringup.parameter_files import read_parameter_files
from dreamstride_lab.locomotion_metrics import (
    FORWARD_COMMAND,
    WALK,
    LocomotionMeasures,
    LocomotionMeter,
    VelocityCommand,
)
import numpy as np
from spot_description.contract import DEFAULT_NAMESPACE

if TYPE_CHECKING:
    from dreamstride_agent.acting.agent_core import AgentConfig, AgentCore
    from spot_mujoco.simulation import SpotSimulation

os.environ.setdefault('MUJOCO_GL', 'egl')

# Each start from a pose turns the robot to a random heading and adds this much Gaussian
# noise (rad) to its joint angles, so that the starts of one evaluation really differ
# (from a fixed pose the policy's mode made every episode the same one).
START_JOINT_NOISE = 0.05
LONG_RUN_STEPS = 1000  # a long run shows what 12.5 s hide: loops, slow falls


@dataclass
class EpisodeResult:
    """What one evaluation episode achieved: the reward's view and the physical one.

    ``walked`` applies the walk criterion (locomotion_metrics.WALK) to this episode; it
    judges walking only from lying over 250 steps (``EvaluationResult.walked``).
    """

    episode_return: float
    mean_reward: float
    # m/s, body x velocity, along the body's current heading (what the reward pays): a
    # robot that circles scores it in full. Not progress; see net_speed_along_command.
    speed_along_heading: float
    stood_fraction: float  # fraction of steps with every standing term unlocked
    upright_fraction: float  # fraction of steps with the reward's upright term > 0.95
    start_yaw: float  # rad, the randomised start's heading
    physics: LocomotionMeasures
    walked: bool  # this episode passes every threshold of the walk criterion
    failures: list[str]  # why not


@dataclass
class EvaluationResult:
    """Results of all episodes and their means."""

    episodes: list[EpisodeResult]
    policy: str
    policy_step: int
    initial_pose: str = 'lying'
    episode_length: int = WALK.steps
    command: VelocityCommand = FORWARD_COMMAND
    sampled_actions: bool = False  # sampled from the policy, as training acts, not its mode

    @property
    def walked(self) -> bool | None:
        """Walked in every start; None if the evaluation is not the criterion's setting."""
        if not WALK.applies(self.initial_pose, self.episode_length) or not self.episodes:
            return None
        return all(e.walked for e in self.episodes)

    def summary(self) -> dict:
        """Return means (and worst cases) over the episodes plus the per-episode list."""
        eps = self.episodes
        phys = [e.physics for e in eps]

        def mean(values) -> float:
            # nan-aware: foot slip is nan for an episode in which no foot touched the floor
            finite = [v for v in values if not np.isnan(v)]
            return float(np.mean(finite)) if finite else float('nan')

        stand_times = [m.time_to_stand for m in phys]
        return {
            'policy': self.policy,
            'policy_step': self.policy_step,
            'initial_pose': self.initial_pose,
            'episode_length': self.episode_length,
            'command': asdict(self.command),
            'sampled_actions': self.sampled_actions,
            'episodes': len(eps),
            'mean_return': mean(e.episode_return for e in eps),
            'mean_reward_per_step': mean(e.mean_reward for e in eps),
            'mean_speed_along_heading': mean(e.speed_along_heading for e in eps),
            'stood_fraction': mean(e.stood_fraction for e in eps),
            # physical measures: means over the starts, and the worst start
            'net_speed_along_command': mean(m.net_speed_along_command for m in phys),
            'min_net_speed_along_command': min(
                (m.net_speed_along_command for m in phys), default=float('nan')
            ),
            'net_displacement': mean(m.net_displacement for m in phys),
            'tracking_error': mean(m.tracking_error for m in phys),
            'yaw_rate_error': mean(m.yaw_rate_error for m in phys),
            'max_abs_heading_drift_deg': max(
                (abs(m.heading_drift_deg) for m in phys), default=float('nan')
            ),
            'non_foot_contact_share': mean(m.non_foot_contact_share for m in phys),
            'max_non_foot_contact_share': max(
                (m.non_foot_contact_share for m in phys), default=float('nan')
            ),
            'foot_slip': mean(m.foot_slip for m in phys),
            'upright_share': mean(m.upright_share for m in phys),
            'min_upright_share': min((m.upright_share for m in phys), default=float('nan')),
            # the slowest start; None when a start never stood
            'max_time_to_stand': None
            if None in stand_times or not eps
            else float(max(stand_times)),
            'walked_episodes': int(sum(e.walked for e in eps)),
            'walked': self.walked,
            'per_episode': [
                {**{k: v for k, v in asdict(e).items() if k != 'physics'}, **asdict(e.physics)}
                for e in eps
            ],
        }


def agent_parameter_values(
    config: Path | str | None = None,
    overrides: Mapping[str, Any] | None = None,
    namespace: str = DEFAULT_NAMESPACE,
) -> dict[str, Any]:
    """Return the agent's parameter values in an evaluation, by name.

    Defaults, then the evaluation agent's parameter files (``config`` last), then the
    graph's own values, then ``overrides`` (``-p agent:NAME=VALUE``). Names the agent
    does not declare are dropped from files (rcl ignores them too) but refused in
    ``overrides``, where they are a typo.
    """
    from dreamstride_agent.acting.agent_parameters import parameter_defaults
    from dreamstride_bringup.graph import node_fqn, node_graph

    defaults = parameter_defaults()
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise ValueError(
            f'-p agent:{unknown[0]}: the agent has no parameter {unknown[0]!r} '
            f'(it declares {", ".join(sorted(defaults))})'
        )
    # The in-process evaluation loads its policy itself; the graph only needs a name.
    agent = [
        n
        for n in node_graph('eval', 'mujoco', config=config, policy='in-process')
        if n.name == 'agent'
    ][0]
    fqn = node_fqn(namespace, agent.name)
    given = {**read_parameter_files(agent.param_files, fqn), **agent.parameters, **overrides}
    return {**defaults, **{k: v for k, v in given.items() if k in defaults}}


def evaluation_agent_config(
    config: Path | str | None = None,
    overrides: Mapping[str, Any] | None = None,
    namespace: str = DEFAULT_NAMESPACE,
):
    """Return the AgentConfig a launched evaluation agent would run with."""
    from dreamstride_agent.acting.agent_parameters import agent_config_from_parameters

    return agent_config_from_parameters(agent_parameter_values(config, overrides, namespace))


def load_policy(checkpoint: Path | str | None, seed: int, obs_dim: int | None = None):
    """Return (PolicySlot with the file's policy active, its update step).

    ``checkpoint`` is a learner checkpoint or an exported policy (what the learner pushes
    to agents, e.g. an experiment's final_policy.safetensors); None: random actions.
    ``obs_dim`` is the agent configuration's observation size (default: the size of the
    layout the file records, else the default agent's).
    """
    from dreamstride_agent.acting.agent_core import AgentConfig
    from dreamstride_agent.acting.policy_file import read_policy_file
    from dreamstride_agent.acting.policy_slot import PolicySlot
    from spot_description.spot import NUM_JOINTS

    del seed  # the policy acts on its mode; kept for the callers' signature
    policy = read_policy_file(checkpoint) if checkpoint is not None else None
    if obs_dim is None:
        keys = policy.observation_keys if policy else ''
        obs_dim = AgentConfig().for_observation(keys).observation_spec().size
    slot = PolicySlot(obs_dim, NUM_JOINTS, max_bytes=1 << 30)
    if policy is None:
        return slot, 0
    accepted, message = slot.offer('safetensors', policy.version, policy.sha256, policy.data)
    if not accepted:
        raise ValueError(f'{checkpoint}: {message}')
    slot.swap()
    return slot, policy.version


def sensor_snapshot(sim):
    """Read the simulation's sensors as the agent node does, checks included."""
    from dreamstride_agent.acting.agent_core import Sensor, SensorBoard
    from dreamstride_agent.acting.observation import imu_reading, joint_reading, odometry_reading
    from spot_description.spot import JOINT_NAMES

    board, now = SensorBoard(), sim.time
    joints, imu, body = sim.joints(), sim.imu(), sim.body_state()
    w, x, y, z = imu.orientation
    bw, bx, by, bz = body.orientation
    board.update(
        Sensor.JOINT_STATES,
        lambda: joint_reading(list(JOINT_NAMES), joints.position, joints.velocity, now),
    )
    board.update(Sensor.IMU, lambda: imu_reading((x, y, z, w), imu.angular_velocity, now))
    board.update(
        Sensor.ODOMETRY,
        lambda: odometry_reading(body.linear_velocity, (bx, by, bz, bw), now, 'body'),
    )
    return board.snapshot()


def evaluate(
    checkpoint: Path | str | None = None,
    episodes: int = 3,
    episode_length: int | None = None,
    initial_pose: str = 'standing',
    seed: int = 0,
    video: Path | str | None = None,
    video_size: tuple[int, int] = (320, 240),
    agent_config=None,
    command: VelocityCommand = FORWARD_COMMAND,
    randomise: bool = True,
    policies=None,
    sample_actions: bool = False,
) -> EvaluationResult:
    """Run ``episodes`` episodes from ``initial_pose``; film them into ``video`` if given.

    ``agent_config`` defaults to :func:`evaluation_agent_config` (the agent's parameter
    files); ``episode_length``, if given, replaces its episode length.

    ``command`` is the body velocity the agent is given (its fixed sampler's command, so
    it observes it and is rewarded for tracking it) and the physical measures are taken
    against (default: DayDreamer's forward 0.3 m/s). ``randomise``: each episode
    starts at a random heading with START_JOINT_NOISE on the joints, drawn from ``seed``
    and the episode's index (False: the bare pose, heading 0, every episode alike).

    ``policies`` replaces the checkpoint with a ready policy holder that acts as a
    PolicySlot does (``active``, ``active_version``, ``swap``, ``drop_active``), e.g.
    gait_probe's scripted trot; ``checkpoint`` is then ignored.

    ``sample_actions``: act with actions sampled from the policy, as training collects its
    steps, instead of its mode (what a walk is judged on).
    """
    import torch

    torch.set_num_threads(1)
    config = agent_config or evaluation_agent_config()
    if policies is not None:
        checkpoint = None
    config, slot, step = _policy_and_layout(config, checkpoint, seed, policies)
    config = _commanded_config(config, command, episode_length, sample_actions)
    rollout = _Rollout.open(config, slot, seed, initial_pose, command, video, video_size)
    results = []
    try:
        for episode in range(episodes):
            results.append(rollout.episode(initial_pose, seed, episode, randomise))
    finally:
        rollout.close()
    return EvaluationResult(
        results,
        _policy_name(checkpoint, policies),
        step,
        initial_pose=initial_pose,
        episode_length=config.episode_length,
        command=command,
        sampled_actions=sample_actions,
    )


def _policy_and_layout(
    config: AgentConfig, checkpoint: Path | str | None, seed: int, policies: Any | None
) -> tuple[AgentConfig, Any, int]:
    """Return (config on the policy's observation layout, the policy holder, its step)."""
    if checkpoint is not None:
        # A policy that records its observation layout is evaluated on that layout,
        # whatever the agent parameters say (older files need the run's parameters).
        from dreamstride_agent.acting.policy_file import read_policy_file

        config = config.for_observation(read_policy_file(checkpoint).observation_keys)
    if policies is None:
        slot, step = load_policy(checkpoint, seed, config.observation_spec().size)
    else:
        slot, step = policies, policies.active_version
    return config, slot, step


def _commanded_config(
    config: AgentConfig,
    command: VelocityCommand,
    episode_length: int | None,
    sample_actions: bool = False,
) -> AgentConfig:
    """Return a copy of ``config`` that acts on ``command`` with the policy's mode."""
    # A copy: the caller's config stays as it was. Evaluation takes the policy's mode
    # (unless asked to sample, as training does) and acts on ``command``.
    return replace(
        config,
        velocity_command=replace(
            config.velocity_command,
            source='sampler',
            sampler='fixed',
            fixed_vx=command.vx,
            fixed_vy=command.vy,
            fixed_wz=command.wz,
        ),
        sample_actions=sample_actions,
        episode_length=config.episode_length if episode_length is None else episode_length,
    )


def _video_writer(video: Path | str | None, fps: float) -> Any | None:
    """Open the video file at ``fps`` frames per second, its folder created; None: no film."""
    if video is None:
        return None
    import imageio.v2 as imageio

    Path(video).parent.mkdir(parents=True, exist_ok=True)
    return imageio.get_writer(
        str(video),
        fps=fps,
        **({'macro_block_size': 8} if str(video).endswith('.mp4') else {}),
    )


def _policy_name(checkpoint: Path | str | None, policies: Any | None) -> str:
    """Return the name the results give the policy: its holder's, the file or 'random'."""
    if policies is not None:
        return str(getattr(policies, 'name', type(policies).__name__))
    return str(checkpoint) if checkpoint else 'random'


@dataclass
class _Rollout:
    """What the episodes of one evaluation share: the agent, the simulation, the film."""

    core: AgentCore
    sim: SpotSimulation
    config: AgentConfig  # the evaluation's: fixed command, policy's mode, episode length
    command: VelocityCommand
    substeps: int  # simulation steps per control period
    period: float  # s, one control period
    writer: Any | None  # the video's, None: no film
    camera: str  # the camera that films it
    video_size: tuple[int, int]

    @classmethod
    def open(
        cls,
        config: AgentConfig,
        slot: Any,
        seed: int,
        initial_pose: str,
        command: VelocityCommand,
        video: Path | str | None,
        video_size: tuple[int, int],
    ) -> _Rollout:
        """Create the agent, the simulation and the video of an evaluation."""
        from dreamstride_agent.acting.agent_core import AgentCore
        from spot_description import mjcf
        from spot_mujoco.simulation import SpotSimulation

        rng = np.random.default_rng(seed)
        core = AgentCore(config, slot, rng)
        sim = SpotSimulation(seed=seed, pose=initial_pose)
        substeps = max(1, round(1.0 / (config.command.control_rate * sim.timestep)))
        period = substeps * sim.timestep
        writer = _video_writer(video, config.command.control_rate)
        return cls(
            core, sim, config, command, substeps, period, writer, mjcf.TRACK_CAMERA, video_size
        )

    def episode(
        self, initial_pose: str, seed: int, episode: int, randomise: bool
    ) -> EpisodeResult:
        """Run episode ``episode`` from ``initial_pose``; the reward's and physics' view."""
        from dreamstride_agent.acting.agent_core import Hold
        from dreamstride_agent.acting.reward import stood as stood_terms

        yaw = self._start(initial_pose, seed, episode, randomise)
        rewards, speeds, stood, upright = [], [], [], []
        body = self.sim.body_state()
        meter = LocomotionMeter(self.period, body.position, self.sim.body_yaw(), self.command)
        for _ in range(self.config.episode_length):
            result = self.core.decide(self.sim.time, sensor_snapshot(self.sim))
            if isinstance(result, Hold):
                # The agent refuses a reading (it would hold on the robot too) or runs
                # the self-right: the episode is cut and the simulation goes on.
                if result.command is not None:
                    self.sim.set_position_targets(result.command)
                self._advance(meter)  # filmed too: the self-right is part of what happened
                continue
            self.sim.set_position_targets(result.command)
            self._advance(meter)
            if result.reward_terms is not None:
                rewards.append(result.reward)
                speeds.append(result.forward_velocity)
                stood.append(stood_terms(result.reward_terms, self.config.reward.gate))
                upright.append(result.reward_terms.upright > 0.95)
        physics = meter.result()
        failures = WALK.failures(physics)
        return EpisodeResult(
            episode_return=float(np.sum(rewards)),
            mean_reward=float(np.mean(rewards)),
            speed_along_heading=float(np.mean(speeds)),
            stood_fraction=float(np.mean(stood)),
            upright_fraction=float(np.mean(upright)),
            start_yaw=yaw,
            physics=physics,
            walked=not failures,
            failures=failures,
        )

    def _start(self, initial_pose: str, seed: int, episode: int, randomise: bool) -> float:
        """Reset the simulation and the agent for an episode; the start's heading (rad)."""
        start = np.random.default_rng((seed, episode))
        yaw = float(start.uniform(-np.pi, np.pi)) if randomise else 0.0
        self.sim.reset(
            initial_pose,
            seed=int(start.integers(2**31)) if randomise else seed + episode,
            yaw=yaw,
            joint_noise=START_JOINT_NOISE if randomise else 0.0,
        )
        self.core.interrupt()
        return yaw

    def _advance(self, meter: LocomotionMeter) -> None:
        """Step the simulation one control period, measure it and film it."""
        self.sim.step(self.substeps)
        _measure(meter, self.sim)
        if self.writer is not None:
            self.writer.append_data(self.sim.render(self.camera, *self.video_size))

    def close(self) -> None:
        """Close the video, then the simulation."""
        if self.writer is not None:
            self.writer.close()
        self.sim.close()


def _measure(meter: LocomotionMeter, sim) -> None:
    """Record the simulation's state at the end of a control step."""
    contacts = sim.floor_contacts()
    meter.add(
        sim.body_state().position,
        sim.body_yaw(),
        float(sim.body_z_axis()[2]),
        bool(contacts.feet.any()),
        contacts.non_foot,
        contacts.foot_slip,
    )
