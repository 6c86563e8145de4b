# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Install dreamstride_agent (ament_python)."""

from setuptools import find_packages, setup

package_name = 'dreamstride_agent'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='DreamStride developers',
    maintainer_email='dev@dreamstride.invalid',
    description=(
        'DreamStride learning system: a DreamerV3 world-model agent in plain PyTorch, and '
        'the thin ROS 2 nodes around it (agent, replay recorder, learner).'
    ),
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'agent = dreamstride_agent.acting.agent_node:main',
            'replay_recorder = dreamstride_agent.recording.recorder_node:main',
            'learner = dreamstride_agent.learning.learner_node:main',
        ],
    },
)
