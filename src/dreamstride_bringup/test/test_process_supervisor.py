# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The supervisor's stop request, as a loop of its own (the experiment's) reads it."""

import io
import signal

from dreamstride_bringup.process_supervisor import Supervisor


def test_a_stop_request_is_public_and_ends_watch(tmp_path):
    supervisor = Supervisor([], 'spot', tmp_path, {}, out=io.StringIO())
    assert supervisor.stop_requested is False
    supervisor.request_stop(signal.SIGINT, None)  # as the signal handler is called
    assert supervisor.stop_requested is True
    assert supervisor.watch(duration=30.0) == 0  # returns at once, nothing to stop
