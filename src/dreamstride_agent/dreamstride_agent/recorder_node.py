"""Replay recorder: stores every agent Step in rosbag2 MCAP segments under replay_dir.

Steps arrive over a reliable topic as CDR bytes and are written unchanged. A segment
is closed (and becomes a standalone bag) after ``segment_steps`` steps, after
``segment_seconds``, or when no step arrived for ``idle_close_seconds``. The steps of
the open segment are also kept in memory until it is closed, so a write error (full
disk, read-only or vanished directory) loses nothing: the partial segment is deleted
(a copy of steps that are still in memory), the steps wait, and the recorder retries
until writing works.
"""

from __future__ import annotations

import os
from pathlib import Path
import time
import uuid

from dreamstride_agent.graph_names import RECORDER_STATUS, STATUS_QOS, STEP_QOS, STEPS
from dreamstride_agent.params import Param, declare
from dreamstride_agent.replay_store import (
    OPEN_DIR,
    SegmentError,
    SegmentWriter,
    list_segments,
    make_typestore,
    quarantine,
    read_segment,
)
from dreamstride_msgs.msg import RecorderStatus, Step
import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.serialization import deserialize_message

PARAMS = [
    Param('replay_dir', 'replay', 'Directory of the replay store (created if missing).'),
    Param('segment_steps', 200, 'Close a segment after this many steps.'),
    Param('segment_seconds', 30.0, 'Close a segment after this many seconds (wall clock).'),
    Param('idle_close_seconds', 2.0,
          'Close the open segment when no step arrived for this long (agent stopped).'),
    Param('max_pending_steps', 200000,
          'Steps kept in memory while the store is not writable; beyond this the oldest '
          'are dropped and counted as missing.'),
]


class ReplayRecorder(Node):
    """Subscribe to steps and write them as closed rosbag2 segments."""

    def __init__(self) -> None:
        super().__init__('replay_recorder')
        self.p = declare(self, PARAMS)
        self.replay_dir = Path(self.p['replay_dir']).expanduser().resolve()
        self.typestore = make_typestore()
        self.session = time.strftime('%Y%m%dT%H%M%S') + '_' + uuid.uuid4().hex[:6]
        self._segment_index = 0
        self._writer: SegmentWriter | None = None
        self._pending: list[tuple[bytes, int, int]] = []   # (cdr, stamp ns, seq) not yet closed
        self._in_writer = 0                               # how many of _pending the writer holds
        self._last_step_time = time.monotonic()
        self._last_seq: dict[str, int] = {}
        self.status = RecorderStatus(replay_dir=str(self.replay_dir), writable=True)
        self._recover_open_segments()
        self._resume_sequences()
        self._status_pub = self.create_publisher(RecorderStatus, RECORDER_STATUS, STATUS_QOS)
        self.create_subscription(Step, STEPS, self._on_step, STEP_QOS, raw=True)
        self.create_timer(0.5, self._housekeeping)
        self.create_timer(1.0, self._publish_status)
        self.get_logger().info(f'recording {STEPS} into {self.replay_dir}')

    # --- incoming steps -----------------------------------------------------
    def _on_step(self, data: bytes) -> None:
        msg = deserialize_message(data, Step)
        self.status.steps_received += 1
        last = self._last_seq.get(msg.run_id)
        if last is not None and msg.seq != last + 1:
            if msg.seq > last + 1:
                missing = msg.seq - last - 1
                self.status.sequence_gaps += 1
                self.status.steps_missing += missing
                self.get_logger().warning(
                    f'sequence gap in run {msg.run_id}: {missing} steps missing '
                    f'after seq {last}')
            else:
                self.get_logger().warning(
                    f'run {msg.run_id}: seq went back from {last} to {msg.seq}')
        self._last_seq[msg.run_id] = msg.seq
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        self._pending.append((bytes(data), stamp, int(msg.seq)))
        self._last_step_time = time.monotonic()
        overflow = len(self._pending) - self.p['max_pending_steps']
        if overflow > 0 and self._writer is None:
            del self._pending[:overflow]
            self.status.steps_missing += overflow
        self._write_pending()
        if self._writer is not None and self._writer.count >= self.p['segment_steps']:
            self._close_segment()

    # --- writing ------------------------------------------------------------
    def _write_pending(self) -> None:
        try:
            if self._writer is None:
                if not self._pending:
                    return
                self._segment_index += 1
                name = f'{self.session}_{self._segment_index:05d}'
                self._writer = SegmentWriter(self.replay_dir, name, self.typestore)
                self._in_writer = 0
            for data, stamp, seq in self._pending[self._in_writer:]:
                self._writer.write(data, stamp, seq)
            self._in_writer = len(self._pending)
        except OSError as exc:
            self._write_failed(exc)

    def _close_segment(self) -> None:
        if self._writer is None:
            return
        try:
            path = self._writer.close()
        except OSError as exc:
            self._write_failed(exc)
            return
        self.status.steps_closed += self._writer.count
        self.status.segments_closed += 1
        self.status.last_segment = str(path)
        del self._pending[:self._in_writer]
        self._writer = None
        self._in_writer = 0
        if not self.status.writable:
            self.get_logger().info(f'replay store writable again: {path.name} closed')
        self.status.writable = True
        self.status.last_error = ''

    def _write_failed(self, exc: OSError) -> None:
        error = f'{exc.strerror or exc} ({self.replay_dir})'
        if self.status.writable or error != self.status.last_error:
            self.get_logger().error(
                f'cannot write the replay store: {error}; keeping {len(self._pending)} steps '
                'in memory and retrying every second')
        self.status.writable = False
        self.status.last_error = error
        if self._writer is not None:
            self._writer.discard()      # every step it held is still in _pending
            self._writer = None
        self._in_writer = 0

    def _recover_open_segments(self) -> None:
        """Report segments a previous recorder left open (it was killed) and quarantine them."""
        open_dir = self.replay_dir / OPEN_DIR
        if not open_dir.is_dir():
            return
        for path in sorted(open_dir.iterdir()):
            where = quarantine(self.replay_dir, path)
            self.get_logger().warning(
                f'segment {path.name} was left open by a recorder that stopped without closing '
                f'it; its steps were not acknowledged (the sequence gap shows how many). Moved '
                f'to {where}')

    def _resume_sequences(self) -> None:
        """Start each run's sequence from the newest closed segment of the store.

        A recorder restarted while an agent keeps running then counts the steps lost
        across the restart (those of the segment the previous recorder left open, and
        those sent while no recorder listened) as a sequence gap, like any other loss.
        """
        for segment in reversed(list_segments(self.replay_dir)):
            try:
                records = read_segment(segment, self.typestore)
            except SegmentError as exc:
                self.get_logger().warning(f'skipping unreadable segment: {exc}')
                continue
            for r in records:
                self._last_seq[r.run_id] = max(r.seq, self._last_seq.get(r.run_id, r.seq))
            if records:
                runs = ', '.join(f'{run} at seq {seq}' for run, seq in self._last_seq.items())
                self.get_logger().info(f'store ends {runs} ({segment.name})')
                return

    # --- timers -------------------------------------------------------------
    def _housekeeping(self) -> None:
        now = time.monotonic()
        if self._writer is None and self._pending:
            self._write_pending()   # retry after a write error
        if self._writer is None:
            return
        idle = now - self._last_step_time > self.p['idle_close_seconds']
        old = now - self._writer.opened_at > self.p['segment_seconds']
        if idle or old:
            self._close_segment()

    def _publish_status(self) -> None:
        self.status.header.stamp = self.get_clock().now().to_msg()
        self.status.steps_pending = len(self._pending)
        self._status_pub.publish(self.status)

    def close(self) -> None:
        """Close the open segment (on shutdown)."""
        self._write_pending()
        self._close_segment()


def main(args: list[str] | None = None) -> None:
    """Run the replay recorder until shut down; close the open segment on the way out."""
    rclpy.init(args=args)
    node = ReplayRecorder()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.close()
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == '__main__':
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    main()
