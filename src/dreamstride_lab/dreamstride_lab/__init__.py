# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""DreamStride lab: experiments, evaluation and diagnosis on top of the bringup.

What studies the system rather than runs it: the walking experiment, the evaluation
judged by physics, the diagnosis tools, the benchmarks of the training graph and the
link, and the two-host harness. It adds its commands to ``dreamstride`` through entry
points; bringup never imports it.
"""
