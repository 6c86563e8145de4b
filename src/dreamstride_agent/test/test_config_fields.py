# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Described fields: one home for a setting's default, meaning and bounds."""

from __future__ import annotations

from dataclasses import dataclass
import math

from dreamstride_agent.acting.agent_parameters import agent_parameters
from dreamstride_agent.acting.reward import RewardConfig
from dreamstride_agent.acting.velocity_command import VelocityCommandConfig
from dreamstride_agent.config_fields import check_ranges, described, description_of, range_of
import pytest


@dataclass
class Settings:
    share: float = described('A share.', 0.5, low=0.0, high=1.0)
    period: float = described('A period (s).', 1.0, low=0.0)
    name: str = described('A name.', 'x')


def test_bounds_live_on_the_field_and_unbounded_fields_have_none():
    assert range_of(Settings, 'share') == (0.0, 1.0)
    assert range_of(Settings, 'period') == (0.0, math.inf)
    assert range_of(Settings, 'name') is None
    assert description_of(Settings, 'share') == 'A share.'
    with pytest.raises(KeyError, match="no field 'nope'"):
        range_of(Settings, 'nope')


@pytest.mark.parametrize(
    'changes, message',
    [
        ({'share': 1.5}, r'share must be in \[0.0, 1.0\], got 1.5'),
        ({'share': math.nan}, 'share must be in'),
        ({'period': math.inf}, r'period must be in \[0.0, inf\], got inf'),
        ({'period': -1.0}, r'period must be in \[0.0, inf\], got -1.0'),
    ],
)
def test_check_ranges_names_the_field_out_of_its_bounds(changes, message):
    check_ranges(Settings())
    with pytest.raises(ValueError, match=message):
        check_ranges(Settings(**changes))


def test_a_default_outside_its_own_bounds_is_refused():
    with pytest.raises(ValueError, match=r'default 2.0 lies outside \[0.0, 1.0\]'):
        described('A share.', 2.0, low=0.0, high=1.0)


def test_the_agent_refuses_out_of_range_settings_and_its_parameters_carry_the_range():
    with pytest.raises(ValueError, match='zero_probability must be in'):
        VelocityCommandConfig(zero_probability=1.5)
    with pytest.raises(ValueError, match='heading_hold_gain must be in'):
        VelocityCommandConfig(heading_hold_gain=-0.5)
    with pytest.raises(ValueError, match='gate must be in'):
        RewardConfig(gate=1.2)
    specs = {spec.name: spec for spec in agent_parameters()}
    assert specs['velocity_command.zero_probability'].range == (0.0, 1.0)
    assert specs['reward_gate'].range == (0.0, 1.0)
    assert specs['velocity_command.heading_hold_limit'].range == (0.0, math.inf)
    assert specs['control_rate'].range is None
