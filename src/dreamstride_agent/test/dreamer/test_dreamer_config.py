# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Named sizes, YAML files and --set overrides of the Dreamer configuration."""

from dreamstride_agent.dreamer.config import SIZES, DreamerConfig, load_config
import pytest


def test_named_sizes_match_the_issue():
    day = load_config('daydreamer')
    assert (day.model.deter, day.model.stoch, day.model.classes, day.model.units) == (
        256,
        32,
        32,
        512,
    )
    assert (day.train.batch, day.train.length) == (32, 32)
    assert day.train.wm_lr == day.train.actor_lr == day.train.critic_lr == 1e-4
    small = load_config('small')
    assert (small.model.deter, small.model.units, small.model.layers) == (512, 512, 2)
    assert (small.train.batch, small.train.length) == (16, 64)
    assert (small.train.wm_lr, small.train.actor_lr, small.train.critic_lr) == (1e-4, 3e-5, 3e-5)
    for name in SIZES:
        config = load_config(name)
        assert config.name == name
        assert config.loss.dyn == 0.5 and config.loss.rep == 0.1
        assert config.loss.free_nats == 1.0
        assert config.model.unimix == 0.01 and config.model.bins == 255
        assert config.train.horizon == 15 and config.train.lam == 0.95
        assert config.train.discount == 0.997
        assert config.train.slow_critic_rate == 0.02 and config.train.entropy == 3e-4


def test_overrides_from_strings_dicts_and_yaml(tmp_path):
    config = load_config(
        'tiny',
        ['model.deter=128', 'train.wm_lr=3e-4', 'train.actor_grad=dynamics', 'run.device=cpu'],
    )
    assert config.model.deter == 128 and isinstance(config.model.deter, int)
    assert config.train.wm_lr == 3e-4 and config.train.actor_grad == 'dynamics'
    config = load_config('tiny', {'model': {'units': 32}, 'train.batch': 4})
    assert config.model.units == 32 and config.train.batch == 4
    path = tmp_path / 'over.yaml'
    path.write_text('model:\n  deter: 96\ntrain:\n  horizon: 10\n')
    config = load_config('tiny', ['train.horizon=12'], yaml_path=path)
    assert config.model.deter == 96 and config.train.horizon == 12  # overrides win


@pytest.mark.parametrize(
    'override, words',
    [
        (['model.detr=1'], 'unknown config key'),
        (['model.deter=abc'], 'expects an integer'),
        (['model.deter=-3'], 'model.deter'),
        (['train.actor_grad=magic'], 'actor_grad'),
        (['run.device=tpu'], 'run.device'),
        (['model.deter'], 'section.key=value'),
        (['model=3'], 'is a section'),
    ],
)
def test_bad_overrides_are_refused_with_the_key(override, words):
    with pytest.raises(ValueError, match=words):
        load_config('tiny', override)


def test_unknown_size_and_json_round_trip():
    with pytest.raises(ValueError, match='unknown config size'):
        load_config('huge')
    config = load_config('cpu', ['model.deter=200'])
    assert DreamerConfig.from_dict(config.to_dict()) == config
