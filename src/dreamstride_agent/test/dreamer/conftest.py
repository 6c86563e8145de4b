# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Fixtures shared by the Dreamer tests."""

import pytest
import torch


@pytest.fixture
def one_thread():
    """Run the test on one torch thread (small models: threads cost more than they gain)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
