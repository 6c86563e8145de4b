# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""DreamStride's node graph, defined once.

Both ``launch/*.launch.py`` (launch_ros, on a full ROS install) and the ``dreamstride``
command (everywhere) build their processes from :func:`node_graph`: which nodes run
for a mode and backend, their package, executable (and Python module), parameter
files, parameter values and remappings.

With ``robots`` N > 1 (simulation only), each robot's nodes (backend, agent, recorder)
run in a namespace of their own, ``<namespace>_0 ... <namespace>_{N-1}``, and one
learner in ``<namespace>`` trains on all of them and pushes to every agent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import os
from pathlib import Path
import time
from typing import Any

from spot_description import contract
from spot_description.contract import DEFAULT_NAMESPACE

MODES = ('train', 'eval', 'sim')
BACKENDS = ('mujoco', 'webots', 'real')
# Which part of the training graph one machine runs: all of it, or one side of a
# robot-to-workstation link (the learner on another machine).
PARTS = ('all', 'robot', 'learner')
# The side each node of a split training graph runs on. The backend and the agent run
# on the robot (they close the control loop); the learner runs on the workstation. The
# recorder goes where the replay store is to be: by default next to the learner, which
# reads the store's closed segments from disk, so the steps cross the link over DDS.
ROBOT_NODES = ('spot_mujoco', 'agent')
LEARNER_NODES = ('learner',)
RECORDER_NODE = 'replay_recorder'
RECORDER_SIDES = ('learner', 'robot')

# On the real robot, spot_ros2 (started with spot_name:=NAME) runs everything in the
# namespace /NAME, which must be the agent's namespace too (empty without a spot_name):
# - spot_ros2_control's joint_state_broadcaster publishes low_level/joint_states (its
#   launch file remaps joint_states there; the driver's joint_states is the 50 Hz one);
# - its SpotIMUBroadcaster publishes imu_sensor_broadcaster/imu;
# - spot_driver's state publisher publishes odometry under its own name;
# - the JointTrajectoryController of config/spot_ros2_controllers.yaml, named
#   joint_trajectory_controller, subscribes joint_trajectory_controller/joint_trajectory
#   in the same namespace: the contract's command topic needs no remap.
# (docs/spot_facts.md has the real robot's names.)
REAL_SPOT_REMAPS = (
    (contract.JOINT_STATES, f'low_level/{contract.JOINT_STATES}'),
    (contract.IMU, f'imu_sensor_broadcaster/{contract.IMU}'),
)


RUNS_ROOT = Path('runs')

# The training recipe (config/daydreamer_walk.yaml): every train graph applies it after
# each node's defaults, so `dreamstride train`, train.launch.py and `dreamstride
# experiment` train alike; --config and -p come after it.
TRAIN_RECIPE = 'daydreamer_walk.yaml'

# The simulation's rates that follow the agent's control rate: config/spot_mujoco.yaml
# sets them to the agent's default control_rate (it says why).
SIM_RATES_OF_CONTROL = ('publish_rate', 'clock_rate')


def follow_control_rate(
    nodes: list[NodeSpec], overrides: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Return ``overrides`` with an overridden agent control_rate given to the simulation.

    The MuJoCo backend publishes its sensors and /clock once per control period; an agent
    told to act faster than that would find its sim-time timer firing only at the clock's
    rate. Rates the overrides set for the simulation themselves are kept.
    """
    rate = overrides.get('agent', {}).get('control_rate')
    if rate is None or not any(n.name == 'spot_mujoco' for n in nodes):
        return overrides
    result = {node: dict(values) for node, values in overrides.items()}
    sim = result.setdefault('spot_mujoco', {})
    for name in SIM_RATES_OF_CONTROL:
        sim.setdefault(name, float(rate))
    return result


def node_fqn(namespace: str, name: str) -> str:
    """Return the fully qualified name of node ``name`` in ``namespace`` ('' for the root)."""
    namespace = namespace.strip('/')
    return f'/{namespace}/{name}' if namespace else f'/{name}'


def _sim_follows_agent_files(nodes: list[NodeSpec], namespace: str, sim_defaults: Path) -> None:
    """Give each simulation the control_rate its agent's parameter files set.

    What follow_control_rate does for ``-p``, for a rate set in a ``--config`` file or the
    recipe: the simulation publishes its sensors and /clock at the agent's rate, unless
    a file other than its defaults sets its own rates.
    """
    from dreamstride_bringup.parameter_files import read_parameter_files

    for sim in (n for n in nodes if n.name == 'spot_mujoco'):
        agents = [n for n in nodes if n.name == 'agent' and n.namespace == sim.namespace]
        agent = agents[0] if agents else None
        if agent is None:
            continue
        ns = sim.namespace or namespace
        agent_values = read_parameter_files(agent.param_files, node_fqn(ns, agent.name))
        rate = {**agent_values, **agent.parameters}.get('control_rate')
        if rate is None:
            continue
        own_files = [f for f in sim.param_files if Path(f) != sim_defaults]
        own = {**read_parameter_files(own_files, node_fqn(ns, sim.name)), **sim.parameters}
        for name in SIM_RATES_OF_CONTROL:
            if name not in own:
                sim.parameters[name] = float(rate)


def fresh_run_dir(mode: str, root: Path | str = RUNS_ROOT) -> Path:
    """Create and return a new, empty run directory ``<root>/<mode>-<time>``.

    The ``dreamstride`` command and the launch files both use it when no run directory
    is given, so a run never resumes another run's checkpoint or mixes its replay by
    accident. Two runs started in the same second get ``-2``, ``-3``, ... suffixes:
    the directory is created here (``exist_ok=False``), so two processes never pick
    the same one.
    """
    root = Path(root).expanduser()
    stem = f'{mode}-{time.strftime("%Y%m%d-%H%M%S")}'
    root.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        candidate = root / (stem if attempt == 1 else f'{stem}-{attempt}')
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate.resolve()
    raise RuntimeError(f'no free run directory named {stem}-N under {root}')


@dataclass
class NodeSpec:
    """One process of the graph."""

    name: str  # node name (also the log file name)
    package: str
    executable: str  # console script, for launch_ros / ros2 run
    module: str  # python -m entry point, for the dreamstride command
    param_files: list[Path] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    remappings: list[tuple[str, str]] = field(default_factory=list)
    required: bool = True  # the run stops when a required node dies
    # The node's own namespace (relative to the root); None: the run's namespace. Set
    # for each robot's nodes when several robots share a run.
    namespace: str | None = None

    @property
    def key(self) -> str:
        """Unique name of the process in its run: ``spot_0/agent``, or the node name.

        Log and parameter files, ``-p`` overrides and processes.json use it, so the
        nodes of several robots never share a file.
        """
        if self.namespace is None:
            return self.name
        return '/'.join(x for x in (self.namespace.strip('/'), self.name) if x)


def robot_namespaces(namespace: str = DEFAULT_NAMESPACE, robots: int = 1) -> list[str]:
    """Return the robots' namespaces: ``[namespace]`` for one, ``namespace_i`` for N > 1."""
    if robots < 1:
        raise ValueError(f'robots must be at least 1, got {robots}')
    ns = namespace.strip('/')
    if robots == 1:
        return [ns]
    if not ns:
        raise ValueError('several robots need a namespace to number (e.g. spot)')
    return [f'{ns}_{i}' for i in range(robots)]


def config_dir() -> Path:
    """Directory of the installed parameter files (source tree as a fall-back)."""
    try:
        from ament_index_python.packages import get_package_share_directory

        share = Path(get_package_share_directory('dreamstride_bringup')) / 'config'
        if share.is_dir():
            return share
    except (ImportError, LookupError):
        pass
    return Path(__file__).resolve().parent.parent / 'config'


def node_graph(
    mode: str = 'train',
    backend: str = 'mujoco',
    run_dir: Path | str = 'runs/latest',
    use_sim_time: bool | None = None,
    config: Path | str | None = None,
    policy: Path | str | None = None,
    part: str = 'all',
    recorder_on: str = 'learner',
    robots: int = 1,
    namespace: str = DEFAULT_NAMESPACE,
) -> list[NodeSpec]:
    """Return the processes of ``mode`` on ``backend``.

    ``run_dir`` receives the replay store (``replay/``) and the learner's TensorBoard
    logs and checkpoints (``learner/``). ``config`` is an extra parameter file applied
    after the defaults (node-name keys or ``/**``). ``policy`` is the checkpoint an
    ``eval`` run acts with. ``use_sim_time`` defaults to true on simulation backends.
    ``part`` selects one side of a training graph split across two machines
    (:func:`graph_part`); ``recorder_on`` says which side runs the replay recorder.

    ``robots`` N > 1 (MuJoCo only) repeats the robot's nodes in the namespaces of
    :func:`robot_namespaces` (``namespace`` is the run's namespace, the learner's), each
    robot with its own ``/clock``, store (``replay/<robot>/``) and log files; none of
    them is required, so a robot that stops leaves the others and the learner running.
    With one robot the graph is the same as without the argument: every node in the
    run's namespace.
    """
    _check_graph_arguments(mode, backend, policy, part, recorder_on, robots)
    cfg = config_dir()
    extra = [Path(config).expanduser().resolve()] if config else []
    # Each node's files: its defaults, the recipe, the backend's (real_spot.yaml), --config.
    recipe = [cfg / TRAIN_RECIPE] if mode == 'train' else []
    run_dir = Path(run_dir).expanduser().resolve()
    sim_time = (backend != 'real') if use_sim_time is None else use_sim_time
    common = {'use_sim_time': sim_time}
    if robots == 1:
        nodes = _robot_nodes(mode, backend, cfg, extra, common, run_dir / 'replay', policy, recipe)
    else:
        nodes = _robots(mode, cfg, extra, common, run_dir, policy, robots, namespace, recipe)
    _sim_follows_agent_files(nodes, namespace, cfg / 'spot_mujoco.yaml')
    if mode == 'train':
        nodes.append(_learner_node(cfg, extra, common, run_dir, robots, namespace, recipe))
    return graph_part(nodes, part, recorder_on)


def _check_graph_arguments(
    mode: str,
    backend: str,
    policy: Path | str | None,
    part: str,
    recorder_on: str,
    robots: int,
) -> None:
    """Raise ValueError for arguments of :func:`node_graph` that make no graph."""
    if part not in PARTS:
        raise ValueError(f'unknown part {part!r}; choose one of {", ".join(PARTS)}')
    if recorder_on not in RECORDER_SIDES:
        raise ValueError(
            f'unknown recorder side {recorder_on!r}; choose one of {", ".join(RECORDER_SIDES)}'
        )
    if part != 'all' and mode != 'train':
        raise ValueError(f'part {part!r} splits a train graph; mode {mode!r} runs on one machine')
    if mode not in MODES:
        raise ValueError(f'unknown mode {mode!r}; choose one of {", ".join(MODES)}')
    if backend not in BACKENDS:
        raise ValueError(f'unknown backend {backend!r}; choose one of {", ".join(BACKENDS)}')
    if mode == 'sim' and backend == 'real':
        raise ValueError("mode 'sim' needs a simulation backend (mujoco or webots)")
    if mode == 'eval' and policy is None:
        raise ValueError("mode 'eval' needs a policy checkpoint (policy:=/path/to/checkpoint)")
    if robots > 1 and backend != 'mujoco':
        raise ValueError(
            f'several robots ({robots}) need the mujoco backend; {backend} runs one robot'
        )
    if mode != 'eval' and policy is not None:
        # Silently ignoring it would let a user believe a run starts from that policy.
        raise ValueError(
            f'a policy ({policy}) is only used in eval mode; mode {mode!r} '
            'does not load one (train resumes from its run directory)'
        )


def _learner_node(
    cfg: Path,
    extra: list[Path],
    common: dict[str, Any],
    run_dir: Path,
    robots: int,
    namespace: str,
    recipe: list[Path],
) -> NodeSpec:
    """Return the learner's node, training on every robot's replay in ``run_dir``."""
    learner_params: dict[str, Any] = {
        **common,
        'replay_dir': str(run_dir / 'replay'),
        'logdir': str(run_dir / 'learner'),
    }
    if robots > 1:
        from dreamstride_agent.learning_topics import LOAD_POLICY

        learner_params['agents'] = [
            f'/{ns}/{LOAD_POLICY}' for ns in robot_namespaces(namespace, robots)
        ]
        # Each simulation runs its own clock; none of them is the learner's (its
        # timers run on the steady clock anyway), so it stamps its status in wall time.
        learner_params['use_sim_time'] = False
    return NodeSpec(
        'learner',
        'dreamstride_agent',
        'learner',
        'dreamstride_agent.learning.learner_node',
        [cfg / 'learner.yaml', *recipe, *extra],
        learner_params,
    )


def _ratio_lock(learner_status: str, agent_statuses: list[str]) -> dict[str, Any]:
    """Return the simulation's train-ratio lock parameters: whose budget, whose steps."""
    return {'ratio_lock.learner_status': learner_status, 'ratio_lock.agent_status': agent_statuses}


def _robots(
    mode: str,
    cfg: Path,
    extra: list[Path],
    common: dict[str, Any],
    run_dir: Path,
    policy: Path | str | None,
    robots: int,
    namespace: str,
    recipe: list[Path],
) -> list[NodeSpec]:
    """Return the nodes of ``robots`` simulated robots, each in its own namespace."""
    from spot_description.contract import CLOCK

    namespaces = robot_namespaces(namespace, robots)
    ratio_lock = None
    if mode == 'train':
        from dreamstride_agent.learning_topics import AGENT_STATUS, LEARNER_STATUS

        # The lock counts every robot's steps against the one learner's budget (the
        # learner runs in the run's namespace, which robot_namespaces made sure exists).
        ratio_lock = _ratio_lock(
            f'/{namespace.strip("/")}/{LEARNER_STATUS}',
            [f'/{ns}/{AGENT_STATUS}' for ns in namespaces],
        )
    nodes: list[NodeSpec] = []
    for ns in namespaces:
        # /clock and /tf are absolute topics: each simulation gets its own, and the
        # robot's agent and recorder follow its clock.
        clock = [(CLOCK, f'/{ns}{CLOCK}')]
        replay_dir = run_dir / 'replay' / ns
        for spec in _robot_nodes(mode, 'mujoco', cfg, extra, common, replay_dir, policy, recipe):
            if spec.name == 'spot_mujoco':
                if ratio_lock is not None:
                    spec.parameters.update(ratio_lock)
                spec.remappings += [*clock, ('/tf', f'/{ns}/tf')]
            else:
                spec.remappings += clock
            spec.namespace = ns
            spec.required = False
            nodes.append(spec)
    return nodes


def _robot_nodes(
    mode: str,
    backend: str,
    cfg: Path,
    extra: list[Path],
    common: dict[str, Any],
    replay_dir: Path,
    policy: Path | str | None,
    recipe: list[Path],
) -> list[NodeSpec]:
    """Return one robot's nodes: backend (simulated), agent and, to train, its recorder.

    ``recipe`` (the training recipe's file, in train graphs) comes after each node's
    defaults and before the backend's file and ``extra`` (the user's --config).
    """
    nodes: list[NodeSpec] = []
    if backend == 'mujoco':
        nodes.append(_sim_node(mode, cfg, extra, recipe))
    # webots: the simulator and its driver are started by the launch file (webots_ros2);
    # real: the spot_ros2 driver runs on its own (it holds the robot's lease).
    if mode == 'sim':
        return nodes
    nodes.append(_agent_node(mode, backend, cfg, extra, common, policy, recipe))
    if mode == 'train':
        nodes.append(
            NodeSpec(
                'replay_recorder',
                'dreamstride_agent',
                'replay_recorder',
                'dreamstride_agent.recording.recorder_node',
                [cfg / 'replay_recorder.yaml', *recipe, *extra],
                {**common, 'replay_dir': str(replay_dir)},
            )
        )
    return nodes


def _sim_node(mode: str, cfg: Path, extra: list[Path], recipe: list[Path]) -> NodeSpec:
    """Return the MuJoCo simulation's node, with the train-ratio lock in train graphs."""
    sim_params: dict[str, Any] = {}
    if mode == 'train':
        # The train-ratio lock: the simulation pauses while the agent is ahead of the
        # learner's env_step_budget (no effect with train_ratio 0).
        from dreamstride_agent.learning_topics import AGENT_STATUS, LEARNER_STATUS

        sim_params = _ratio_lock(LEARNER_STATUS, [AGENT_STATUS])
    return NodeSpec(
        'spot_mujoco',
        'spot_mujoco',
        'sim_node',
        'spot_mujoco.sim_node',
        [cfg / 'spot_mujoco.yaml', *recipe, *extra],
        sim_params,
    )


def _agent_node(
    mode: str,
    backend: str,
    cfg: Path,
    extra: list[Path],
    common: dict[str, Any],
    policy: Path | str | None,
    recipe: list[Path],
) -> NodeSpec:
    """Return the agent's node: its files, parameters and remappings for mode and backend."""
    agent_files = [cfg / 'agent.yaml', *recipe]
    remaps: list[tuple[str, str]] = []
    if backend == 'real':
        agent_files.append(cfg / 'real_spot.yaml')
        remaps = list(REAL_SPOT_REMAPS)
    agent_params = dict(common)
    if mode == 'eval':
        agent_params['policy_checkpoint'] = str(Path(policy).expanduser().resolve())
        agent_params['policy_sample'] = False
        if backend != 'real':
            # A simulated evaluation performs the training task (the fixed sampler's
            # command) unless told otherwise (velocity_command.source:=topic for cmd_vel);
            # a real Spot follows cmd_vel only.
            agent_params['velocity_command.source'] = 'sampler'

    if mode == 'train':
        agent_params['wait_for_recorder'] = True
    return NodeSpec(
        'agent',
        'dreamstride_agent',
        'agent',
        'dreamstride_agent.acting.agent_node',
        [*agent_files, *extra],
        agent_params,
        remaps,
    )


def graph_part(nodes: list[NodeSpec], part: str, recorder_on: str = 'learner') -> list[NodeSpec]:
    """Return the nodes of ``nodes`` that run on ``part`` (``all``: every one).

    The two parts together are the whole graph, each node in exactly one of them.
    """
    if part == 'all':
        return nodes
    side = set(ROBOT_NODES if part == 'robot' else LEARNER_NODES)
    if recorder_on == part:
        side.add(RECORDER_NODE)
    return [n for n in nodes if n.name in side]


DISCOVERY_RANGES = ('LOCALHOST', 'SUBNET', 'SYSTEM_DEFAULT', 'OFF')
# Fast DDS's transports for a run split across machines (FASTDDS_BUILTIN_TRANSPORTS):
# user data over TCP, discovery over UDP, shared memory on the same host. Over plain
# UDP a policy of several MB goes as hundreds of 64 kB fragments that a busy receiver
# drops and the writer repeats: across two namespaces a 4.5 MB push put 18 MB and a
# 15 MB one 43 MB on the wire; over TCP 4.6 and 19 MB, in half the time (README, "More
# machines"). rmw_fastrtps_cpp applies it under SUBNET only: LOCALHOST sets up its own
# UDP and shared memory transports and ignores it.
SPLIT_RUN_TRANSPORTS = 'LARGE_DATA'


def ros_environment(
    discovery_range: str = 'LOCALHOST',
    base: dict[str, str] | None = None,
    static_peers: list[str] | tuple[str, ...] = (),
    transports: str | None = None,
) -> dict[str, str]:
    """Environment for every process of a run: ROS traffic stays on this host by default.

    Only a run split across machines opts into more, explicitly: ``SUBNET`` (multicast
    discovery on the local network) and/or ``static_peers``, the addresses of the other
    machines (ROS_STATIC_PEERS: unicast discovery of just those hosts, which also works
    with ``LOCALHOST`` and where multicast does not pass, e.g. Wi-Fi or a VPN).
    ``transports`` sets Fast DDS's builtin transports (e.g. :data:`SPLIT_RUN_TRANSPORTS`).
    """
    if discovery_range not in DISCOVERY_RANGES:
        raise ValueError(f'unknown discovery range {discovery_range!r}')
    env = dict(os.environ if base is None else base)
    env['ROS_AUTOMATIC_DISCOVERY_RANGE'] = discovery_range
    peers = [p.strip() for p in static_peers if p.strip()]
    for peer in peers:
        if any(c.isspace() or c in ';,' for c in peer):
            raise ValueError(f'static peer {peer!r} is not one address or host name')
    if peers:
        env['ROS_STATIC_PEERS'] = ';'.join(peers)
    else:
        # One inherited from the shell would silently widen a run meant for this host.
        env.pop('ROS_STATIC_PEERS', None)
    if transports:
        env['FASTDDS_BUILTIN_TRANSPORTS'] = transports
    env.setdefault('RMW_IMPLEMENTATION', 'rmw_fastrtps_cpp')
    env['PYTHONUNBUFFERED'] = '1'
    return env
