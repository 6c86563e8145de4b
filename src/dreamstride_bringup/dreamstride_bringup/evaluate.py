"""Evaluate a policy on the MuJoCo Spot, in-process, and film it.

The agent's own tick logic (AgentCore: observation, gated reward, command path) drives
SpotSimulation directly, with the simulation stepped for exactly one control period
per tick, so an evaluation is deterministic for a seed and much faster than real time.
Without a checkpoint the agent acts uniformly at random (the baseline).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
import os
from pathlib import Path

import numpy as np

os.environ.setdefault('MUJOCO_GL', 'egl')

STOOD_KNEE_TERM = 0.7        # the standing-pose terms all unlocked (reward gate passed)
WALK_SPEED = 0.3             # m/s forward for a whole episode counts as walking


@dataclass
class EpisodeResult:
    """What one evaluation episode achieved."""

    episode_return: float
    mean_reward: float
    mean_forward_velocity: float      # m/s, body x
    distance: float                   # m travelled along the world x axis
    stood_fraction: float             # fraction of steps with every standing term unlocked
    upright_fraction: float           # fraction of steps with the body z axis up (> 0.9)
    walked: bool                      # stood and moved forward at >= 0.3 m/s on average


@dataclass
class EvaluationResult:
    """Results of all episodes and their means."""

    episodes: list[EpisodeResult]
    policy: str
    policy_step: int

    def summary(self) -> dict:
        """Return means over the episodes plus the per-episode list."""
        eps = self.episodes
        return {
            'policy': self.policy, 'policy_step': self.policy_step, 'episodes': len(eps),
            'mean_return': float(np.mean([e.episode_return for e in eps])),
            'mean_reward_per_step': float(np.mean([e.mean_reward for e in eps])),
            'mean_forward_velocity': float(np.mean([e.mean_forward_velocity for e in eps])),
            'stood_fraction': float(np.mean([e.stood_fraction for e in eps])),
            'walked_episodes': int(sum(e.walked for e in eps)),
            'per_episode': [asdict(e) for e in eps],
        }


def load_policy(checkpoint: Path | str | None, seed: int):
    """Return (PolicySlot with the file's policy active, its update step).

    ``checkpoint`` is a learner checkpoint or an exported policy (what the learner pushes
    to agents, e.g. an experiment's final_policy.safetensors); None: random actions.
    """
    from dreamstride_agent.dreamer.policy import POLICY_FORMAT
    from dreamstride_agent.observation import ObservationSpec
    from dreamstride_agent.policy_slot import PolicySlot
    from safetensors import safe_open
    from spot_description.spot import NUM_JOINTS

    slot = PolicySlot(ObservationSpec().size, NUM_JOINTS, max_bytes=1 << 30)
    if checkpoint is None:
        return slot, 0
    with safe_open(str(checkpoint), 'pt') as f:
        metadata = f.metadata() or {}
    if metadata.get('format') == POLICY_FORMAT:
        import hashlib
        data = Path(checkpoint).read_bytes()
        version = int(metadata['version'])
        accepted, message = slot.offer('safetensors', version, hashlib.sha256(data).hexdigest(),
                                       data)
        step = version
    else:
        from dreamstride_agent.dreamer.agent import DreamerAgent
        learner = DreamerAgent.from_checkpoint(checkpoint, device='cpu')
        version = step = max(learner.step, 1)
        data, sha256 = learner.export_policy(version)
        accepted, message = slot.offer('safetensors', version, sha256, data)
    if not accepted:
        raise ValueError(f'{checkpoint}: {message}')
    slot.swap()
    return slot, step


def sensor_snapshot(sim):
    """Read the simulation's sensors as the agent node does, checks included."""
    from dreamstride_agent.agent_core import Sensor, SensorBoard
    from dreamstride_agent.observation import imu_reading, joint_reading, odometry_reading
    from spot_description.spot import JOINT_NAMES

    board, now = SensorBoard(), sim.time
    joints, imu, body = sim.joints(), sim.imu(), sim.body_state()
    w, x, y, z = imu.orientation
    bw, bx, by, bz = body.orientation
    board.update(Sensor.JOINT_STATES, lambda: joint_reading(
        list(JOINT_NAMES), joints.position, joints.velocity, now))
    board.update(Sensor.IMU, lambda: imu_reading((x, y, z, w), imu.angular_velocity, now))
    board.update(Sensor.ODOMETRY, lambda: odometry_reading(
        body.linear_velocity, (bx, by, bz, bw), now, 'body'))
    return board.snapshot()


def evaluate(checkpoint: Path | str | None = None, episodes: int = 3,
             episode_length: int = 250, initial_pose: str = 'standing', seed: int = 0,
             video: Path | str | None = None, video_size: tuple[int, int] = (320, 240),
             agent_config=None, control_rate: float = 20.0) -> EvaluationResult:
    """Run ``episodes`` episodes from ``initial_pose``; film them into ``video`` if given."""
    from dreamstride_agent.agent_core import AgentConfig, AgentCore, Hold
    from dreamstride_agent.commands import CommandConfig
    from spot_description import mjcf
    from spot_mujoco.simulation import SpotSimulation
    import torch
    torch.set_num_threads(1)
    slot, step = load_policy(checkpoint, seed)
    config = agent_config or AgentConfig(command=CommandConfig(control_rate=control_rate))
    config.episode_length = episode_length
    config.sample_actions = False
    rng = np.random.default_rng(seed)
    core = AgentCore(config, slot, rng)
    sim = SpotSimulation(seed=seed, pose=initial_pose)
    substeps = max(1, round(1.0 / (config.command.control_rate * sim.timestep)))
    writer = None
    if video is not None:
        import imageio.v2 as imageio
        Path(video).parent.mkdir(parents=True, exist_ok=True)
        writer = imageio.get_writer(str(video), fps=config.command.control_rate,
                                    **({'macro_block_size': 8} if str(video).endswith('.mp4')
                                       else {}))
    results = []
    try:
        for episode in range(episodes):
            sim.reset(initial_pose, seed=seed + episode)
            core.interrupt()
            rewards, speeds, stood, upright = [], [], [], []
            start_x = sim.body_state().position[0]
            for _ in range(episode_length):
                result = core.decide(sim.time, sensor_snapshot(sim))
                if isinstance(result, Hold):
                    # The simulation produced a reading the agent refuses: it would hold on
                    # the robot too; the episode is cut and the simulation goes on.
                    if result.command is not None:
                        sim.set_position_targets(result.command)
                    sim.step(substeps)
                    continue
                sim.set_position_targets(result.command)
                sim.step(substeps)
                if writer is not None:
                    writer.append_data(sim.render(mjcf.TRACK_CAMERA, *video_size))
                if result.reward_terms is not None:
                    rewards.append(result.reward)
                    speeds.append(result.forward_velocity)
                    stood.append(result.reward_terms.knee > STOOD_KNEE_TERM)
                    upright.append(result.reward_terms.upright > 0.95)
            distance = float(sim.body_state().position[0] - start_x)
            mean_speed = float(np.mean(speeds))
            stood_fraction = float(np.mean(stood))
            results.append(EpisodeResult(
                episode_return=float(np.sum(rewards)), mean_reward=float(np.mean(rewards)),
                mean_forward_velocity=mean_speed, distance=distance,
                stood_fraction=stood_fraction, upright_fraction=float(np.mean(upright)),
                walked=stood_fraction > 0.9 and mean_speed >= WALK_SPEED))
    finally:
        if writer is not None:
            writer.close()
        sim.close()
    return EvaluationResult(results, str(checkpoint) if checkpoint else 'random', step)
