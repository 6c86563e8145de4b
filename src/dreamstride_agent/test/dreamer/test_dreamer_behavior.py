# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Actor-critic details that DreamerV3 (and DayDreamer) fix and a quick test would miss."""

from dreamstride_agent.dreamer.behavior import Actor, ActorCritic, lambda_returns
from dreamstride_agent.dreamer.config import ROBOT_INIT_STD, load_config, std_offset
from dreamstride_agent.dreamer.world_model import WorldModel
import pytest
import torch

OBS_DIM, ACT_DIM = 5, 12


def random_states(wm: WorldModel, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Start states with the spread of real posteriors: deter in (-1, 1), one-hot stoch."""
    gen = torch.Generator().manual_seed(seed)
    rssm = wm.rssm
    deter = torch.tanh(torch.randn(n, rssm.deter, generator=gen))
    classes = torch.randint(0, rssm.classes, (n, rssm.stoch_dim // rssm.classes), generator=gen)
    stoch = torch.nn.functional.one_hot(classes, rssm.classes).float().flatten(1)
    return deter, stoch


@pytest.mark.parametrize('size', ['daydreamer', 'cpu'])
def test_untrained_robot_actor_stays_near_the_standing_pose(size):
    torch.manual_seed(0)
    config = load_config(size)
    wm = WorldModel(config, OBS_DIM, ACT_DIM, None)
    actor = Actor(config, wm.rssm.feat_dim, ACT_DIM)
    deter, stoch = random_states(wm, 256)
    with torch.no_grad():
        mean, std = actor(torch.cat([deter, stoch], -1))
    # Zero actions are the standing targets; an untrained policy must not push away.
    assert float(mean.abs().max()) < 0.05
    assert float(std.max()) < ROBOT_INIT_STD + 0.01
    assert float(std.min()) >= config.model.action_min_std


def test_default_std_offset_is_dreamerv3s():
    config = load_config('tiny')
    actor = Actor(config, 10, ACT_DIM)
    torch.nn.init.zeros_(actor.head.out.weight)
    _, std = actor(torch.randn(4, 10))
    # (1.0 - 0.1) * sigmoid(2.0) + 0.1, DreamerV3's std at zero logits.
    torch.testing.assert_close(std, torch.full_like(std, 0.8927), atol=1e-4, rtol=0)


def test_std_offset_gives_the_requested_std_at_zero_logits():
    offset = std_offset(0.15, 0.1, 1.0)
    assert 0.9 * torch.sigmoid(torch.tensor(offset)).item() + 0.1 == pytest.approx(0.15)
    with pytest.raises(ValueError, match='init_std'):
        std_offset(0.05, 0.1, 1.0)


def constant_critic(ac: ActorCritic, bin_index: int) -> float:
    """Make the (zero-initialised) critic predict one bin's value everywhere."""
    with torch.no_grad():
        ac.critic.out.weight.zero_()
        ac.critic.out.bias.zero_()
        ac.critic.out.bias[bin_index] = 50.0
    return float(ac.twohot.bins[bin_index])


@pytest.mark.parametrize('actor_grad', ['dynamics', 'reinforce'])
def test_returns_bootstrap_from_the_critic_not_the_slow_critic(actor_grad):
    torch.manual_seed(0)
    config = load_config('tiny', [f'train.actor_grad={actor_grad}'])
    wm = WorldModel(config, OBS_DIM, ACT_DIM, None)
    ac = ActorCritic(config, wm.rssm.feat_dim, ACT_DIM)
    # The slow critic stays at its zero initialisation (value 0); the critic says about 3.8.
    value = constant_critic(ac, len(ac.twohot.bins) // 2 + 10)
    assert 1.0 < value < 10.0
    deter, stoch = random_states(wm, 32)
    loss, metrics = ac.loss(wm, deter, stoch, torch.ones(32))
    assert float(metrics['imag_value']) == pytest.approx(value, rel=1e-3)
    assert float(metrics['imag_slow_value']) == pytest.approx(0.0, abs=1e-6)


def critic_grad(retnorm_limit: float) -> torch.Tensor:
    """Gradient on the critic's output bias of one dynamics-backprop actor-critic loss."""
    torch.manual_seed(0)
    config = load_config(
        'tiny', ['train.actor_grad=dynamics', f'train.retnorm_limit={retnorm_limit}']
    )
    wm = WorldModel(config, OBS_DIM, ACT_DIM, None)
    ac = ActorCritic(config, wm.rssm.feat_dim, ACT_DIM)
    # An unsaturated critic, whose outputs respond to its parameters.
    torch.nn.init.normal_(ac.critic.out.weight, std=1e-3)
    deter, stoch = random_states(wm, 32)
    loss, _ = ac.loss(wm, deter, stoch, torch.ones(32))
    loss.backward()
    return ac.critic.out.bias.grad


def test_actor_loss_does_not_train_the_critic():
    # The return scale changes only the actor's objective, so the critic's gradient
    # must not depend on it, although the returns (and so the actor) read the critic.
    small, large = critic_grad(1.0), critic_grad(1000.0)
    assert float(small.abs().max()) > 0.0
    torch.testing.assert_close(small, large)


def test_imagined_actions_do_not_backpropagate_into_the_states_they_read():
    torch.manual_seed(0)
    config = load_config('tiny', ['train.horizon=3'])
    wm = WorldModel(config, OBS_DIM, ACT_DIM, None)
    ac = ActorCritic(config, wm.rssm.feat_dim, ACT_DIM)
    deter, stoch = random_states(wm, 8)
    deter.requires_grad_(True)
    traj = ac.imagine(wm, deter, stoch)
    # The states themselves still depend on the start (the dynamics path) ...
    assert torch.autograd.grad(traj['feat'][1].sum(), deter, retain_graph=True)[0] is not None
    # ... but the actor's outputs reach it through no path.
    for key in ('mean', 'std'):
        grads = torch.autograd.grad(traj[key].sum(), deter, retain_graph=True, allow_unused=True)
        assert grads[0] is None, key


def reinforce_reference_loss(ac: ActorCritic, wm: WorldModel, deter, stoch, start_cont):
    """The REINFORCE actor-critic loss written out plainly: every head runs on its own.

    The learner reuses the imagination's actor outputs and one critic pass for both the
    returns and the critic loss; this is the form it must equal.
    """
    t = ac.config.train
    with torch.no_grad():
        traj = ac.imagine(wm, deter, stoch)
        feat = traj['feat']
        reward = ac.twohot.mean(wm.reward(feat))[1:]
        cont = torch.sigmoid(wm.cont(feat).squeeze(-1))[1:]
        value = ac.twohot.mean(ac.critic(feat))
    returns = lambda_returns(reward, cont, value, t.discount, t.lam)
    conts = torch.cat([start_cont[None], cont], 0)
    weight = torch.cumprod(t.discount * conts, 0)[:-1] / t.discount
    offset, scale = ac._update_return_scale(returns)
    mean, std = ac.actor(feat[:-1])
    advantage = (returns - value[:-1]) / scale
    objective = ac.actor.log_prob(mean, std, traj['sample']) * advantage
    actor_loss = -(weight * (objective + t.entropy * ac.actor.entropy(std))).mean()
    critic_logits = ac.critic(feat[:-1])
    with torch.no_grad():
        slow_value = ac.twohot.mean(ac.slow_critic(feat[:-1]))
    critic_loss = ac.twohot.loss(critic_logits, returns)
    critic_loss = critic_loss + t.slow_reg * ac.twohot.loss(critic_logits, slow_value)
    return actor_loss + (weight * critic_loss).mean()


def test_reinforce_loss_equals_its_plain_form():
    torch.manual_seed(0)
    config = load_config('tiny', ['train.actor_grad=reinforce', 'train.horizon=4'])
    wm = WorldModel(config, OBS_DIM, ACT_DIM, None)
    ac = ActorCritic(config, wm.rssm.feat_dim, ACT_DIM)
    # Non-zero critic and reward outputs, so that every term of the loss is exercised.
    for head in (ac.critic, wm.reward):
        torch.nn.init.normal_(head.out.weight, std=0.1)
    ac.slow_critic.load_state_dict(ac.critic.state_dict())
    deter, stoch = random_states(wm, 32)
    start_cont = torch.ones(32)
    start_cont[:3] = 0.0
    grads = []
    for loss_fn in (
        lambda ac: ac.loss(wm, deter, stoch, start_cont)[0],
        lambda ac: reinforce_reference_loss(ac, wm, deter, stoch, start_cont),
    ):
        copy = ActorCritic(config, wm.rssm.feat_dim, ACT_DIM)
        copy.load_state_dict(ac.state_dict())
        torch.manual_seed(1)  # the same imagined actions and latents in both
        loss = loss_fn(copy)
        params = [*copy.actor.parameters(), *copy.critic.parameters()]
        grads.append((loss.detach(), torch.autograd.grad(loss, params)))
    torch.testing.assert_close(grads[0][0], grads[1][0], rtol=1e-5, atol=1e-6)
    for new, old in zip(grads[0][1], grads[1][1], strict=True):
        torch.testing.assert_close(new, old, rtol=1e-4, atol=1e-6)
