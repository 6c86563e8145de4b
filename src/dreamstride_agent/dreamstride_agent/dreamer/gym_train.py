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
from typing import Any

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
    writer = None
    scores = None
    if logdir is not None:
        from torch.utils.tensorboard import SummaryWriter

        Path(logdir).mkdir(parents=True, exist_ok=True)
        writer = SummaryWriter(str(logdir))
        scores = (Path(logdir) / 'scores.jsonl').open('a')
        (Path(logdir) / 'config.json').write_text(json.dumps(config.to_dict(), indent=2))
    result = TrainResult(agent=agent)
    start = time.perf_counter()
    updates_per_step = run.train_ratio / (B * T)
    owed = 0.0
    metrics: dict[str, float] = {}

    def log(tag: str, value: float, step: int) -> None:
        if writer is not None:
            writer.add_scalar(tag, value, step)

    obs, _ = env.reset(seed=run.seed)
    state, is_first, reward, episode_return, episode_length = None, True, 0.0, 0.0, 0
    for env_step in range(1, steps + 1):
        if env_step <= run.prefill:
            action = rng.uniform(-1.0, 1.0, act_dim).astype(np.float32)
        else:
            action, state = policy.step(obs, state, is_first or state is None)
        replay.add(
            {
                'obs': obs,
                'action': action,
                'reward': reward,
                'is_first': is_first,
                'is_last': False,
                'is_terminal': False,
            }
        )
        obs, reward, terminated, truncated, _ = env.step(scale(action))
        reward = float(reward)
        episode_return += reward
        episode_length += 1
        is_first = False
        if terminated or truncated:
            replay.add(
                {
                    'obs': obs,
                    'action': np.zeros(act_dim, np.float32),
                    'reward': reward,
                    'is_first': False,
                    'is_last': True,
                    'is_terminal': bool(terminated),
                }
            )
            result.episodes.append(
                {'env_step': env_step, 'return': episode_return, 'length': episode_length}
            )
            log('episode/return', episode_return, env_step)
            log('episode/length', episode_length, env_step)
            obs, _ = env.reset()
            state, is_first, reward, episode_return, episode_length = None, True, 0.0, 0.0, 0

        if env_step >= run.prefill and replay.num_windows(T) > 0:
            owed += updates_per_step
            while owed >= 1.0:
                owed -= 1.0
                metrics = agent.train_step(replay.sample(B, T, rng))
                if agent.step % run.log_every == 0:
                    for key, value in metrics.items():
                        log(f'train/{key}', value, env_step)
                    log('train/updates', agent.step, env_step)
                if (
                    run.checkpoint_every
                    and logdir is not None
                    and agent.step % run.checkpoint_every == 0
                ):
                    agent.save_checkpoint(
                        Path(logdir) / 'checkpoint.safetensors', {'env_steps': env_step}
                    )

        if run.eval_every and (env_step % run.eval_every == 0 or env_step == steps):
            score = evaluate(agent, eval_env, run.eval_episodes, run.seed + 10_000)
            wall = time.perf_counter() - start
            recent = [e['return'] for e in result.episodes[-5:]]
            entry = {
                'env_step': env_step,
                'eval_return': score,
                'updates': agent.step,
                'train_return': float(np.mean(recent)) if recent else float('nan'),
                'wall_s': round(wall, 1),
            }
            result.evaluations.append(entry)
            log('eval/return', score, env_step)
            if scores is not None:
                scores.write(json.dumps(entry) + '\n')
                scores.flush()
            if verbose:
                losses = ' '.join(
                    f'{k}={metrics[k]:.3g}'
                    for k in ('world_model_loss', 'actor_loss', 'critic_loss')
                    if k in metrics
                )
                print(
                    f'[gym_train] step {env_step} eval {score:.1f} train '
                    f'{entry["train_return"]:.1f} updates {agent.step} '
                    f'({agent.step / max(wall, 1e-9):.2f}/s) {losses} {wall:.0f}s',
                    flush=True,
                )
            if stop is not None and stop(entry):
                break
    if logdir is not None:
        agent.save_checkpoint(Path(logdir) / 'checkpoint.safetensors', {'env_steps': env_step})
    if writer is not None:
        writer.close()
    if scores is not None:
        scores.close()
    env.close()
    eval_env.close()
    return result


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
