# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""End to end: MuJoCo backend, agent, recorder and learner as separate real processes.

Within about two minutes the recorder has closed segments holding every step, the
learner has made updates and pushed policies, the agent acts with them, TensorBoard
has the scalars; a learner killed with SIGKILL stops neither the agent nor the
recorder, and a restarted learner resumes from its checkpoint and the store.
"""

from pathlib import Path
import signal
import sys
import time

from dreamstride_agent.learning_topics import (
    AGENT_STATUS,
    LEARNER_STATUS,
    RECORDER_STATUS,
    STATUS_QOS,
)
from dreamstride_agent.recording.replay_store import list_segments, make_typestore, read_segment
from dreamstride_msgs.msg import AgentStatus, LearnerStatus, RecorderStatus
import numpy as np
import pytest
import rclpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src/dreamstride_agent/test'))
from ros_helpers import spin_until, start_node, stop

NS = ['-r', '__ns:=/e2e']
LEARNER = {
    'model': 'tiny',
    'prefill_steps': 200,
    'sync_every': 3.0,
    'checkpoint_every': 4.0,
    'scan_every': 1.0,
    'log_every': 5,
    'image_every': 5.0,
    'torch_threads': 1,
    'use_sim_time': True,
}


@pytest.fixture
def node():
    rclpy.init()
    n = rclpy.create_node('e2e_observer', namespace='e2e')
    yield n
    n.destroy_node()
    rclpy.shutdown()


class Latest:
    def __init__(self, node, msg_type, topic):
        self.msg = None
        node.create_subscription(msg_type, topic, self._set, STATUS_QOS)

    def _set(self, msg):
        self.msg = msg


def test_learning_system_end_to_end(node, tmp_path, ros_env):
    replay, logdir = tmp_path / 'replay', tmp_path / 'learner'
    procs = {}

    def start(name, module, params):
        procs[name] = start_node(
            module,
            params,
            ros_env,
            tmp_path / f'{name}.log',
            ros_args=NS + ['-r', f'__node:={name}'],
        )
        return procs[name]

    agent_status = Latest(node, AgentStatus, AGENT_STATUS)
    recorder_status = Latest(node, RecorderStatus, RECORDER_STATUS)
    learner_status = Latest(node, LearnerStatus, LEARNER_STATUS)
    learner_params = {**LEARNER, 'replay_dir': str(replay), 'logdir': str(logdir)}
    try:
        start('spot_mujoco', 'spot_mujoco.sim_node', {'real_time_factor': 0.0})
        start(
            'agent',
            'dreamstride_agent.acting.agent_node',
            {'use_sim_time': True, 'seed': 1, 'wait_for_recorder': True},
        )
        start(
            'replay_recorder',
            'dreamstride_agent.recording.recorder_node',
            {
                'replay_dir': str(replay),
                'segment_steps': 100,
                'idle_close_seconds': 1.0,
                'use_sim_time': True,
            },
        )
        start('learner', 'dreamstride_agent.learning.learner_node', learner_params)
        live = list(procs.values())

        # The learner trains and pushes policy versions; the agent acts with them.
        assert spin_until(
            node,
            lambda: (
                agent_status.msg is not None
                and agent_status.msg.mode == AgentStatus.MODE_POLICY
                and agent_status.msg.policy_version >= 2
            ),
            120,
            live,
        ), _logs(tmp_path)
        first = learner_status.msg
        assert first.train_step > 0 and first.replay_steps >= 200
        assert (logdir / 'checkpoint.safetensors').exists() or spin_until(
            node, lambda: (logdir / 'checkpoint.safetensors').exists(), 10, live
        )
        time.sleep(1.0)
        rclpy.spin_once(node, timeout_sec=0.1)
        version_before = learner_status.msg.policy_version

        # SIGKILL the learner: agent and recorder carry on.
        stop(procs.pop('learner'), sig=signal.SIGKILL)
        steps_then = agent_status.msg.steps
        received_then = recorder_status.msg.steps_received
        live = list(procs.values())
        assert spin_until(
            node,
            lambda: (
                agent_status.msg.steps > steps_then + 40
                and recorder_status.msg.steps_received > received_then + 40
            ),
            30,
            live,
        )
        # (at real-time factor 0 the agent may be in a short sensor hold; it keeps its policy)
        assert agent_status.msg.policy_version >= 2

        # A restarted learner resumes from its checkpoint and the store.
        from safetensors import safe_open

        with safe_open(str(logdir / 'checkpoint.safetensors'), 'pt') as f:
            checkpoint_step = int(f.metadata()['step'])
        assert checkpoint_step > 0
        start('learner', 'dreamstride_agent.learning.learner_node', learner_params)
        live = list(procs.values())
        # Wait for the new process itself (its first import of torch can take a while in a
        # fresh venv); statuses the killed learner sent may still be arriving until then.
        log = tmp_path / 'learner.log'
        assert spin_until(node, lambda: 'resumed from' in log.read_text(), 120, live), _logs(
            tmp_path
        )
        learner_status.msg = None
        assert spin_until(
            node,
            lambda: learner_status.msg is not None and learner_status.msg.state == 'training',
            60,
            live,
        ), _logs(tmp_path)
        resumed = learner_status.msg
        assert 0 < resumed.train_step and resumed.policy_version >= 1
        assert resumed.train_step >= checkpoint_step  # continues from the checkpoint
        assert spin_until(
            node, lambda: agent_status.msg.policy_version > version_before, 60, live
        ), _logs(tmp_path)
        assert 'resumed from' in (tmp_path / 'learner.log').read_text()
    finally:
        for name in ('agent', 'replay_recorder', 'learner', 'spot_mujoco'):
            if name in procs:
                stop(procs[name])

    # Every step the agent published is in a closed segment, in order, no duplicates.
    typestore = make_typestore()
    records = [r for s in list_segments(replay) for r in read_segment(s, typestore)]
    seqs = np.array([r.seq for r in records])
    assert len({r.run_id for r in records}) == 1
    assert seqs[0] == 0 and np.all(np.diff(seqs) == 1), 'sequence numbers are not contiguous'
    assert len(records) >= agent_status.msg.steps  # everything the agent reported publishing
    assert recorder_status.msg.sequence_gaps == 0
    assert max(r.policy_version for r in records) >= 2  # steps taken by learned policies

    # TensorBoard has the scalars and the open-loop image.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(logdir))
    events.Reload()
    scalars = set(events.Tags()['scalars'])
    assert {
        'train/world_model_loss',
        'train/actor_loss',
        'train/critic_loss',
        'replay/steps',
        'replay/mean_reward',
        'learner/updates_per_second',
        'policy/version',
    } <= scalars
    assert 'world_model/open_loop' in events.Tags()['images']


def _logs(tmp_path: Path) -> str:
    return '\n'.join(
        f'--- {p.name}\n' + '\n'.join(p.read_text().splitlines()[-15:])
        for p in sorted(tmp_path.glob('*.log'))
    )
