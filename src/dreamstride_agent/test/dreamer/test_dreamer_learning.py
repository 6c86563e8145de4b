# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Learning, quickly: the world-model loss falls on fixed data, the actor beats random."""

from dreamstride_agent.dreamer.config import load_config
from dreamstride_agent.dreamer.gym_train import evaluate, train
from dreamstride_agent.dreamer.learner import DreamerLearner
import gymnasium as gym
import numpy as np
import pytest
import torch

pytestmark = pytest.mark.usefixtures('one_thread')  # conftest.py


class DriveRight(gym.Env):
    """A point on [-1, 1] moved by the action; the reward is its position.

    Random actions average about 0.7 per 10-step episode; driving right at full speed
    earns about 8. The model only has to learn which way the action pushes.
    """

    def __init__(self, length: int = 10) -> None:
        self.observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.length = length

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.x, self.t = float(self.np_random.uniform(-0.5, 0.5)), 0
        return np.array([self.x], np.float32), {}

    def step(self, action):
        self.x = float(np.clip(self.x + 0.2 * float(np.clip(action[0], -1, 1)), -1, 1))
        self.t += 1
        return np.array([self.x], np.float32), self.x, False, self.t >= self.length, {}


def random_return(episodes: int) -> float:
    env, rng, returns = DriveRight(), np.random.default_rng(0), []
    for episode in range(episodes):
        env.reset(seed=episode)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(rng.uniform(-1, 1, 1))
            total, done = total + reward, terminated or truncated
        returns.append(total)
    return float(np.mean(returns))


def fixed_dataset(sequences: int, length: int) -> dict:
    """Random-action trajectories of a damped oscillator with a position reward."""
    rng = np.random.default_rng(0)
    obs = np.zeros((sequences, length, 3), np.float32)
    action = rng.uniform(-1, 1, (sequences, length, 1)).astype(np.float32)
    reward = np.zeros((sequences, length), np.float32)
    for b in range(sequences):
        pos, vel = rng.uniform(-1, 1, 2)
        for t in range(length):
            obs[b, t] = [pos, vel, np.sin(3 * pos)]
            reward[b, t] = -abs(pos)
            vel = 0.9 * vel - 0.2 * pos + 0.3 * action[b, t, 0]
            pos = pos + 0.2 * vel
    is_first = np.zeros((sequences, length), bool)
    is_first[:, 0] = True
    return {
        'obs': obs,
        'action': action,
        'reward': reward,
        'is_first': is_first,
        'is_last': np.zeros_like(is_first),
        'is_terminal': np.zeros_like(is_first),
    }


@pytest.mark.slow
def test_world_model_loss_falls_on_a_fixed_dataset():
    torch.manual_seed(0)
    config = load_config('tiny', ['train.batch=8', 'train.length=16'])
    agent = DreamerLearner(config, 3, 1, device='cpu')
    data = fixed_dataset(32, 16)
    rng = np.random.default_rng(1)
    losses = []
    for _ in range(80):
        index = rng.choice(32, 8, replace=False)
        metrics = agent.train_step({k: v[index] for k, v in data.items()})
        losses.append(metrics)
    first = np.mean([m['world_model_loss'] for m in losses[:5]])
    last = np.mean([m['world_model_loss'] for m in losses[-10:]])
    assert last < 0.4 * first, (first, last)
    for key in ('decoder_loss', 'reward_loss'):
        assert np.mean([m[key] for m in losses[-10:]]) < 0.5 * losses[0][key], key


@pytest.mark.slow
def test_actor_return_improves_over_random():
    config = load_config(
        'tiny',
        [
            'run.prefill=200',
            'run.train_ratio=128',
            'run.eval_every=0',
            'run.seed=0',
            'run.device=cpu',
            'train.horizon=10',
        ],
    )
    result = train(DriveRight, config, steps=400, logdir=None, verbose=False)
    assert result.agent.step == 201  # one update per step from the end of the prefill
    learned = evaluate(result.agent, DriveRight(), episodes=20, seed=123)
    random = random_return(100)
    assert learned > random + 4.0, (learned, random)
