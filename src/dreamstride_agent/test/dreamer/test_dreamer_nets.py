# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""symlog, two-hot, lambda-returns and the latent sampler."""

from dreamstride_agent.dreamer.behavior import lambda_returns
from dreamstride_agent.dreamer.nets import Head, TwoHot, symexp, symlog
from dreamstride_agent.dreamer.rssm import latent_logprobs, sample_latent
from hypothesis import given, settings
from hypothesis import strategies as st
import numpy as np
import pytest
import torch

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, width=32)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=1, max_size=32))
def test_symlog_symexp_round_trip(values):
    x = torch.tensor(values, dtype=torch.float64)
    torch.testing.assert_close(symexp(symlog(x)), x, rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-1e5, max_value=1e5, allow_nan=False, width=32),
        min_size=1,
        max_size=32,
    )
)
def test_two_hot_round_trip(values):
    twohot = TwoHot(255)
    x = torch.tensor(values, dtype=torch.float32)
    encoded = twohot.encode(x)
    assert encoded.shape == (len(values), 255)
    torch.testing.assert_close(encoded.sum(-1), torch.ones(len(values)))
    assert int((encoded > 0).sum(-1).max()) <= 2
    decoded = twohot.mean(torch.log(encoded.clamp(min=1e-38)))
    torch.testing.assert_close(decoded, x, rtol=1e-4, atol=1e-4)


def test_two_hot_bins_and_zero_initialised_head_predict_zero():
    twohot = TwoHot(255)
    assert torch.equal(twohot.bins, -twohot.bins.flip(0))
    assert twohot.bins[127] == 0 and float(twohot.bins[-1]) == float(symexp(torch.tensor(20.0)))
    head = Head(10, 255, 16, 1, 'layer', zero_init=True)
    assert torch.count_nonzero(head.out.weight) == 0
    assert torch.equal(twohot.mean(head(torch.randn(7, 10))), torch.zeros(7))
    # The loss is minimal at the target: its gradient pulls the mean towards it.
    logits = torch.zeros(3, 255, requires_grad=True)
    target = torch.tensor([-2.0, 0.5, 30.0])
    for _ in range(200):
        loss = twohot.loss(logits, target).sum()
        (grad,) = torch.autograd.grad(loss, logits)
        logits = (logits - 1.0 * grad).detach().requires_grad_()
    torch.testing.assert_close(twohot.mean(logits), target, rtol=0.05, atol=0.05)


def test_lambda_returns_match_the_recursive_definition():
    rng = np.random.default_rng(0)
    H, N, gamma, lam = 6, 4, 0.9, 0.8
    reward, cont = rng.normal(size=(H, N)), rng.uniform(0.5, 1.0, (H, N))
    value = rng.normal(size=(H + 1, N))
    expected = np.zeros((H, N))
    next_return = value[H]
    for t in reversed(range(H)):
        next_return = reward[t] + gamma * cont[t] * ((1 - lam) * value[t + 1] + lam * next_return)
        expected[t] = next_return
    got = lambda_returns(torch.tensor(reward), torch.tensor(cont), torch.tensor(value), gamma, lam)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    # lambda = 0 is the one-step TD target.
    got = lambda_returns(torch.tensor(reward), torch.tensor(cont), torch.tensor(value), gamma, 0.0)
    np.testing.assert_allclose(got.numpy(), reward + gamma * cont * value[1:], rtol=1e-12)


def test_latents_have_unimix_floor_and_straight_through_samples():
    torch.manual_seed(0)
    raw = torch.randn(2000, 4 * 8) * 10
    raw.requires_grad_(True)
    logprobs = latent_logprobs(raw, 8, 0.01)
    assert logprobs.shape == (2000, 4, 8)
    assert float(logprobs.detach().exp().min()) >= 0.01 / 8 - 1e-7
    sample = sample_latent(logprobs)
    assert sample.shape == (2000, 32)
    onehots = sample.detach().view(2000, 4, 8)
    torch.testing.assert_close(onehots.sum(-1), torch.ones(2000, 4))
    expected = (onehots.argmax(-1, keepdim=True) == torch.arange(8)).float()
    assert torch.equal(onehots.round(), expected)
    # Frequencies follow the probabilities.
    probs = logprobs.exp().detach()
    fixed = probs[:1].expand(2000, 4, 8)
    draws = sample_latent(torch.log(fixed)).view(2000, 4, 8).mean(0)
    torch.testing.assert_close(draws, fixed[0], atol=0.05, rtol=0)
    sample.sum().backward()
    assert raw.grad is not None and float(raw.grad.abs().sum()) > 0


@pytest.mark.parametrize('dtype', [torch.float32, torch.bfloat16])
def test_weight_tape_gives_the_step_by_step_gradients(dtype, monkeypatch):
    # The filtering loop's weight gradients, computed once over all steps by the tape,
    # equal autograd's step-by-step sum (the world-model loss of one batch, both ways).
    from dreamstride_agent.dreamer.config import load_config
    from dreamstride_agent.dreamer.rssm import RSSM
    from dreamstride_agent.dreamer.world_model import WorldModel

    torch.manual_seed(0)
    config = load_config('tiny')
    wm = WorldModel(config, 3, 2)
    B, T = 4, 12
    gen = torch.Generator().manual_seed(1)
    is_first = torch.zeros(B, T, dtype=torch.bool)
    is_first[:, 0] = True
    is_first[1, 5] = True  # a reset inside a sequence
    data = {
        'obs': torch.randn(B, T, 3, generator=gen),
        'action': torch.rand(B, T, 2, generator=gen) * 2 - 1,
        'reward': torch.randn(B, T, generator=gen),
        'is_first': is_first,
        'is_terminal': torch.zeros(B, T, dtype=torch.bool),
    }
    grads = []
    for tape in (True, False):
        monkeypatch.setattr(RSSM, 'weight_tape', tape)
        torch.manual_seed(2)  # the same latent samples both ways
        with torch.autocast('cpu', dtype=dtype, enabled=dtype != torch.float32):
            loss = wm.loss(data)[0]
        grads.append(torch.autograd.grad(loss, list(wm.parameters())))
    tol = {'rtol': 1e-4, 'atol': 1e-5} if dtype == torch.float32 else {'rtol': 0.05, 'atol': 2e-3}
    names = [name for name, _ in wm.named_parameters()]
    for name, taped, plain in zip(names, *grads, strict=True):
        torch.testing.assert_close(taped, plain, **tol, msg=name)
