# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The action-to-command path keeps every command inside the joint limits and step bound."""

from dreamstride_agent.acting.command_filter import CommandConfig, CommandFilter
from hypothesis import given, settings
from hypothesis import strategies as st
import hypothesis.extra.numpy as hnp
import numpy as np
from spot_description.spot import JOINT_LOWER, JOINT_UPPER, NUM_JOINTS, STANDING_POSE

any_float = st.floats(allow_nan=True, allow_infinity=True, width=32)
actions = hnp.arrays(np.float64, NUM_JOINTS, elements=any_float)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(actions, min_size=1, max_size=40),
    st.one_of(st.just(0.0), st.floats(0.05, 5.0)),
    st.floats(0.01, 0.5),
    st.floats(5.0, 100.0),
)
def test_commands_respect_limits_and_max_step(sequence, cutoff, max_step, rate):
    config = CommandConfig(
        control_rate=rate, filter_cutoff=min(cutoff, rate / 2.5), max_step=max_step
    )
    f = CommandFilter(config)
    previous = f.command.copy()
    for action in sequence:
        command = f(action)
        assert np.all(np.isfinite(command))
        assert np.all(command >= JOINT_LOWER) and np.all(command <= JOINT_UPPER)
        assert np.all(np.abs(command - previous) <= max_step + 1e-9)
        previous = command


def test_bad_filter_settings_are_refused():
    import pytest

    with pytest.raises(ValueError, match='filter_cutoff'):
        CommandConfig(control_rate=20.0, filter_cutoff=15.0)
    with pytest.raises(ValueError, match='max_step'):
        CommandConfig(max_step=0.0)


def test_zero_action_settles_at_standing_pose():
    f = CommandFilter()
    f.reset(STANDING_POSE + 0.3)
    for _ in range(200):
        command = f(np.zeros(NUM_JOINTS))
    np.testing.assert_allclose(command, STANDING_POSE, atol=1e-6)


def test_low_pass_filter_smooths_a_step():
    unfiltered = CommandFilter(CommandConfig(filter_cutoff=0.0, max_step=10.0))
    filtered = CommandFilter(CommandConfig(filter_cutoff=1.5, max_step=10.0))
    full = unfiltered(np.ones(NUM_JOINTS)) - STANDING_POSE
    first = filtered(np.ones(NUM_JOINTS)) - STANDING_POSE
    assert np.all(first < 0.2 * full)  # a 1.5 Hz filter at 20 Hz moves a little per tick
    for _ in range(60):
        last = filtered(np.ones(NUM_JOINTS)) - STANDING_POSE
    np.testing.assert_allclose(last, full, rtol=0.02)


def test_low_pass_matches_scipy_sosfilt_sample_by_sample():
    # The per-tick recursion is scipy's sosfilt written out; it must give the same
    # commands as filtering the whole sequence with sosfilt from the same settled state.
    from scipy.signal import butter, sosfilt, sosfilt_zi

    config = CommandConfig(filter_cutoff=1.5, max_step=10.0, limit_margin=0.0)
    f = CommandFilter(config)
    rng = np.random.default_rng(0)
    actions = rng.uniform(-0.3, 0.3, (200, NUM_JOINTS))
    sos = butter(2, 1.5, btype='low', fs=20.0, output='sos')
    targets = STANDING_POSE + actions * config.scale_vector()
    zi = sosfilt_zi(sos)[:, :, None] * STANDING_POSE[None, None, :]
    expected, _ = sosfilt(sos, targets, axis=0, zi=zi)
    got = np.array([f(a) for a in actions])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
