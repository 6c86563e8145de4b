# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Install dreamstride_lab (ament_python)."""

from setuptools import find_packages, setup

package_name = 'dreamstride_lab'

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
        'DreamStride lab: the walking experiment, evaluation by physics, diagnosis tools, '
        'benchmarks and the two-host harness, as dreamstride subcommands.'
    ),
    license='Apache-2.0',
    entry_points={
        # The lab's subcommands of `dreamstride` (dreamstride_bringup.subcommands).
        'dreamstride.commands': [
            'eval = dreamstride_lab.commands:EVAL',
            'experiment = dreamstride_lab.commands:EXPERIMENT',
            'benchmark = dreamstride_lab.commands:BENCHMARK',
        ],
    },
)
