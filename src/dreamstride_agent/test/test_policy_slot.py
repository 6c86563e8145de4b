# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""PolicySlot: which offer becomes active, in what order, and what is refused.

The validator (``Policy.from_bytes``) is replaced by a stand-in here, so that these
tests say what the slot does with a verdict, and can hold one offer inside validation
while another goes through (the real validator is tested in test_dreamer_policy.py).
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

from dreamstride_agent import policy_slot
from dreamstride_agent.policy_slot import PolicySlot
import pytest

OBS, ACT = 16, 12


class StandInValidator:
    """Accept every offer as a policy of (obs, act); hold the versions in ``blocked``."""

    def __init__(self, obs: int = OBS, act: int = ACT) -> None:
        self.obs, self.act = obs, act
        self.blocked: dict[int, threading.Event] = {}
        self.entered: dict[int, threading.Event] = {}

    def hold(self, version: int) -> threading.Event:
        """Make an offer of ``version`` wait inside validation until the event is set."""
        self.entered[version] = threading.Event()
        self.blocked[version] = threading.Event()
        return self.blocked[version]

    def __call__(self, data, sha256, max_bytes, expected_version=None):
        if expected_version in self.blocked:
            self.entered[expected_version].set()
            assert self.blocked[expected_version].wait(10.0), 'the test never released it'
        return SimpleNamespace(
            name=f'policy v{expected_version}',
            metadata=SimpleNamespace(obs_dim=self.obs, act_dim=self.act),
        )


@pytest.fixture
def validator(monkeypatch) -> StandInValidator:
    stand_in = StandInValidator()
    monkeypatch.setattr(policy_slot.Policy, 'from_bytes', stand_in)
    return stand_in


def offer(slot: PolicySlot, version) -> tuple[bool, str]:
    return slot.offer('safetensors', version, 'sha', b'bytes')


def offer_in_thread(slot: PolicySlot, version: int) -> tuple[threading.Thread, list]:
    result: list = []
    thread = threading.Thread(target=lambda: result.append(offer(slot, version)), daemon=True)
    thread.start()
    return thread, result


# --- an older offer that finishes validating last -------------------------------------
def test_a_slow_older_offer_never_replaces_a_newer_pending_one(validator):
    slot = PolicySlot(OBS, ACT, 1 << 20)
    release = validator.hold(5)
    slow, result = offer_in_thread(slot, 5)  # passes the version check, then validates
    assert validator.entered[5].wait(10.0)
    assert offer(slot, 6)[0]  # a newer one arrives meanwhile and is accepted
    release.set()
    slow.join(10.0)
    ok, message = result[0]
    assert not ok and 'not newer' in message and '6' in message, message
    assert slot.refused == 1
    assert slot.swap() and slot.active_version == 6 and slot.active.name == 'policy v6'
    assert not slot.swap()  # nothing older is left pending


def test_a_slow_older_offer_never_follows_a_newer_active_one(validator):
    slot = PolicySlot(OBS, ACT, 1 << 20)
    release = validator.hold(5)
    slow, result = offer_in_thread(slot, 5)
    assert validator.entered[5].wait(10.0)
    assert offer(slot, 6)[0]
    assert slot.swap() and slot.active_version == 6  # v6 acts before v5 is checked
    release.set()
    slow.join(10.0)
    assert not result[0][0], result[0][1]
    assert not slot.swap() and slot.active_version == 6


# --- the version: the service's uint64, all of it and only it -------------------------
@pytest.fixture(scope='module')
def learner():
    from dreamstride_agent.dreamer.agent import DreamerLearner
    from dreamstride_agent.dreamer.config import load_config
    import torch

    torch.manual_seed(0)
    return DreamerLearner(load_config('tiny'), 6, 3, device='cpu')


@pytest.mark.parametrize('version', [1, 2**63 - 1, 2**63, 2**64 - 1])
def test_every_uint64_version_is_accepted(learner, version):
    data, sha = learner.export_policy(version)
    slot = PolicySlot(6, 3, len(data))
    ok, message = slot.offer('safetensors', version, sha, data)
    assert ok, message
    assert slot.swap() and slot.active_version == version
    ok, message = slot.offer('safetensors', version, sha, data)  # the same again: not newer
    assert not ok and f'version {version} is not newer' in message, message


@pytest.mark.parametrize('version', [-1, -(2**63), 2**64, 2**70, True, 7.0, '7'])
def test_a_version_outside_uint64_is_refused(learner, version):
    data, sha = learner.export_policy(7)
    slot = PolicySlot(6, 3, len(data))
    ok, message = slot.offer('safetensors', version, sha, data)
    assert not ok and message.startswith('refused: policy refused (version): '), message
    assert 'unsigned 64-bit' in message, message
    assert slot.refused == 1 and not slot.swap() and slot.active_version == 0


@pytest.mark.parametrize('version', [2**64, 10**20 - 1])
def test_bytes_that_carry_a_version_beyond_uint64_are_refused(learner, version):
    from dreamstride_agent.dreamer.policy import Policy, PolicyRejected

    data, sha = learner.export_policy(version)
    with pytest.raises(PolicyRejected, match=f'{version} is outside 0..{2**64 - 1}') as caught:
        Policy.from_bytes(data, sha, max_bytes=len(data))
    assert caught.value.reason == 'version'
