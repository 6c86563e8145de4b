# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Boston Dynamics Spot model parameters.

The one source of joint names, limits, standing pose and geometry, from which the URDF
and the MuJoCo MJCF are generated.
"""
