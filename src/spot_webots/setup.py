# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Install spot_webots (ament_python)."""

from glob import glob

from setuptools import find_packages, setup

package_name = 'spot_webots'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml', 'README.md']),
        ('share/' + package_name + '/launch', glob('launch/*.launch.py')),
        ('share/' + package_name + '/worlds', glob('worlds/*.wbt')),
        ('share/' + package_name + '/resource', glob('resource/*.urdf')),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='DreamStride developers',
    maintainer_email='dev@dreamstride.invalid',
    description=(
        'Webots backend for Spot: world, webots_ros2_driver URDF and a Python plugin that '
        'converts the Webots Spot to the DreamStride robot contract.'
    ),
    license='Apache-2.0',
    entry_points={
        'console_scripts': [],
    },
)
