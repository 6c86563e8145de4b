# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The replay recorder's work without ROS: buffer steps, write segments, count losses.

RecorderCore takes each Step as its CDR bytes plus the few fields it needs, writes them
into rosbag2 MCAP segments under ``replay_dir`` and closes a segment (it becomes a
standalone bag) after ``segment_steps`` steps, after ``segment_seconds``, or when no step
arrived for ``idle_close_seconds``. The steps of the open segment are also kept in memory
until it is closed, so a write error (full disk, read-only or vanished directory) loses
nothing: the partial segment is deleted (a copy of steps that are still in memory), the
steps wait, and housekeeping() retries until writing works.

Time comes from an injected clock (seconds) and everything the node should say goes to an
injected log, so all of this runs in a test without DDS or a subprocess. The node
(recorder_node.py) only turns messages into calls and ``status`` into a RecorderStatus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
import time
import uuid

from dreamstride_agent.config_fields import described, description_of, range_of
from dreamstride_agent.recording.replay_store import (
    OPEN_DIR,
    SegmentError,
    SegmentWriter,
    list_segments,
    quarantine,
    read_segment,
)
from rosbags.typesys.store import Typestore
from spot_description.parameters import ParameterSpec

Log = Callable[[str, str], None]
WriterFactory = Callable[[Path, str, Typestore], SegmentWriter]


@dataclass
class RecorderSettings:
    """What the recorder node's parameters configure (see :func:`recorder_parameters`)."""

    segment_steps: int = described('Close a segment after this many steps.', 200)
    segment_seconds: float = described(
        'Close a segment after this many seconds (wall clock).', 30.0
    )
    idle_close_seconds: float = described(
        'Close the open segment when no step arrived for this long (agent stopped).', 2.0
    )
    max_pending_steps: int = described(
        'Steps kept in memory while the store is not writable; beyond this the oldest '
        'are dropped and counted as missing.',
        200000,
    )


# The store's directory: a node parameter, given to RecorderCore beside its settings.
REPLAY_DIR = ParameterSpec(
    'replay_dir', 'replay', 'Directory of the replay store (created if missing).'
)


def recorder_parameters() -> list[ParameterSpec]:
    """Return the recorder node's parameters, defaults and descriptions from the fields."""
    defaults = RecorderSettings()
    return [REPLAY_DIR] + [
        ParameterSpec(
            f.name,
            getattr(defaults, f.name),
            description_of(RecorderSettings, f.name),
            range=range_of(RecorderSettings, f.name),
        )
        for f in fields(RecorderSettings)
    ]


def recorder_settings_from_parameters(values: dict) -> RecorderSettings:
    """Build RecorderSettings from the recorder's parameter values (others are ignored)."""
    return RecorderSettings(**{f.name: values[f.name] for f in fields(RecorderSettings)})


@dataclass
class RecorderCounters:
    """The numbers RecorderStatus carries (same names)."""

    replay_dir: str = ''
    writable: bool = True
    last_error: str = ''
    last_segment: str = ''
    steps_received: int = 0
    steps_closed: int = 0
    segments_closed: int = 0
    sequence_gaps: int = 0
    steps_missing: int = 0
    steps_pending: int = 0


@dataclass(frozen=True)
class IncomingStep:
    """One Step as received: its CDR bytes and the fields the recorder needs."""

    data: bytes
    run_id: str
    seq: int
    stamp_ns: int


def _default_log(level: str, message: str) -> None:
    print(f'[{level}] {message}', flush=True)


class RecorderCore:
    """Write incoming steps as closed rosbag2 segments; never lose one to a write error."""

    def __init__(
        self,
        replay_dir: Path,
        typestore: Typestore,
        settings: RecorderSettings,
        clock: Callable[[], float] = time.monotonic,
        log: Log = _default_log,
        session: str | None = None,
        writer_factory: WriterFactory = SegmentWriter,
    ) -> None:
        self.replay_dir = Path(replay_dir)
        self.typestore = typestore
        self.s = settings
        self.clock = clock
        self.log = log
        # Segment names sort in creation order: start time first, then a random part.
        self.session = session or time.strftime('%Y%m%dT%H%M%S') + '_' + uuid.uuid4().hex[:6]
        self._new_writer = writer_factory
        self._segment_index = 0
        self._writer: SegmentWriter | None = None
        self._opened_at = 0.0  # clock() when _writer was made
        self._pending: list[tuple[bytes, int, int]] = []  # (cdr, stamp ns, seq) not yet closed
        self._in_writer = 0  # how many of _pending the writer holds
        self._last_step_time = clock()
        self._last_seq: dict[str, int] = {}
        self.status = RecorderCounters(replay_dir=str(self.replay_dir))
        self._recover_open_segments()
        self._resume_sequences()

    @property
    def last_seq(self) -> dict[str, int]:
        """The last seq seen of each run (resumed from the store at start)."""
        return dict(self._last_seq)

    def snapshot(self) -> RecorderCounters:
        """Return a copy of the status numbers, steps_pending up to date."""
        self.status.steps_pending = len(self._pending)
        return RecorderCounters(**vars(self.status))

    # --- incoming steps -----------------------------------------------------
    def on_step(self, step: IncomingStep) -> None:
        """Take one received step: count gaps, buffer it, write it, close a full segment."""
        self.status.steps_received += 1
        self._count_sequence(step.run_id, step.seq)
        self._pending.append((bytes(step.data), step.stamp_ns, int(step.seq)))
        self._last_step_time = self.clock()
        overflow = len(self._pending) - self.s.max_pending_steps
        if overflow > 0 and self._writer is None:
            # Only while the store is not writable: the oldest steps go, counted as missing.
            del self._pending[:overflow]
            self.status.steps_missing += overflow
        self._write_pending()
        if self._writer is not None and self._writer.count >= self.s.segment_steps:
            self._close_segment()

    def _count_sequence(self, run_id: str, seq: int) -> None:
        last = self._last_seq.get(run_id)
        if last is not None and seq != last + 1:
            if seq > last + 1:
                missing = seq - last - 1
                self.status.sequence_gaps += 1
                self.status.steps_missing += missing
                self.log(
                    'warning',
                    f'sequence gap in run {run_id}: {missing} steps missing after seq {last}',
                )
            else:
                self.log('warning', f'run {run_id}: seq went back from {last} to {seq}')
        self._last_seq[run_id] = seq

    # --- writing ------------------------------------------------------------
    def _write_pending(self) -> None:
        try:
            if self._writer is None:
                if not self._pending:
                    return
                self._segment_index += 1
                name = f'{self.session}_{self._segment_index:05d}'
                self._writer = self._new_writer(self.replay_dir, name, self.typestore)
                self._opened_at = self.clock()
                self._in_writer = 0
            for data, stamp, seq in self._pending[self._in_writer :]:
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
        del self._pending[: self._in_writer]
        self._writer = None
        self._in_writer = 0
        if not self.status.writable:
            self.log('info', f'replay store writable again: {path.name} closed')
        self.status.writable = True
        self.status.last_error = ''

    def _write_failed(self, exc: OSError) -> None:
        error = f'{exc.strerror or exc} ({self.replay_dir})'
        if self.status.writable or error != self.status.last_error:
            self.log(
                'error',
                f'cannot write the replay store: {error}; keeping '
                f'{len(self._pending)} steps in memory and retrying every second',
            )
        self.status.writable = False
        self.status.last_error = error
        if self._writer is not None:
            self._writer.discard()  # every step it held is still in _pending
            self._writer = None
        self._in_writer = 0

    # --- start-up -----------------------------------------------------------
    def _recover_open_segments(self) -> None:
        """Report segments a previous recorder left open (it was killed) and quarantine them."""
        open_dir = self.replay_dir / OPEN_DIR
        if not open_dir.is_dir():
            return
        for path in sorted(open_dir.iterdir()):
            where = quarantine(self.replay_dir, path)
            self.log(
                'warning',
                f'segment {path.name} was left open by a recorder that stopped without '
                f'closing it; its steps were not acknowledged (the sequence gap shows how '
                f'many). Moved to {where}',
            )

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
                self.log('warning', f'skipping unreadable segment: {exc}')
                continue
            for r in records:
                self._last_seq[r.run_id] = max(r.seq, self._last_seq.get(r.run_id, r.seq))
            if records:
                runs = ', '.join(f'{run} at seq {seq}' for run, seq in self._last_seq.items())
                self.log('info', f'store ends {runs} ({segment.name})')
                return

    # --- timers -------------------------------------------------------------
    def housekeeping(self, now: float | None = None) -> None:
        """Retry after a write error; close a segment that is idle or old enough."""
        now = self.clock() if now is None else now
        if self._writer is None and self._pending:
            self._write_pending()  # retry after a write error
        if self._writer is None:
            return
        idle = now - self._last_step_time > self.s.idle_close_seconds
        old = now - self._opened_at > self.s.segment_seconds
        if idle or old:
            self._close_segment()

    def close(self) -> None:
        """Write what is pending and close the open segment (on shutdown)."""
        self._write_pending()
        self._close_segment()
