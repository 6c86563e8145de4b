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

from dreamstride_agent.acting import policy_slot
from dreamstride_agent.acting.policy_slot import PolicySlot
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


# --- hand-over: offer, swap, drop ------------------------------------------------------
def test_an_accepted_offer_acts_from_the_next_swap_only(validator):
    slot = PolicySlot(OBS, ACT, 1 << 20)
    assert slot.active is None and slot.active_version == 0
    ok, message = slot.offer('safetensors', 3, 'sha3', b'x')
    assert ok and 'v3' in message
    assert slot.active is None and slot.active_version == 0  # not before the tick
    assert slot.swap() and (slot.active_version, slot.active_sha256) == (3, 'sha3')
    assert not slot.swap()  # nothing pending any more


def test_a_newer_offer_replaces_a_pending_one_and_an_older_is_refused(validator):
    slot = PolicySlot(OBS, ACT, 1 << 20)
    assert offer(slot, 3)[0] and offer(slot, 5)[0]
    ok, message = offer(slot, 4)
    assert not ok and 'version 4 is not newer than the active or pending version 5' in message
    assert slot.swap() and slot.active_version == 5 and slot.active.name == 'policy v5'


def test_dropping_the_active_policy_restores_the_previous_one_once(validator):
    slot = PolicySlot(OBS, ACT, 1 << 20)
    for version in (1, 2):
        assert offer(slot, version)[0] and slot.swap()
    assert slot.drop_active('non-finite action') == 'non-finite action: dropped, restored v1'
    assert slot.active_version == 1 and slot.active.name == 'policy v1'
    assert slot.refused == 1 and slot.last_refusal == 'non-finite action'
    # Only one step back: dropping v1 too leaves random exploration, not v2.
    assert slot.drop_active('again').endswith('back to random exploration')
    assert (slot.active, slot.active_version, slot.active_sha256) == (None, 0, '')
    assert offer(slot, 3)[0] and slot.swap() and slot.active_version == 3


def test_the_age_of_the_active_policy_restarts_at_every_change(validator):
    slot = PolicySlot(OBS, ACT, 1 << 20)
    slot._activated_at -= 100.0
    assert slot.active_age() >= 100.0
    assert offer(slot, 1)[0] and slot.active_age() >= 100.0  # pending is not active
    assert slot.swap() and slot.active_age() < 100.0
    slot._activated_at -= 100.0
    slot.drop_active('bad')
    assert slot.active_age() < 100.0


@pytest.mark.parametrize(
    'fmt, dims, reason',
    [
        ('pickle', (OBS, ACT), "(format): format 'pickle' is not accepted"),
        (b'safetensors', (OBS, ACT), '(format)'),
        ('safetensors', (OBS + 1, ACT), f'(dimensions): policy expects observation {OBS + 1}'),
        ('safetensors', (OBS, ACT - 1), f'action {ACT - 1}, this agent has {OBS} / {ACT}'),
    ],
)
def test_a_refusal_is_counted_and_leaves_the_policies_as_they_were(monkeypatch, fmt, dims, reason):
    monkeypatch.setattr(policy_slot.Policy, 'from_bytes', StandInValidator(*dims))
    slot = PolicySlot(OBS, ACT, 1 << 20)
    slot.active, slot.active_version = 'the running one', 4
    ok, message = slot.offer(fmt, 9, 'sha', b'x')
    assert not ok and message.startswith('refused: policy refused ') and reason in message
    assert slot.refused == 1 and slot.last_refusal.startswith('v9: ')
    assert reason in slot.last_refusal
    assert not slot.swap() and (slot.active, slot.active_version) == ('the running one', 4)


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
    from dreamstride_agent.dreamer.config import load_config
    from dreamstride_agent.dreamer.learner import DreamerLearner
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
    from dreamstride_agent.dreamer.policy import Policy
    from dreamstride_agent.dreamer.policy_format import PolicyRejected

    data, sha = learner.export_policy(version)
    with pytest.raises(PolicyRejected, match=f'{version} is outside 0..{2**64 - 1}') as caught:
        Policy.from_bytes(data, sha, max_bytes=len(data))
    assert caught.value.reason == 'version'
