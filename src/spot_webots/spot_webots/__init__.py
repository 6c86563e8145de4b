# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Webots backend for Spot.

A world, the webots_ros2_driver URDF and a Python plugin that converts the Webots Spot
to the DreamStride robot contract.
"""
