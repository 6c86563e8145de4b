# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The agent gets the simulated Spot off its back with joint commands alone (no reset)."""

from dreamstride_agent.acting.agent_core import AgentConfig, AgentCore, Hold, HoldKind
from dreamstride_agent.acting.policy_slot import PolicySlot
from dreamstride_agent.acting.velocity_command import VelocityCommandConfig
from dreamstride_lab.evaluate import sensor_snapshot
import numpy as np
import pytest
from spot_mujoco.simulation import SpotSimulation

TICKS = 300  # 15 s at 20 Hz
SUBSTEPS = 25  # 2 ms physics steps per 50 ms tick


@pytest.mark.parametrize('pose', ['on_back', 'random'])
def test_from_its_back_the_agent_rights_itself_and_stays_up(pose):
    config = AgentConfig(velocity_command=VelocityCommandConfig(source='sampler'))
    core = AgentCore(
        config, PolicySlot(config.observation_spec().size, 12, 1 << 20), np.random.default_rng(0)
    )
    # A policy that asks for the standing pose (action 0): it cannot roll the robot over by
    # itself, so whatever gets it off its back is the self-right.
    core._act = lambda obs, first, image: (np.zeros(12, np.float32), 0, None)
    with SpotSimulation(seed=3, pose=pose) as sim:
        sim.step(50)
        start_up = sim.body_z_axis()[2]
        up = []
        for _ in range(TICKS):
            decision = core.decide(sim.time, sensor_snapshot(sim))
            if decision.command is not None:
                sim.set_position_targets(decision.command)
            sim.step(SUBSTEPS)
            up.append(sim.body_z_axis()[2])
    if pose == 'on_back':
        assert start_up < -0.9
        assert core.self_right.started >= 1
        assert core.hold_counts[HoldKind.SELF_RIGHT] == core.self_right.started
    assert np.all(np.array(up[-40:]) > 0.8), np.round(up[::20], 2)  # upright for the last 2 s
    assert isinstance(decision, Hold) is False
