# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Is another run already using these node names? Asked before a run starts its nodes.

Two runs on one machine in the same ROS domain and namespace become one graph: each
agent takes the other learner's policies, each recorder stores the other robot's steps,
and the simulation's ratio lock counts both agents' steps and can wait for ever. (It
happened: a one-minute check run beside a training experiment left the experiment's
simulation waiting on 36,235 counted steps against a budget of 18,516.) So the
supervisor looks first: a node with the fully qualified name of one it would start,
seen in the graph within a moment of discovery, stops the start with a message that
says how to run beside it (another ROS_DOMAIN_ID or namespace).

The look runs in a child process with the run's own environment (domain, discovery
range, transports), so that it sees what the nodes will see and leaves this process's
environment alone:

    python -m dreamstride_bringup.graph_check /spot/agent /spot/learner
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import json
import subprocess
import sys
import time

# How long to listen for the graph. Discovery on one host usually takes well under a
# second, but a fresh participant on a loaded machine (Jazzy's Fast DDS, CI beside a
# training run) missed a running node within 1.5 s.
LISTEN = 3.0
# A process killed outright stays in the graph until its DDS lease runs out (Fast DDS:
# 20 s), so names seen at first get this long to leave before a start is refused.
LEAVE = 30.0


def running_nodes(
    fqns: Iterable[str], env: Mapping[str, str], listen: float = LISTEN, until_gone: float = 0.0
) -> list[str]:
    """Return the names among ``fqns`` that nodes in the graph of ``env`` already have.

    ``until_gone`` > 0: wait up to that many seconds for them to leave the graph and
    return those still there.
    """
    wanted = sorted(set(fqns))
    if not wanted:
        return []
    command = [
        sys.executable,
        '-m',
        'dreamstride_bringup.graph_check',
        f'--listen={listen}',
        f'--until-gone={until_gone}',
        *wanted,
    ]
    try:
        result = subprocess.run(
            command,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=30 + listen + until_gone,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        # The answer is printed before the ROS context is torn down; a child that hung
        # after it (seen on Jazzy) still answered.
        answer = _answer(exc.stdout)
        if answer is None:
            raise RuntimeError(
                f'could not look at the ROS graph before starting: no answer in {exc.timeout} s'
            ) from None
        return answer
    if result.returncode != 0:
        raise RuntimeError(
            'could not look at the ROS graph before starting: '
            + (result.stderr.strip().splitlines() or ['no output'])[-1]
        )
    return json.loads(result.stdout)


def _answer(stdout: str | bytes | None) -> list[str] | None:
    """Return the JSON list a graph_check child printed, or None if it printed none."""
    text = stdout.decode(errors='replace') if isinstance(stdout, bytes) else (stdout or '')
    for line in text.splitlines():
        try:
            names = json.loads(line)
        except ValueError:
            continue
        if isinstance(names, list):
            return [str(n) for n in names]
    return None


def occupied_message(names: list[str], env: Mapping[str, str]) -> str:
    """Explain a refused start: who is there and how to run beside it."""
    domain = env.get('ROS_DOMAIN_ID', '0')
    return (
        f'another run is already up in ROS domain {domain} (nodes {", ".join(names)}). '
        'Two runs with the same domain and namespace join into one graph (policies, steps '
        'and the ratio lock cross). Stop it, or run beside it with another ROS_DOMAIN_ID '
        '(e.g. ROS_DOMAIN_ID=42 dreamstride ...) or another --namespace.'
    )


def _look(wanted: list[str], listen: float, until_gone: float) -> list[str]:
    import rclpy
    from rclpy.context import Context
    from rclpy.signals import SignalHandlerOptions

    context = Context()
    rclpy.init(context=context, signal_handler_options=SignalHandlerOptions.NO)
    try:
        node = rclpy.create_node('dreamstride_graph_check', context=context)

        def present() -> set[str]:
            names = node.get_node_names_and_namespaces()
            return {f'{ns.rstrip("/")}/{name}' for name, ns in names} & set(wanted)

        start = time.monotonic()
        if until_gone > 0:
            # Let discovery fill the graph, then wait for the names to leave it.
            time.sleep(listen)
            while present() and time.monotonic() < start + listen + until_gone:
                time.sleep(0.5)
            found = present()
        else:
            found = present()
            while not found and time.monotonic() < start + listen:
                time.sleep(0.1)
                found = present()
        # The answer goes out before the teardown: on Jazzy, destroying a participant has
        # been seen to hang past the caller's timeout, which then reads it from here.
        print(json.dumps(sorted(found)), flush=True)
        node.destroy_node()
        return sorted(found)
    finally:
        rclpy.try_shutdown(context=context)


def main(argv: list[str] | None = None) -> None:
    """Print, as JSON, which of the given node names the graph already has."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('names', nargs='+', help='fully qualified node names')
    parser.add_argument('--listen', type=float, default=LISTEN)
    parser.add_argument(
        '--until-gone', type=float, default=0.0, help='wait up to S seconds for them to leave'
    )
    args = parser.parse_args(argv)
    _look(args.names, args.listen, args.until_gone)  # prints its answer itself


if __name__ == '__main__':
    main()
