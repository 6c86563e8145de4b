"""Turn the node graph into a launch_ros description (full ROS 2 installs only).

Launch arguments: backend, rviz, namespace, config, use_sim_time, run_dir, policy.
The graph is resolved in an OpaqueFunction, so the same
:func:`dreamstride_bringup.graph.node_graph` decides the nodes for every argument
value, exactly as the ``dreamstride`` command does.
"""

from __future__ import annotations

from pathlib import Path

from dreamstride_bringup.graph import BACKENDS, DEFAULT_NAMESPACE, node_graph


def _nodes_for(context, mode: str):
    from launch.actions import IncludeLaunchDescription, LogInfo
    from launch.launch_description_sources import PythonLaunchDescriptionSource
    from launch_ros.actions import Node

    def arg(name: str) -> str:
        return context.launch_configurations[name]

    backend = arg('backend')
    use_sim_time = {'true': True, 'false': False}.get(arg('use_sim_time').lower())
    nodes = node_graph(mode, backend, run_dir=arg('run_dir'), use_sim_time=use_sim_time,
                       config=arg('config') or None, policy=arg('policy') or None)
    namespace = arg('namespace')
    actions = [
        Node(package=spec.package, executable=spec.executable, name=spec.name,
             namespace=namespace, output='screen',
             parameters=[*[str(p) for p in spec.param_files], spec.parameters],
             remappings=spec.remappings)
        for spec in nodes
    ]
    sim_time = backend != 'real' if use_sim_time is None else use_sim_time
    if backend == 'webots':
        from ament_index_python.packages import get_package_share_directory
        webots_launch = Path(get_package_share_directory('spot_webots')) / 'launch' / \
            'spot_webots.launch.py'
        actions.insert(0, IncludeLaunchDescription(
            PythonLaunchDescriptionSource(str(webots_launch)),
            launch_arguments={'namespace': namespace}.items()))
    if arg('rviz').lower() == 'true':
        actions += _rviz(namespace, sim_time)
    actions.insert(0, LogInfo(msg=f'DreamStride {mode} on {backend}: '
                                  f'{", ".join(s.name for s in nodes)}'))
    return actions


def _rviz(namespace: str, use_sim_time: bool):
    from ament_index_python.packages import get_package_share_directory
    from launch_ros.actions import Node
    from spot_description.urdf import generate_urdf

    rviz_config = Path(get_package_share_directory('dreamstride_bringup')) / 'rviz' / \
        'dreamstride.rviz'
    return [
        Node(package='robot_state_publisher', executable='robot_state_publisher',
             namespace=namespace, parameters=[{'robot_description': generate_urdf(),
                                               'use_sim_time': use_sim_time}]),
        Node(package='rviz2', executable='rviz2', arguments=['-d', str(rviz_config)],
             parameters=[{'use_sim_time': use_sim_time}]),
    ]


def generate_graph_launch_description(mode: str):
    """Return a LaunchDescription for ``mode`` with DreamStride's launch arguments."""
    from launch import LaunchDescription
    from launch.actions import DeclareLaunchArgument, OpaqueFunction

    return LaunchDescription([
        DeclareLaunchArgument('backend', default_value='mujoco', choices=list(BACKENDS),
                              description='robot backend'),
        DeclareLaunchArgument('rviz', default_value='false', choices=['true', 'false'],
                              description='start robot_state_publisher and RViz 2'),
        DeclareLaunchArgument('namespace', default_value=DEFAULT_NAMESPACE,
                              description='robot namespace'),
        DeclareLaunchArgument('config', default_value='',
                              description='extra parameter file applied after the defaults'),
        DeclareLaunchArgument('use_sim_time', default_value='auto',
                              choices=['auto', 'true', 'false'],
                              description='auto: true on simulation backends'),
        DeclareLaunchArgument('run_dir', default_value='runs/launch',
                              description='replay store, checkpoints and TensorBoard logs'),
        DeclareLaunchArgument('policy', default_value='',
                              description='checkpoint to act with (eval)'),
        OpaqueFunction(function=lambda context: _nodes_for(context, mode)),
    ])
