# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Measure the simulation's speed: physics alone, rendering, and the ROS node unpaced.

``python -m spot_mujoco.benchmark`` (console script ``sim_benchmark``) prints physics
steps per second of SpotSimulation, 64x64 frames per second off-screen, and the
real-time factor sim_node reaches at real_time_factor 0 while publishing everything.
"""

from __future__ import annotations

import argparse
import os
import time

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from spot_mujoco.sim_node import SimNode
from spot_mujoco.simulation import RenderingUnavailableError, SpotSimulation


def physics_steps_per_second(seconds: float = 2.0) -> float:
    """Physics steps per wall second with the robot standing (servos on, feet in contact)."""
    with SpotSimulation(seed=0) as sim:
        sim.step(100)
        steps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            sim.step(500)
            steps += 500
        return steps / (time.perf_counter() - start)


def frames_per_second(seconds: float = 2.0, size: int = 64, camera: str = 'head') -> float:
    """Off-screen frames per wall second (raises RenderingUnavailableError without GL)."""
    with SpotSimulation(seed=0) as sim:
        sim.render(camera, size, size)
        frames, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            sim.render(camera, size, size)
            frames += 1
        return frames / (time.perf_counter() - start)


def node_real_time_factor(seconds: float = 5.0, camera: bool = False) -> dict[str, float]:
    """Run sim_node in this process at real_time_factor 0; return its speed and rates."""
    rclpy.init(args=[])
    try:
        node = SimNode(
            parameter_overrides=[
                Parameter('real_time_factor', value=0.0),
                Parameter('camera.enabled', value=camera),
            ]
        )
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        executor.spin_once(timeout_sec=0.1)
        sim_start, steps_start, start = node.sim.time, node.steps, time.monotonic()
        while time.monotonic() - start < seconds:
            executor.spin_once(timeout_sec=0.1)
        wall = time.monotonic() - start
        simulated = node.sim.time - sim_start
        result = {
            'real_time_factor': simulated / wall,
            'steps_per_second': (node.steps - steps_start) / wall,
            'sensor_messages_per_second': (node.steps - steps_start) / node.publish_every / wall,
        }
        executor.shutdown()
        node.destroy_node()
        return result
    finally:
        rclpy.try_shutdown()


def main(argv: list[str] | None = None) -> None:
    """Print the measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=3.0, help='per measurement')
    parser.add_argument(
        '--camera', action='store_true', help='also measure the node with the 64x64 camera on'
    )
    args = parser.parse_args(argv)
    os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'  # nothing leaves this host

    steps = physics_steps_per_second(args.seconds)
    print(
        f'physics alone: {steps:,.0f} steps/s = real-time factor {steps * 0.002:.0f} '
        '(timestep 0.002 s)'
    )
    try:
        print(
            f'rendering 64x64 (MUJOCO_GL={os.environ.get("MUJOCO_GL")}): '
            f'{frames_per_second(args.seconds):.0f} frames/s'
        )
    except RenderingUnavailableError as error:
        print(f'rendering unavailable: {error}')
    node = node_real_time_factor(args.seconds)
    print(
        f'sim_node, real_time_factor 0, publishing at 50 Hz sim time (clock 100 Hz): '
        f'real-time factor {node["real_time_factor"]:.1f}, {node["steps_per_second"]:,.0f} '
        f'steps/s, {node["sensor_messages_per_second"]:,.0f} joint_states/s wall'
    )
    if args.camera:
        node = node_real_time_factor(args.seconds, camera=True)
        print(
            f'sim_node with the 64x64 camera at 20 Hz sim time: real-time factor '
            f'{node["real_time_factor"]:.1f}'
        )


if __name__ == '__main__':
    main()
