# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Train the Dreamer agent on a Gymnasium environment with Box observations and actions.

Single process: act, store steps in the replay, and make ``train_ratio / (batch *
length)`` updates per environment step once ``prefill`` random steps are collected.
Logs returns and losses to TensorBoard and ``scores.jsonl`` in the log directory.

    python -m dreamstride_agent.dreamer.gym_train --env Pendulum-v1 --config tiny \
        --steps 20000 --logdir runs/pendulum --set run.train_ratio=256
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
import json
from pathlib import Path
import time
from typing import Any, TextIO

import gymnasium as gym
import numpy as np
import torch

from .config import DreamerConfig, load_config
from .learner import DreamerLearner
from .replay import Replay


@dataclass
class TrainResult:
    """What a run produced: evaluations and the final agent."""

    evaluations: list[dict[str, float]] = field(default_factory=list)
    episodes: list[dict[str, float]] = field(default_factory=list)
    agent: DreamerLearner | None = None


class ActionScaler:
    """Map actions in [-1, 1] to a Box action space's bounds."""

    def __init__(self, space: gym.spaces.Box) -> None:
        low, high = np.asarray(space.low, np.float64), np.asarray(space.high, np.float64)
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ValueError('the action space must have finite bounds')
        self.low, self.high, self.dtype = low, high, space.dtype

    def __call__(self, action: np.ndarray) -> np.ndarray:
        """Return the environment action for a normalised one."""
        action = np.clip(action, -1.0, 1.0)
        return (self.low + (action + 1.0) * 0.5 * (self.high - self.low)).astype(self.dtype)


def _check_spaces(env: gym.Env) -> tuple[int, int]:
    obs_space, act_space = env.observation_space, env.action_space
    if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) != 1:
        raise ValueError(f'need a 1-D Box observation space, got {obs_space}')
    if not isinstance(act_space, gym.spaces.Box) or len(act_space.shape) != 1:
        raise ValueError(f'need a 1-D Box action space, got {act_space}')
    return int(obs_space.shape[0]), int(act_space.shape[0])


def evaluate(agent: DreamerLearner, env: gym.Env, episodes: int, seed: int) -> float:
    """Mean return of the policy's mode (no exploration noise) over whole episodes."""
    policy = agent.policy(seed=seed)
    scale = ActionScaler(env.action_space)
    returns = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        state, is_first, total, done = None, True, 0.0, False
        while not done:
            action, state = policy.step(obs, state, is_first, sample=False)
            obs, reward, terminated, truncated, _ = env.step(scale(action))
            total += float(reward)
            is_first, done = False, terminated or truncated
        returns.append(total)
    return float(np.mean(returns))


@dataclass
class _Episode:
    """The episode in progress: latest observation, policy state and running totals."""

    obs: np.ndarray
    state: Any = None
    is_first: bool = True
    reward: float = 0.0
    episode_return: float = 0.0
    episode_length: int = 0


@dataclass
class _Loop:
    """What the training loop's steps share: environments, agent, replay and logs."""

    config: DreamerConfig
    logdir: str | Path | None
    env: gym.Env
    eval_env: gym.Env
    act_dim: int
    scale: ActionScaler
    agent: DreamerLearner
    replay: Replay
    policy: Any
    rng: np.random.Generator
    writer: Any
    scores: TextIO | None
    result: TrainResult
    start: float
    updates_per_step: float
    owed: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)

    def log(self, tag: str, value: float, step: int) -> None:
        """Write a scalar to TensorBoard when there is a log directory."""
        if self.writer is not None:
            self.writer.add_scalar(tag, value, step)


def _open_logs(config: DreamerConfig, logdir: str | Path | None) -> tuple[Any, TextIO | None]:
    """Open the TensorBoard writer and ``scores.jsonl``, and write ``config.json``."""
    writer = None
    scores = None
    if logdir is not None:
        from torch.utils.tensorboard import SummaryWriter

        Path(logdir).mkdir(parents=True, exist_ok=True)
        writer = SummaryWriter(str(logdir))
        scores = (Path(logdir) / 'scores.jsonl').open('a')
        (Path(logdir) / 'config.json').write_text(json.dumps(config.to_dict(), indent=2))
    return writer, scores


def _start(
    env_fn: Callable[[], gym.Env], config: DreamerConfig, logdir: str | Path | None
) -> _Loop:
    """Seed, make the environments, agent, replay and logs (in that order)."""
    run = config.run
    if run.threads:
        torch.set_num_threads(run.threads)
    torch.manual_seed(run.seed)
    rng = np.random.default_rng(run.seed)
    env, eval_env = env_fn(), env_fn()
    obs_dim, act_dim = _check_spaces(env)
    scale = ActionScaler(env.action_space)
    agent = DreamerLearner(config, obs_dim, act_dim)
    B, T = config.train.batch, config.train.length
    replay = Replay(
        run.replay_capacity, obs_dim, act_dim, max_length=T, block_size=max(1024, 2 * T)
    )
    policy = agent.policy(seed=run.seed)
    writer, scores = _open_logs(config, logdir)
    result = TrainResult(agent=agent)
    start = time.perf_counter()
    updates_per_step = run.train_ratio / (B * T)
    return _Loop(
        config=config,
        logdir=logdir,
        env=env,
        eval_env=eval_env,
        act_dim=act_dim,
        scale=scale,
        agent=agent,
        replay=replay,
        policy=policy,
        rng=rng,
        writer=writer,
        scores=scores,
        result=result,
        start=start,
        updates_per_step=updates_per_step,
    )


def _act(loop: _Loop, episode: _Episode, env_step: int) -> _Episode:
    """Act (randomly during prefill), store the step and advance the environment."""
    run = loop.config.run
    if env_step <= run.prefill:
        action = loop.rng.uniform(-1.0, 1.0, loop.act_dim).astype(np.float32)
    else:
        action, episode.state = loop.policy.step(
            episode.obs, episode.state, episode.is_first or episode.state is None
        )
    loop.replay.add(
        {
            'obs': episode.obs,
            'action': action,
            'reward': episode.reward,
            'is_first': episode.is_first,
            'is_last': False,
            'is_terminal': False,
        }
    )
    episode.obs, reward, terminated, truncated, _ = loop.env.step(loop.scale(action))
    episode.reward = float(reward)
    episode.episode_return += episode.reward
    episode.episode_length += 1
    episode.is_first = False
    if terminated or truncated:
        return _end_episode(loop, episode, env_step, bool(terminated))
    return episode


def _end_episode(loop: _Loop, episode: _Episode, env_step: int, terminated: bool) -> _Episode:
    """Store the last step, record and log the episode, and reset the environment."""
    loop.replay.add(
        {
            'obs': episode.obs,
            'action': np.zeros(loop.act_dim, np.float32),
            'reward': episode.reward,
            'is_first': False,
            'is_last': True,
            'is_terminal': terminated,
        }
    )
    loop.result.episodes.append(
        {
            'env_step': env_step,
            'return': episode.episode_return,
            'length': episode.episode_length,
        }
    )
    loop.log('episode/return', episode.episode_return, env_step)
    loop.log('episode/length', episode.episode_length, env_step)
    obs, _ = loop.env.reset()
    return _Episode(obs)


def _update(loop: _Loop, env_step: int) -> None:
    """Make the updates owed so far, logging losses and checkpointing as configured."""
    run = loop.config.run
    B, T = loop.config.train.batch, loop.config.train.length
    agent = loop.agent
    loop.owed += loop.updates_per_step
    while loop.owed >= 1.0:
        loop.owed -= 1.0
        loop.metrics = agent.train_step(loop.replay.sample(B, T, loop.rng))
        if agent.step % run.log_every == 0:
            for key, value in loop.metrics.items():
                loop.log(f'train/{key}', value, env_step)
            loop.log('train/updates', agent.step, env_step)
        if (
            run.checkpoint_every
            and loop.logdir is not None
            and agent.step % run.checkpoint_every == 0
        ):
            agent.save_checkpoint(
                Path(loop.logdir) / 'checkpoint.safetensors', {'env_steps': env_step}
            )


def _evaluate(loop: _Loop, env_step: int, verbose: bool) -> dict[str, float]:
    """Evaluate the policy, record and log the score, and print progress if verbose."""
    run, agent = loop.config.run, loop.agent
    score = evaluate(agent, loop.eval_env, run.eval_episodes, run.seed + 10_000)
    wall = time.perf_counter() - loop.start
    recent = [e['return'] for e in loop.result.episodes[-5:]]
    entry = {
        'env_step': env_step,
        'eval_return': score,
        'updates': agent.step,
        'train_return': float(np.mean(recent)) if recent else float('nan'),
        'wall_s': round(wall, 1),
    }
    loop.result.evaluations.append(entry)
    loop.log('eval/return', score, env_step)
    if loop.scores is not None:
        loop.scores.write(json.dumps(entry) + '\n')
        loop.scores.flush()
    if verbose:
        losses = ' '.join(
            f'{k}={loop.metrics[k]:.3g}'
            for k in ('world_model_loss', 'actor_loss', 'critic_loss')
            if k in loop.metrics
        )
        print(
            f'[gym_train] step {env_step} eval {score:.1f} train '
            f'{entry["train_return"]:.1f} updates {agent.step} '
            f'({agent.step / max(wall, 1e-9):.2f}/s) {losses} {wall:.0f}s',
            flush=True,
        )
    return entry


def _close(loop: _Loop) -> None:
    """Close the logs and both environments."""
    if loop.writer is not None:
        loop.writer.close()
    if loop.scores is not None:
        loop.scores.close()
    loop.env.close()
    loop.eval_env.close()


def train(
    env_fn: Callable[[], gym.Env],
    config: DreamerConfig,
    steps: int,
    logdir: str | Path | None = None,
    verbose: bool = True,
    stop: Callable[[dict[str, float]], bool] | None = None,
) -> TrainResult:
    """Run the training loop for ``steps`` environment steps (or until ``stop(eval)``)."""
    run = config.run
    loop = _start(env_fn, config, logdir)
    obs, _ = loop.env.reset(seed=run.seed)
    episode = _Episode(obs)
    for env_step in range(1, steps + 1):
        episode = _act(loop, episode, env_step)
        if env_step >= run.prefill and loop.replay.num_windows(config.train.length) > 0:
            _update(loop, env_step)
        if run.eval_every and (env_step % run.eval_every == 0 or env_step == steps):
            entry = _evaluate(loop, env_step, verbose)
            if stop is not None and stop(entry):
                break
    if logdir is not None:
        loop.agent.save_checkpoint(
            Path(logdir) / 'checkpoint.safetensors', {'env_steps': env_step}
        )
    _close(loop)
    return loop.result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--env', required=True, help='Gymnasium id, e.g. Pendulum-v1')
    parser.add_argument(
        '--config', default='tiny', help='named size: daydreamer, small, cpu, tiny'
    )
    parser.add_argument('--yaml', default=None, help='YAML file of config overrides')
    parser.add_argument(
        '--set',
        action='append',
        default=[],
        metavar='KEY=VALUE',
        help='override, e.g. --set model.deter=128 (repeatable)',
    )
    parser.add_argument('--steps', type=int, default=20_000, help='environment steps')
    parser.add_argument('--logdir', default=None, help='TensorBoard and scores directory')
    parser.add_argument('--quiet', action='store_true')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Entry point."""
    args = parse_args(argv)
    config = load_config(args.config, args.set, args.yaml)
    result = train(
        lambda: gym.make(args.env), config, args.steps, args.logdir, verbose=not args.quiet
    )
    return {'evaluations': result.evaluations}


if __name__ == '__main__':
    main()
