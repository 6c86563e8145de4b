# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""DreamerLearner: shapes, gradients of every loss, checkpoints, devices, open-loop figure."""

from dreamstride_agent.dreamer.config import load_config
from dreamstride_agent.dreamer.device import resolve_device
from dreamstride_agent.dreamer.learner import DreamerLearner
import numpy as np
import pytest
import torch

OBS, ACT = 5, 2


pytestmark = pytest.mark.usefixtures('one_thread')  # conftest.py


def random_batch(batch_size: int, length: int, image: tuple | None = None, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    B, T = batch_size, length
    batch = {
        'obs': rng.normal(size=(B, T, OBS)).astype(np.float32),
        'action': rng.uniform(-1, 1, (B, T, ACT)).astype(np.float32),
        'reward': rng.normal(size=(B, T)).astype(np.float32),
        'is_first': np.zeros((B, T), bool),
        'is_last': np.zeros((B, T), bool),
        'is_terminal': rng.uniform(size=(B, T)) < 0.05,
    }
    batch['is_first'][:, 0] = True
    batch['is_first'][0, T // 2] = True
    if image:
        batch['image'] = rng.integers(0, 255, (B, T, *image), dtype=np.uint8)
    return batch


def tiny(*overrides: str):
    return load_config('tiny', ['train.batch=3', 'train.length=6', 'run.device=cpu', *overrides])


def nonzero_grad(module: torch.nn.Module) -> dict[str, bool]:
    return {
        name: p.grad is not None and bool(p.grad.abs().sum() > 0)
        for name, p in module.named_parameters()
    }


def test_train_step_returns_finite_metrics_and_updates_everything():
    torch.manual_seed(0)
    agent = DreamerLearner(tiny(), OBS, ACT, image_shape=(64, 64, 3))
    before = {k: v.clone() for k, v in agent.wm.state_dict().items()}
    before.update({f'ac.{k}': v.clone() for k, v in agent.ac.state_dict().items()})
    for step in range(2):
        metrics = agent.train_step(random_batch(3, 6, (64, 64, 3), seed=step))
    assert agent.step == 2
    for key in (
        'world_model_loss',
        'kl_loss',
        'actor_loss',
        'critic_loss',
        'reward_loss',
        'decoder_loss',
        'cont_loss',
        'actor_entropy',
        'return_scale',
    ):
        assert np.isfinite(metrics[key]), key
    after = dict(agent.wm.state_dict())
    after.update({f'ac.{k}': v for k, v in agent.ac.state_dict().items()})
    unchanged = [k for k in after if torch.equal(after[k], before[k])]
    assert unchanged == [], f'never updated: {unchanged}'
    # Gradients reach every parameter of world model, actor and critic.
    for module in (agent.wm, agent.ac.actor, agent.ac.critic):
        missing = [k for k, ok in nonzero_grad(module).items() if not ok]
        assert missing == [], f'no gradient: {missing}'


@pytest.mark.parametrize(
    'term, reached, not_reached',
    [
        (
            'decoder',
            [
                'decoder.',
                'image_decoder.',
                'rssm.obs_logits',
                'encoder.mlp',
                'encoder.cnn',
                'rssm.gru',
            ],
            ['reward.', 'cont.', 'rssm.prior'],
        ),
        # The zero-initialised output layer passes no gradient further on the first step.
        ('reward', ['reward.out'], ['reward.mlp', 'decoder.', 'cont.', 'rssm.']),
        ('cont', ['cont.', 'rssm.obs_logits', 'encoder.mlp'], ['decoder.', 'reward.']),
        # The prior of step t also trains the posterior samples of earlier steps that its
        # deterministic state was computed from (straight-through), not the step-t posterior.
        ('dyn', ['rssm.prior', 'rssm.gru', 'rssm.obs_logits'], ['decoder.', 'reward.', 'cont.']),
        ('rep', ['rssm.obs_logits', 'encoder.mlp', 'encoder.cnn'], ['rssm.prior', 'decoder.']),
    ],
)
def test_each_world_model_loss_term_trains_its_modules(term, reached, not_reached):
    torch.manual_seed(1)
    scales = {name: 0.0 for name in ('decoder', 'reward', 'cont', 'dyn', 'rep')}
    scales[term] = 1.0
    config = tiny('loss.free_nats=0.0', *(f'loss.{k}={v}' for k, v in scales.items()))
    agent = DreamerLearner(config, OBS, ACT, image_shape=(64, 64, 3))
    data = agent._to_tensors(random_batch(3, 6, (64, 64, 3)))
    loss, _, states = agent.wm.loss(data)
    assert states['deter'].shape == (3, 6, config.model.deter)
    assert states['stoch'].shape == (3, 6, config.model.stoch * config.model.classes)
    assert (
        states['post'].shape
        == states['prior'].shape
        == (3, 6, config.model.stoch, config.model.classes)
    )
    loss.backward()
    grads = nonzero_grad(agent.wm)
    for prefix in reached:
        assert any(ok for k, ok in grads.items() if k.startswith(prefix)), prefix
    for prefix in not_reached:
        assert not any(ok for k, ok in grads.items() if k.startswith(prefix)), prefix


@pytest.mark.parametrize('actor_grad', ['reinforce', 'dynamics'])
def test_actor_and_critic_losses_train_only_actor_and_critic(actor_grad):
    torch.manual_seed(2)
    agent = DreamerLearner(tiny(f'train.actor_grad={actor_grad}'), OBS, ACT)
    agent.train_step(random_batch(3, 6))  # makes the zero-initialised heads non-zero
    data = agent._to_tensors(random_batch(3, 6, seed=1))
    _, _, states = agent.wm.loss(data)
    agent.wm.zero_grad(set_to_none=True)
    deter, stoch = states['deter'].detach().flatten(0, 1), states['stoch'].detach().flatten(0, 1)
    loss, metrics = agent.ac.loss(agent.wm, deter, stoch, torch.ones(deter.shape[0]))
    loss.backward()
    assert all(nonzero_grad(agent.ac.actor).values())
    assert all(nonzero_grad(agent.ac.critic).values())
    assert all(p.grad is None for p in agent.wm.parameters())
    assert all(p.grad is None for p in agent.ac.slow_critic.parameters())
    assert all(p.requires_grad for p in agent.wm.parameters())
    assert np.isfinite(float(metrics['imag_return']))


def test_imag_starts_subset_and_bfloat16_autocast_run():
    torch.manual_seed(3)
    agent = DreamerLearner(tiny('train.imag_starts=5', 'train.precision=bfloat16'), OBS, ACT)
    assert agent.dtype == torch.bfloat16
    metrics = agent.train_step(random_batch(3, 6))
    assert all(np.isfinite(v) for v in metrics.values())


def test_checkpoint_round_trip_is_bit_identical(tmp_path):
    torch.manual_seed(4)
    config = tiny()
    agent = DreamerLearner(config, OBS, ACT)
    for step in range(3):
        agent.train_step(random_batch(3, 6, seed=step))
    path = tmp_path / 'ckpt' / 'agent.safetensors'
    agent.save_checkpoint(path, extra={'env_steps': 1234})
    assert sorted(p.name for p in path.parent.iterdir()) == ['agent.safetensors']
    assert path.read_bytes()[:1] != b'\x80'  # not a pickle

    torch.manual_seed(99)
    clone = DreamerLearner(config, OBS, ACT)
    assert clone.load_checkpoint(path) == {'env_steps': 1234}
    assert clone.step == 3
    for a, b in zip(agent.wm.state_dict().values(), clone.wm.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    policy_a, policy_b = agent.policy(seed=5), clone.policy(seed=5)
    state_a = state_b = None
    obs = np.random.default_rng(0).normal(size=(10, OBS)).astype(np.float32)
    for t in range(10):
        action_a, state_a = policy_a.step(obs[t], state_a, t == 0)
        action_b, state_b = policy_b.step(obs[t], state_b, t == 0)
        assert np.array_equal(action_a, action_b)
    # Training continues identically: same optimiser moments, counters and RNG state.
    agent.load_checkpoint(path)
    metrics_a = agent.train_step(random_batch(3, 6, seed=7))
    clone.load_checkpoint(path)
    metrics_b = clone.train_step(random_batch(3, 6, seed=7))
    assert metrics_a == metrics_b
    for a, b in zip(agent.ac.state_dict().values(), clone.ac.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    rebuilt = DreamerLearner.from_checkpoint(path, device='cpu')
    assert rebuilt.step == 3 and rebuilt.config == config


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    agent = DreamerLearner(tiny(), OBS, ACT)
    agent.save_checkpoint(tmp_path / 'a.safetensors')
    other = DreamerLearner(tiny('model.deter=32'), OBS, ACT)
    with pytest.raises(ValueError, match='does not match'):
        other.load_checkpoint(tmp_path / 'a.safetensors')


def test_cuda_request_without_cuda_is_an_error():
    if torch.cuda.is_available():
        pytest.skip('this machine has CUDA')
    with pytest.raises(RuntimeError, match='CUDA is not available'):
        resolve_device('cuda')
    with pytest.raises(RuntimeError, match='CUDA is not available'):
        DreamerLearner(tiny('run.device=cuda'), OBS, ACT)
    assert resolve_device('auto') == torch.device('cpu')


def test_batch_shapes_are_checked():
    agent = DreamerLearner(tiny(), OBS, ACT)
    batch = random_batch(3, 6)
    batch['action'] = batch['action'][..., :1]
    with pytest.raises(ValueError, match='action'):
        agent.train_step(batch)


def test_open_loop_prediction_is_an_rgb_image():
    agent = DreamerLearner(tiny(), OBS, ACT, image_shape=(64, 64, 3))
    figure = agent.open_loop_prediction(random_batch(3, 6, (64, 64, 3)), context=2)
    assert figure.dtype == np.uint8 and figure.ndim == 3 and figure.shape[2] == 3
    assert figure.shape[0] > 64 and figure.shape[1] >= 6


def test_profile_names_every_phase_of_an_update_and_counts_its_products():
    # benchmarks/ sits two folders up; the profile reads the phases train_step names.
    from pathlib import Path
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.profile import PHASES, profile_update

    result = profile_update('tiny', ['train.actor_grad=reinforce'], updates=1)
    assert list(result['phases_s']) == list(PHASES)
    assert all(seconds > 0 for seconds in result['phases_s'].values())
    # A tiny update multiplies a few hundred million floats: the count must be the
    # profiler's, not zero (no flop counting) and not absurd.
    assert 0.1 < result['matmul_gflop'] < 10
    assert 0 < result['matmul_s'] <= result['profiled_cpu_s'] * 2
