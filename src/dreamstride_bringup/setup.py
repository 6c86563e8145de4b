# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Install dreamstride_bringup (ament_python)."""

from glob import glob

from setuptools import find_packages, setup

package_name = 'dreamstride_bringup'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
        ('share/' + package_name + '/config', glob('config/*.yaml')),
        ('share/' + package_name + '/launch', glob('launch/*.launch.py')),
        ('share/' + package_name + '/rviz', glob('rviz/*.rviz.in')),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='DreamStride developers',
    maintainer_email='dev@dreamstride.invalid',
    description=(
        'DreamStride bringup: the node graph, launch files, parameter files, RViz '
        'configuration and the dreamstride command.'
    ),
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'dreamstride = dreamstride_bringup.cli:main',
        ],
    },
)
