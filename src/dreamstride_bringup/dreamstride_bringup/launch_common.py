# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Turn the node graph into a launch_ros description (full ROS 2 installs only).

Launch arguments: backend, rviz, namespace, config, use_sim_time, run_dir, policy,
robots (train only), part and recorder_on (part and recorder_on split a train graph
across two machines; the discovery settings are the shell's: ROS_AUTOMATIC_DISCOVERY_RANGE,
ROS_STATIC_PEERS, FASTDDS_BUILTIN_TRANSPORTS=LARGE_DATA on both machines, as the README
says).
The graph is resolved in an OpaqueFunction, so the same
:func:`dreamstride_bringup.graph.node_graph` decides the nodes for every argument
value, exactly as the ``dreamstride`` command does.

Two promises of the ``dreamstride`` command hold here too:

- **A dead required node stops the run with a non-zero exit code.** launch's own
  ``EmitEvent(Shutdown())`` ends ``ros2 launch`` with code 0. ``LaunchService.run``
  returns 1 when an event handler raises: it logs "Caught exception in launch ...:
  <message>", shuts everything down and returns 1, which ``ros2 launch`` passes on as its
  exit status. So the exit handler of every required node raises
  :class:`RequiredNodeExitedError`, naming the node and its exit code. During a shutdown
  (Ctrl-C, or after another node died) exits are expected and raise nothing.
- **A run never reuses another run's directory by accident.** Without ``run_dir`` a
  train or eval launch gets a fresh ``runs/<mode>-<time>`` (the same
  :func:`~dreamstride_bringup.graph.fresh_run_dir` as the command). Resuming a run is
  asked for by naming its directory: ``run_dir:=runs/train-20260101-120000``.
"""

from __future__ import annotations

from pathlib import Path
import tempfile

from dreamstride_bringup.graph import (
    BACKENDS,
    DEFAULT_NAMESPACE,
    PARTS,
    RECORDER_SIDES,
    fresh_run_dir,
    node_graph,
)

RVIZ_TEMPLATE = 'dreamstride.rviz.in'


class RequiredNodeExitedError(RuntimeError):
    """A node the run cannot do without exited while the launch was not shutting down."""


def required_node_exited(name: str, returncode: int | None) -> RequiredNodeExitedError:
    """Return the error that stops a launch run when required node ``name`` exits."""
    code = 'unknown' if returncode is None else str(returncode)
    return RequiredNodeExitedError(
        f'required node {name} exited with code {code}; stopping the run'
    )


def stop_on_exit(action, name: str):
    """Return an event handler that stops the launch, non-zero, when ``action`` exits."""
    from launch.actions import RegisterEventHandler
    from launch.event_handlers import OnProcessExit
    import launch.logging

    def on_exit(event, context):
        if context.is_shutdown:
            return None  # an exit during shutdown is the expected one
        error = required_node_exited(name, event.returncode)
        launch.logging.get_logger('dreamstride').error(str(error))
        raise error

    return RegisterEventHandler(OnProcessExit(target_action=action, on_exit=on_exit))


def resolve_run_dir(mode: str, run_dir: str) -> Path | None:
    """Return the run directory for ``run_dir:=`` (empty: a fresh one; sim: none needed)."""
    if run_dir:
        path = Path(run_dir).expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path
    if mode == 'sim':
        return None  # the simulation alone writes nothing into a run directory
    return fresh_run_dir(mode)


def _nodes_for(context, mode: str) -> list:
    """Return the launch actions of ``mode``'s graph for the launch arguments in ``context``."""
    from launch.actions import LogInfo

    def arg(name: str) -> str:
        return context.launch_configurations[name]

    backend = arg('backend')
    use_sim_time = {'true': True, 'false': False}.get(arg('use_sim_time').lower())
    run_dir = resolve_run_dir(mode, arg('run_dir'))
    nodes = _graph(context, mode, run_dir, use_sim_time)
    namespace = arg('namespace')
    actions = _node_actions(nodes, namespace)
    sim_time = backend != 'real' if use_sim_time is None else use_sim_time
    started = [s.name for s in nodes]
    if backend == 'webots':
        actions.insert(0, _webots_launch(namespace))
        started.insert(0, 'webots + webots_ros2 driver (spot_webots.launch.py)')
    if arg('rviz').lower() == 'true':
        actions += _rviz(namespace, sim_time, backend)
        started.append('rviz2' if backend == 'real' else 'robot_state_publisher, rviz2')
    where = f', run directory {run_dir}' if run_dir is not None else ''
    actions.insert(0, LogInfo(msg=f'DreamStride {mode} on {backend}: {", ".join(started)}{where}'))
    return actions


def _graph(context, mode: str, run_dir: Path | None, use_sim_time: bool | None) -> list:
    """Return node_graph's nodes for ``mode`` and the launch arguments in ``context``.

    The same node_graph as the ``dreamstride`` command's decides them, so that a launch
    and the command start the same nodes for the same arguments.
    """
    settings = context.launch_configurations
    return node_graph(
        mode,
        settings['backend'],
        run_dir=run_dir or 'runs/unused',
        use_sim_time=use_sim_time,
        config=settings['config'] or None,
        policy=settings['policy'] or None,
        part=settings['part'],
        recorder_on=settings['recorder_on'],
        robots=int(settings.get('robots', '1')),  # only train declares it
        namespace=settings['namespace'],
    )


def _node_actions(nodes: list, namespace: str) -> list:
    """Return a launch_ros Node per node spec, each required one followed by its stop handler."""
    from launch_ros.actions import Node

    actions = []
    for spec in nodes:
        node = Node(
            package=spec.package,
            executable=spec.executable,
            name=spec.name,
            namespace=namespace if spec.namespace is None else f'/{spec.namespace}',
            output='screen',
            parameters=[*[str(p) for p in spec.param_files], spec.parameters],
            remappings=spec.remappings,
        )
        actions.append(node)
        if spec.required:
            actions.append(stop_on_exit(node, spec.key))
    return actions


def _webots_launch(namespace: str):
    """Return the inclusion of spot_webots.launch.py (Webots and its driver) in ``namespace``."""
    from ament_index_python.packages import get_package_share_directory
    from launch.actions import IncludeLaunchDescription
    from launch.launch_description_sources import PythonLaunchDescriptionSource

    webots_launch = (
        Path(get_package_share_directory('spot_webots')) / 'launch' / 'spot_webots.launch.py'
    )
    # spot_webots.launch.py stops the run (non-zero) when Webots, its supervisor or
    # the driver exits, with the same mechanism as stop_on_exit.
    return IncludeLaunchDescription(
        PythonLaunchDescriptionSource(str(webots_launch)),
        launch_arguments={'namespace': namespace}.items(),
    )


def rviz_config(namespace: str, frame_prefix: str = '', template: Path | None = None) -> str:
    """Return the RViz configuration for ``namespace`` (topics) and ``frame_prefix``.

    RViz configuration files name absolute topics, so the shipped file is a template
    whose ``@NS@`` (``/spot``, or empty for the root namespace) and ``@FRAME_PREFIX@``
    are filled in here.
    """
    if template is None:
        from ament_index_python.packages import get_package_share_directory

        template = (
            Path(get_package_share_directory('dreamstride_bringup')) / 'rviz' / RVIZ_TEMPLATE
        )
    ns = namespace.strip('/')
    text = template.read_text()
    return text.replace('@NS@', f'/{ns}' if ns else '').replace('@FRAME_PREFIX@', frame_prefix)


def _rviz(namespace: str, use_sim_time: bool, backend: str):
    from launch_ros.actions import Node
    from spot_description.urdf import generate_urdf

    # spot_ros2 prefixes its frames with spot_name/, which the README makes our namespace.
    ns = namespace.strip('/')
    frame_prefix = f'{ns}/' if backend == 'real' and ns else ''
    with tempfile.NamedTemporaryFile(
        'w', prefix='dreamstride-', suffix='.rviz', delete=False
    ) as out:
        out.write(rviz_config(namespace, frame_prefix))
    actions = [
        Node(
            package='rviz2',
            executable='rviz2',
            namespace=namespace,
            arguments=['-d', out.name],
            parameters=[{'use_sim_time': use_sim_time}],
        )
    ]
    if backend != 'real':
        # On the real robot spot_ros2_control runs its own robot_state_publisher (with
        # the prefixed URDF); a second one would publish conflicting transforms.
        actions.insert(
            0,
            Node(
                package='robot_state_publisher',
                executable='robot_state_publisher',
                namespace=namespace,
                parameters=[{'robot_description': generate_urdf(), 'use_sim_time': use_sim_time}],
            ),
        )
    return actions


def generate_graph_launch_description(mode: str):
    """Return a LaunchDescription for ``mode`` with DreamStride's launch arguments."""
    from launch import LaunchDescription
    from launch.actions import OpaqueFunction

    return LaunchDescription(
        [
            *_mode_arguments(mode),
            *_graph_arguments(),
            *_run_arguments(),
            OpaqueFunction(function=lambda context: _nodes_for(context, mode)),
        ]
    )


def _mode_arguments(mode: str) -> list:
    """Return the launch arguments only ``mode`` has (train: robots)."""
    from launch.actions import DeclareLaunchArgument

    per_mode = []
    if mode == 'train':
        per_mode.append(
            DeclareLaunchArgument(
                'robots',
                default_value='1',
                description='simulated robots feeding the one learner, each in its own '
                'namespace <namespace>_0 ... (mujoco only; 1: all in <namespace>)',
            )
        )
    return per_mode


def _graph_arguments() -> list:
    """Return the graph's launch arguments: backend, rviz, namespace, config, use_sim_time."""
    from launch.actions import DeclareLaunchArgument

    return [
        DeclareLaunchArgument(
            'backend',
            default_value='mujoco',
            choices=list(BACKENDS),
            description='robot backend',
        ),
        DeclareLaunchArgument(
            'rviz',
            default_value='false',
            choices=['true', 'false'],
            description='start RViz 2 (and, in simulation, robot_state_publisher)',
        ),
        DeclareLaunchArgument(
            'namespace',
            default_value=DEFAULT_NAMESPACE,
            description='robot namespace (on a real Spot: its spot_name)',
        ),
        DeclareLaunchArgument(
            'config',
            default_value='',
            description='extra parameter file applied after the defaults',
        ),
        DeclareLaunchArgument(
            'use_sim_time',
            default_value='auto',
            choices=['auto', 'true', 'false'],
            description='auto: true on simulation backends',
        ),
    ]


def _run_arguments() -> list:
    """Return the launch arguments of the run: run_dir, policy, part and recorder_on."""
    from launch.actions import DeclareLaunchArgument

    return [
        DeclareLaunchArgument(
            'run_dir',
            default_value='',
            description='replay store, checkpoints and TensorBoard logs; '
            'empty: a fresh runs/<mode>-<time>; an existing '
            'run directory resumes that run',
        ),
        DeclareLaunchArgument(
            'policy',
            default_value='',
            description='checkpoint to act with (eval only: '
            'RUN_DIR/learner/checkpoint.safetensors)',
        ),
        DeclareLaunchArgument(
            'part',
            default_value='all',
            choices=list(PARTS),
            description='train only: robot (backend + agent) or learner side of a run '
            'split across two machines',
        ),
        DeclareLaunchArgument(
            'recorder_on',
            default_value='learner',
            choices=list(RECORDER_SIDES),
            description='side of a split run that records the replay store',
        ),
    ]
