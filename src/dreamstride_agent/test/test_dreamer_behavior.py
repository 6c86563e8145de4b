"""Actor-critic details that DreamerV3 (and DayDreamer) fix and a quick test would miss."""

from dreamstride_agent.dreamer.behavior import Actor
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
    classes = torch.randint(0, rssm.classes, (n, rssm.stoch_dim // rssm.classes),
                            generator=gen)
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
