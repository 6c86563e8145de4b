# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""RecorderCore without DDS or a subprocess: write errors, rotation, gaps, resume."""

from __future__ import annotations

import errno
from pathlib import Path

from dreamstride_agent.recording.recorder_core import (
    IncomingStep,
    RecorderCore,
    RecorderSettings,
)
from dreamstride_agent.recording.replay_store import (
    OPEN_DIR,
    QUARANTINE_DIR,
    SegmentWriter,
    list_segments,
    make_typestore,
    read_segment,
)
from dreamstride_msgs.msg import RecorderStatus, Step
import pytest
from rclpy.serialization import serialize_message


class Clock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(scope='module')
def typestore():
    return make_typestore()


def incoming(seq: int, run_id: str = 'run1') -> IncomingStep:
    msg = Step(seq=seq, run_id=run_id, observation=[float(seq)] * 16, action=[0.5] * 12)
    msg.header.stamp.sec = seq
    return IncomingStep(serialize_message(msg), run_id, seq, seq * 1_000_000_000)


class Recorder:
    """A RecorderCore with a hand clock, its log lines and a look at its store."""

    def __init__(self, replay: Path, typestore, writer_factory=SegmentWriter, **settings) -> None:
        self.replay, self.clock, self.logs = replay, Clock(), []
        self.core = RecorderCore(
            replay,
            typestore,
            RecorderSettings(**settings),
            clock=self.clock,
            session='S',
            log=lambda level, msg: self.logs.append((level, msg)),
            writer_factory=writer_factory,
        )
        self.typestore = typestore

    def send(self, seqs, run_id: str = 'run1', dt: float = 0.05) -> None:
        for seq in seqs:
            self.core.on_step(incoming(seq, run_id))
            self.clock.t += dt

    def stored(self) -> list[int]:
        return [r.seq for s in list_segments(self.replay) for r in read_segment(s, self.typestore)]

    def lines(self, text: str) -> list[str]:
        return [msg for _, msg in self.logs if text in msg]


# --- rotation ------------------------------------------------------------------------
def test_segments_rotate_by_steps(tmp_path, typestore):
    rec = Recorder(tmp_path, typestore, segment_steps=10, idle_close_seconds=100.0)
    rec.send(range(25))
    s = rec.core.snapshot()
    assert (s.segments_closed, s.steps_closed, s.steps_pending) == (2, 20, 5)
    assert [len(read_segment(p, typestore)) for p in list_segments(tmp_path)] == [10, 10]
    assert Path(s.last_segment).name == 'S_00002'
    rec.core.close()
    assert rec.stored() == list(range(25)) and rec.core.snapshot().steps_pending == 0
    assert not any((tmp_path / OPEN_DIR).iterdir())


def test_segments_rotate_by_seconds_while_steps_keep_coming(tmp_path, typestore):
    rec = Recorder(
        tmp_path, typestore, segment_steps=1000, segment_seconds=5.0, idle_close_seconds=2.0
    )
    for seq in range(10):
        rec.send([seq], dt=1.0)  # never idle: a step every second
        rec.core.housekeeping()
    # Opened at step 0 (t0); closed by the first housekeeping more than 5 s later.
    assert rec.core.snapshot().segments_closed == 1
    assert [len(read_segment(p, typestore)) for p in list_segments(tmp_path)] == [6]


def test_an_idle_segment_is_closed(tmp_path, typestore):
    rec = Recorder(tmp_path, typestore, segment_steps=1000, idle_close_seconds=2.0)
    rec.send(range(3), dt=0.0)
    last_step = rec.clock.t
    rec.core.housekeeping(last_step + 1.9)
    assert rec.core.snapshot().segments_closed == 0
    rec.core.housekeeping(last_step + 2.1)
    s = rec.core.snapshot()
    assert (s.segments_closed, s.steps_closed, s.steps_pending) == (1, 3, 0)
    rec.core.housekeeping(last_step + 10.0)  # nothing open: nothing more closed
    assert rec.core.snapshot().segments_closed == 1 and rec.stored() == [0, 1, 2]


# --- sequence numbers ----------------------------------------------------------------
def test_gaps_are_counted_per_run(tmp_path, typestore):
    rec = Recorder(tmp_path, typestore)
    rec.send(range(5))
    rec.send(range(3), run_id='run2')  # another run interleaved: no gap
    rec.send([8, 9])
    rec.send([3], run_id='run2')
    s = rec.core.snapshot()
    assert (s.steps_received, s.sequence_gaps, s.steps_missing) == (11, 1, 3)
    assert rec.lines('sequence gap') == ['sequence gap in run run1: 3 steps missing after seq 4']


def test_seq_going_back_is_logged_not_counted(tmp_path, typestore):
    rec = Recorder(tmp_path, typestore)
    rec.send([0, 1, 2, 3, 4, 5, 2, 3])
    s = rec.core.snapshot()
    assert (s.sequence_gaps, s.steps_missing, s.steps_received) == (0, 0, 8)
    assert rec.lines('went back') == ['run run1: seq went back from 5 to 2']
    rec.core.close()
    # Every step is kept (the bag orders them by stamp, which follows seq here).
    assert rec.stored() == [0, 1, 2, 2, 3, 3, 4, 5]


def test_resume_from_the_newest_readable_closed_segment(tmp_path, typestore):
    first = Recorder(tmp_path, typestore, segment_steps=10)
    first.send(range(10))
    first.send(range(4), run_id='run2')
    first.core.close()  # S_00001: run1 0..9, S_00002: run2 0..3
    assert len(list_segments(tmp_path)) == 2
    broken = SegmentWriter(tmp_path, 'S_00003', typestore)  # newest, but truncated
    broken.write(incoming(99).data, 0, 99)
    mcap = next(broken.close().glob('*.mcap'))
    mcap.write_bytes(mcap.read_bytes()[:100])
    rec = Recorder(tmp_path, typestore)
    assert rec.core.last_seq == {'run2': 3}  # only the newest readable segment counts
    assert rec.lines('skipping unreadable segment: S_00003: cannot be read')
    assert rec.lines('store ends run2 at seq 3 (S_00002)')
    rec.send([6], run_id='run2')  # 4 and 5 were lost across the restart
    s = rec.core.snapshot()
    assert (s.sequence_gaps, s.steps_missing) == (1, 2)


def test_a_segment_left_open_is_quarantined(tmp_path, typestore):
    killed = SegmentWriter(tmp_path, 'old_00007', typestore)  # a recorder killed mid-segment
    for seq in range(3):
        killed.write(incoming(seq).data, seq, seq)
    rec = Recorder(tmp_path, typestore)
    assert not any((tmp_path / OPEN_DIR).iterdir())
    assert [p.name for p in (tmp_path / QUARANTINE_DIR).iterdir()] == ['old_00007']
    assert rec.lines('segment old_00007 was left open by a recorder that stopped')
    assert list_segments(tmp_path) == [] and rec.core.last_seq == {}


# --- write errors --------------------------------------------------------------------
def test_unwritable_store_keeps_every_step_until_it_works(tmp_path, typestore):
    blocker = tmp_path / 'not_a_dir'
    blocker.write_text('a file where the replay directory should be')
    replay = blocker / 'replay'
    rec = Recorder(replay, typestore, segment_steps=20, idle_close_seconds=0.5)
    rec.send(range(30))
    rec.core.housekeeping()  # retries fail the same way: logged once
    s = rec.core.snapshot()
    assert not s.writable and 'Not a directory' in s.last_error and s.steps_pending == 30
    assert len(rec.lines('cannot write the replay store')) == 1
    blocker.unlink()
    rec.core.housekeeping()  # the retry writes all 30 steps
    rec.core.housekeeping(rec.clock.t + 1.0)  # and the idle close closes them
    s = rec.core.snapshot()
    assert s.writable and s.last_error == '' and (s.steps_closed, s.steps_pending) == (30, 0)
    assert rec.lines('replay store writable again: S_')
    assert rec.stored() == list(range(30))


class FullDisk(SegmentWriter):
    """A SegmentWriter on a disk that is full while ``FullDisk.full`` is set."""

    full = False

    def _check(self) -> None:
        if FullDisk.full:
            raise OSError(errno.ENOSPC, 'No space left on device')

    def write(self, data: bytes, timestamp_ns: int, seq: int) -> None:
        self._check()
        super().write(data, timestamp_ns, seq)

    def close(self) -> Path:
        self._check()
        return super().close()


@pytest.fixture
def full_disk():
    FullDisk.full = False
    yield FullDisk
    FullDisk.full = False


def test_full_disk_loses_no_step_and_recovers(tmp_path, typestore, full_disk):
    rec = Recorder(
        tmp_path, typestore, writer_factory=full_disk, segment_steps=10, idle_close_seconds=0.5
    )
    rec.send(range(5))
    full_disk.full = True
    rec.send(range(5, 12))  # the 6th write fails, then every retry
    rec.core.housekeeping()
    s = rec.core.snapshot()
    assert not s.writable and s.last_error.startswith('No space left on device')
    assert s.steps_pending == 12 and s.steps_closed == 0
    assert not any((tmp_path / OPEN_DIR).iterdir())  # no partial copy takes up space
    assert rec.lines('cannot write the replay store') == [
        f'cannot write the replay store: No space left on device ({tmp_path}); keeping 6 '
        'steps in memory and retrying every second'
    ]
    full_disk.full = False
    rec.core.housekeeping()  # writes the 12 pending steps
    full_disk.full = True
    rec.core.housekeeping(rec.clock.t + 1.0)  # closing fails too: steps stay pending
    assert rec.core.snapshot().steps_pending == 12 and list_segments(tmp_path) == []
    full_disk.full = False
    rec.send([12])  # 13 >= segment_steps: closed
    s = rec.core.snapshot()
    assert s.writable and (s.steps_closed, s.steps_pending, s.segments_closed) == (13, 0, 1)
    assert rec.stored() == list(range(13))
    assert RecorderStatus(**vars(s)).steps_closed == 13  # the node's message takes it


def test_max_pending_steps_drops_the_oldest_and_counts_them(tmp_path, typestore, full_disk):
    rec = Recorder(
        tmp_path, typestore, writer_factory=full_disk, max_pending_steps=5, idle_close_seconds=0.5
    )
    full_disk.full = True
    rec.send(range(8))
    s = rec.core.snapshot()
    assert (s.steps_pending, s.steps_missing, s.sequence_gaps) == (5, 3, 0)
    full_disk.full = False
    rec.core.housekeeping()
    rec.core.housekeeping(rec.clock.t + 1.0)
    assert rec.stored() == [3, 4, 5, 6, 7]
    assert rec.core.snapshot().steps_closed == 5
