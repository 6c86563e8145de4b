# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""DreamerV3 world-model agent in plain PyTorch and numpy (no ROS imports here).

Modules, one concern each:

- ``config``: typed configuration, named sizes (daydreamer, small, cpu, tiny), overrides.
- ``nets``, ``rssm``, ``world_model``, ``behavior``: the model and the losses.
- ``learner``: :class:`DreamerLearner` (``train_step``, checkpoints, policy export).
- ``policy``: the acting side and its validated safetensors weight format.
- ``replay``: fixed-length sequence sampling from growing, keyed step streams.
- ``gym_train``: training on Gymnasium environments.
"""
