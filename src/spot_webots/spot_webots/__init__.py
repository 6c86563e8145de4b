"""Webots backend for Spot.

A world, the webots_ros2_driver URDF and a Python plugin that converts the Webots Spot
to the DreamStride robot contract.
"""
