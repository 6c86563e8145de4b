# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""DreamStride bringup.

The node graph (defined once), launch files, parameter files, RViz configuration and
the ``dreamstride`` command.
"""
