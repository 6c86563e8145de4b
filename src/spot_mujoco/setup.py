# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Install spot_mujoco (ament_python)."""

from setuptools import find_packages, setup

package_name = 'spot_mujoco'

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
        'Headless MuJoCo simulation of Spot behind the DreamStride robot contract: joint '
        'states, IMU, odometry, camera, clock, joint trajectory commands and resets.'
    ),
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'sim_node = spot_mujoco.sim_node:main',
            'sim_benchmark = spot_mujoco.benchmark:main',
        ],
    },
)
