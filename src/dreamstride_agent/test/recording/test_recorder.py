# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The replay recorder writes every step into closed, standalone rosbag2 segments."""

from contextlib import contextmanager
from pathlib import Path
import shutil

from dreamstride_agent.learning_topics import RECORDER_STATUS, STATUS_QOS, STEP_QOS, STEPS
from dreamstride_agent.recording.replay_store import list_segments, make_typestore, read_segment
from dreamstride_msgs.msg import RecorderStatus, Step
import pytest
import rclpy
from ros_helpers import spin_until, start_node, stop


@pytest.fixture
def node():
    rclpy.init()
    n = rclpy.create_node('recorder_test')
    yield n
    n.destroy_node()
    rclpy.shutdown()


def make_step(seq, run_id='run1'):
    return Step(
        seq=seq,
        run_id=run_id,
        episode_id=seq // 10,
        observation=[float(seq)] * 16,
        action=[0.5] * 12,
        reward=float(seq % 7),
        is_first=seq % 10 == 0,
    )


@contextmanager
def recorder(node, replay: Path, segment_steps: int, ros_env, tmp_path: Path):
    """Start a recorder node into ``replay``; yield (process, its statuses, a Step publisher).

    It yields once the publisher is matched; on leaving, the recorder must stop cleanly.
    """
    proc = start_node(
        'dreamstride_agent.recording.recorder_node',
        {'replay_dir': str(replay), 'segment_steps': segment_steps, 'idle_close_seconds': 0.5},
        ros_env,
        tmp_path / 'recorder.log',
    )
    status: list[RecorderStatus] = []
    node.create_subscription(RecorderStatus, RECORDER_STATUS, status.append, STATUS_QOS)
    pub = node.create_publisher(Step, STEPS, STEP_QOS)
    try:
        assert spin_until(node, lambda: pub.get_subscription_count() > 0, 20, [proc])
        # Matched here does not yet mean matched at the recorder (volatile steps sent
        # before that are dropped by DDS); give discovery a moment on a busy machine.
        spin_until(node, lambda: False, 1.0, [proc])
        yield proc, status, pub
    finally:
        code = stop(proc)
    assert code == 0  # reached only when the test body passed


def read_store(replay_dir):
    ts = make_typestore()
    return [r for seg in list_segments(replay_dir) for r in read_segment(seg, ts)]


def test_recorder_writes_every_step_and_counts_gaps(node, tmp_path, ros_env):
    replay = tmp_path / 'replay'
    with recorder(node, replay, 100, ros_env, tmp_path) as (proc, status, pub):
        sent = [s for s in range(250) if not 120 <= s < 125]  # 5 steps lost on the way
        for seq in sent:
            pub.publish(make_step(seq))
        assert spin_until(
            node, lambda: status and status[-1].steps_closed == len(sent), 20, [proc]
        ), (tmp_path / 'recorder.log').read_text()
        s = status[-1]
        assert (s.sequence_gaps, s.steps_missing, s.steps_received) == (1, 5, len(sent))
        assert s.writable and s.segments_closed == 3 and s.last_error == ''
    records = read_store(replay)
    assert [r.seq for r in records] == sent
    assert records[7].observation.tolist() == [7.0] * 16 and records[7].reward == 0.0
    assert all(r.run_id == 'run1' for r in records)
    assert not any((replay / 'open').iterdir())


def test_unwritable_store_keeps_steps_until_it_works(node, tmp_path, ros_env):
    blocker = tmp_path / 'not_a_dir'
    blocker.write_text('a file where the replay directory should be')
    replay = blocker / 'replay'
    with recorder(node, replay, 50, ros_env, tmp_path) as (proc, status, pub):
        for seq in range(60):
            pub.publish(make_step(seq))
        assert spin_until(
            node,
            lambda: status and status[-1].steps_received == 60 and not status[-1].writable,
            20,
            [proc],
        )
        assert 'Not a directory' in status[-1].last_error
        assert status[-1].steps_pending == 60
        blocker.unlink()  # the store becomes writable again
        assert spin_until(
            node, lambda: status[-1].writable and status[-1].steps_closed == 60, 20, [proc]
        )
        for seq in range(60, 80):
            pub.publish(make_step(seq))
        assert spin_until(node, lambda: status[-1].steps_closed == 80, 20, [proc])
    assert [r.seq for r in read_store(replay)] == list(range(80))
    log = (tmp_path / 'recorder.log').read_text()
    assert 'cannot write the replay store' in log
    shutil.rmtree(tmp_path / 'not_a_dir', ignore_errors=True)


def test_segments_are_standalone_bags(tmp_path):
    from dreamstride_agent.recording.replay_store import SegmentWriter
    from rclpy.serialization import serialize_message
    from rosbags.rosbag2 import Reader

    writer = SegmentWriter(tmp_path, 'seg', make_typestore())
    for seq in range(10):
        writer.write(serialize_message(make_step(seq)), seq * 50_000_000, seq)
    path = writer.close()
    assert path == tmp_path / 'seg'
    with Reader(path) as reader:  # plain rosbags, no DreamStride code
        assert reader.message_count == 10
        assert [c.msgtype for c in reader.connections] == ['dreamstride_msgs/msg/Step']
    meta = (path / 'metadata.yaml').read_text()
    assert 'storage_identifier: mcap' in meta and 'version: 9' in meta


def test_foreign_or_corrupt_segments_are_refused(tmp_path):
    from dreamstride_agent.recording.replay_store import SegmentError, SegmentWriter
    from rclpy.serialization import serialize_message
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore

    # A Step of another definition (a field added), as an older/newer DreamStride wrote it.
    other = get_typestore(Stores.ROS2_KILTED)
    other.register(
        get_types_from_msg('uint64 seq\nstring run_id\nfloat32 extra', 'dreamstride_msgs/msg/Step')
    )
    writer = SegmentWriter(tmp_path, 'foreign', other)
    writer.write(b'\x00\x01\x00\x00' + bytes(20), 0, 0)
    writer.close()
    with pytest.raises(SegmentError, match='foreign: .*another message definition'):
        read_segment(tmp_path / 'foreign', make_typestore())
    # A segment whose bag file was truncated.
    writer = SegmentWriter(tmp_path, 'broken', make_typestore())
    for seq in range(20):
        writer.write(serialize_message(make_step(seq)), seq, seq)
    path = writer.close()
    mcap = next(path.glob('*.mcap'))
    mcap.write_bytes(mcap.read_bytes()[:200])
    with pytest.raises(SegmentError, match='broken: cannot be read'):
        read_segment(path, make_typestore())
