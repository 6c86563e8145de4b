# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Start the graph's nodes as processes, watch them, and stop them all cleanly.

A required node that dies stops the run (exit code 1). A node that is not required
(each robot's nodes when several robots share a run) is reported when it dies and the
run goes on without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import tempfile
import time
from typing import IO, Any

from dreamstride_bringup.graph import NodeSpec, node_fqn
from dreamstride_bringup.graph_check import LEAVE, occupied_message, running_nodes
import yaml

# Shut down in this order so that steps in flight reach the recorder and the learner
# writes its final checkpoint after the data stopped.
_STOP_ORDER = ('agent', 'replay_recorder', 'learner')


def node_parameters_file(
    spec: NodeSpec, namespace: str, overrides: dict[str, Any] | None, directory: Path
) -> Path:
    """Write the parameters the command sets for ``spec`` into a file keyed by node name.

    rcl applies a parameter file's node-specific sections (``/**/learner``) after its
    ``/**`` sections, and ``-p`` values count as ``/**``; so values given on the command
    line could lose to a configuration file. Keyed by the fully qualified node name and
    passed last, these values always win.
    """
    fqn = '/' + '/'.join(x for x in (node_namespace(spec, namespace).strip('/'), spec.name) if x)
    values = {**spec.parameters, **(overrides or {})}
    path = directory / f'{spec.key}.yaml'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({fqn: {'ros__parameters': values}}, sort_keys=True))
    return path


def node_namespace(spec: NodeSpec, namespace: str) -> str:
    """Return the namespace ``spec`` runs in: its own, or else the run's ``namespace``."""
    return namespace if spec.namespace is None else spec.namespace


class GraphOccupiedError(RuntimeError):
    """Nodes of this run already exist in its ROS graph: another run is up."""


def node_overrides(spec: NodeSpec, overrides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return the ``-p`` values for ``spec``: by node name (every robot), then by key.

    ``-p agent:NAME=V`` sets NAME on every robot's agent; ``-p spot_1/agent:NAME=V`` on
    one, and wins over the former.
    """
    values = dict(overrides.get(spec.name, {}))
    if spec.key != spec.name:
        values.update(overrides.get(spec.key, {}))
    return values


def node_command(
    spec: NodeSpec,
    namespace: str,
    overrides: dict[str, Any] | None = None,
    params_dir: Path | None = None,
) -> list[str]:
    """Return the command line that runs ``spec`` as a ROS 2 node in ``namespace``."""
    cmd = [sys.executable, '-m', spec.module, '--ros-args', '-r', f'__node:={spec.name}']
    namespace = node_namespace(spec, namespace)
    if namespace:
        cmd += ['-r', f'__ns:=/{namespace.strip("/")}']
    for path in spec.param_files:
        cmd += ['--params-file', str(path)]
    if spec.parameters or overrides:
        directory = params_dir or Path(tempfile.mkdtemp(prefix='dreamstride_params_'))
        cmd += ['--params-file', str(node_parameters_file(spec, namespace, overrides, directory))]
    for src, dst in spec.remappings:
        cmd += ['-r', f'{src}:={dst}']
    return cmd


@dataclass
class Running:
    """A started node process."""

    spec: NodeSpec
    proc: subprocess.Popen
    log: IO[str]
    log_path: Path


class Supervisor:
    """Run a set of nodes; stop all of them when one dies, on a signal, or at a deadline."""

    def __init__(
        self,
        nodes: list[NodeSpec],
        namespace: str,
        run_dir: Path,
        env: dict[str, str],
        overrides: dict[str, dict[str, Any]] | None = None,
        out: IO[str] = sys.stdout,
        check_graph: bool = True,
    ) -> None:
        self.nodes = nodes
        # Look for another run with these node names before starting (graph_check).
        self.check_graph = check_graph
        self.namespace = namespace
        self.run_dir = run_dir
        self.env = env
        self.overrides = overrides or {}
        self.out = out
        self.running: list[Running] = []
        self._gone: set[str] = set()  # keys of nodes not required that exited (reported)
        self._stop_requested = False

    def say(self, text: str) -> None:
        """Print a line of the command's own output."""
        print(f'[dreamstride] {text}', file=self.out, flush=True)

    def start(self) -> None:
        """Start every node, each in its own process group, logging to logs/<node>.log.

        Raises :class:`GraphOccupiedError`, starting nothing, when nodes with these names are
        already up in the run's ROS graph.
        """
        if self.check_graph:
            names = running_nodes(
                [node_fqn(node_namespace(s, self.namespace), s.name) for s in self.nodes],
                self.env,
            )
            if names:
                self.say(
                    f'{", ".join(names)} already in the ROS graph; waiting up to '
                    f'{LEAVE:g} s in case it is a run that was just stopped'
                )
                names = running_nodes(names, self.env, until_gone=LEAVE)
            if names:
                raise GraphOccupiedError(occupied_message(names, self.env))
        logs = self.run_dir / 'logs'
        logs.mkdir(parents=True, exist_ok=True)
        description = []
        for spec in self.nodes:
            cmd = node_command(
                spec, self.namespace, node_overrides(spec, self.overrides), self.run_dir / 'params'
            )
            log_path = logs / f'{spec.key}.log'
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log = open(log_path, 'a')
            proc = subprocess.Popen(
                cmd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.running.append(Running(spec, proc, log, log_path))
            description.append({'name': spec.key, 'pid': proc.pid, 'command': cmd})
            self.say(f'started {spec.key} (pid {proc.pid}), log {log_path}')
        (self.run_dir / 'processes.json').write_text(json.dumps(description, indent=2))

    def request_stop(self, *_: Any) -> None:
        """Signal handler: ask the watch loop to stop the run."""
        self._stop_requested = True

    @property
    def stop_requested(self) -> bool:
        """Whether a stop was asked for (request_stop: Ctrl-C, SIGTERM).

        A caller that runs the nodes in a loop of its own instead of watch() ends on it.
        """
        return self._stop_requested

    def watch(
        self,
        duration: float = 0.0,
        stop_at_end: bool = True,
        poll: Callable[[float], list[str]] | None = None,
    ) -> int:
        """Wait until a required node dies (exit 1), a stop is asked for or ``duration`` passes.

        Every node is stopped afterwards, unless ``stop_at_end`` is false and no node
        died (the caller then reads what it needs from the running nodes and stops them).
        ``poll(seconds)``, if given, waits instead of sleeping between checks and returns
        lines to print (progress.StatusMonitor.poll).
        """
        deadline = time.monotonic() + duration if duration > 0 else None
        while not self._stop_requested:
            for r in self.running:
                code = r.proc.poll()
                if code is None or r.spec.key in self._gone:
                    continue
                if not r.spec.required:
                    self._gone.add(r.spec.key)
                    self._report_exit(
                        r, code, 'the run goes on without it (the other nodes do not need it)'
                    )
                    continue
                self._report_exit(r, code, 'stopping the run')
                self.stop()
                return 1
            if deadline is not None and time.monotonic() >= deadline:
                self.say(f'duration of {duration:g} s reached')
                break
            if poll is None:
                time.sleep(0.2)
            else:
                for line in poll(0.2):
                    self.say(line)
        if stop_at_end:
            self.stop()
        return 0

    def _report_exit(self, r: Running, code: int, consequence: str) -> None:
        self.say(
            f'{r.spec.key} exited with code {code}; {consequence}. Last lines of {r.log_path}:'
        )
        for line in _tail(r.log_path, 15):
            print(f'    {line}', file=self.out)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop every node: SIGINT in shutdown order, then SIGKILL what is left."""
        order = sorted(
            self.running,
            key=lambda r: (
                _STOP_ORDER.index(r.spec.name) if r.spec.name in _STOP_ORDER else len(_STOP_ORDER)
            ),
        )
        agents = [r for r in order if r.spec.name == 'agent' and r.proc.poll() is None]
        for r in agents:
            _signal_group(r.proc, signal.SIGINT)
        if agents:
            time.sleep(0.5)  # let the last steps reach the recorders
        for r in order:
            if r.proc.poll() is None and r.spec.name != 'agent':
                _signal_group(r.proc, signal.SIGINT)
        deadline = time.monotonic() + timeout
        for r in order:
            try:
                r.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f'{r.spec.key} did not stop in time; killing it')
                _signal_group(r.proc, signal.SIGKILL)
                r.proc.wait()
            r.log.close()
        for r in order:
            _signal_group(r.proc, signal.SIGKILL)  # children left in a node's group, if any
        self.say('all nodes stopped')


def stop_process_group(proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Stop one process started in its own session: SIGINT to its group, then SIGKILL.

    For a ``dreamstride`` command run as a child (benchmarks, tests), which on SIGINT
    stops its own nodes in order.
    """
    if proc.poll() is not None:
        return
    _signal_group(proc, signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
        proc.wait()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path, lines: int) -> list[str]:
    try:
        return path.read_text(errors='replace').splitlines()[-lines:]
    except OSError:
        return []
