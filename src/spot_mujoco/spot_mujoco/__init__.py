"""Headless MuJoCo simulation of Spot behind the DreamStride robot contract.

Joint states, IMU, odometry, camera, clock, joint trajectory commands and resets.
"""
