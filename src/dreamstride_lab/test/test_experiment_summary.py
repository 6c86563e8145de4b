# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""What summary.json says about the machine comes from the run, not from a constant."""

from dreamstride_lab import experiment_summary
import torch


def test_gpu_is_whether_the_learner_was_given_one(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    # The training graph's learner runs on the CPU unless told otherwise.
    assert experiment_summary.learner_on_gpu({'learner': {'model': 'tiny'}}) is False
    assert experiment_summary.learner_on_gpu({'learner': {'device': 'cuda:1'}}) is True
    assert experiment_summary.learner_on_gpu({'learner': {'device': 'auto'}}) is True
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert experiment_summary.learner_on_gpu({'learner': {'device': 'auto'}}) is False
