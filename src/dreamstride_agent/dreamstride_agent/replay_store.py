"""The replay store: agent steps as rosbag2 MCAP segments on disk (no rclpy).

Layout under ``replay_dir``::

    open/<segment>/        the segment being written (not a complete bag yet)
    <segment>/             closed segments: standalone rosbag2 bags (metadata.yaml + .mcap)
    quarantine/<segment>/  segments that could not be closed or read, kept for inspection

A segment is written under ``open/`` and renamed into place when closed, so a reader
never sees a half-written bag under ``replay_dir`` itself. Segment names sort in
creation order. Steps are stored as the CDR bytes rclpy received, so recording costs
no conversion; reading uses the rosbags library with the installed Step definition.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import os
from pathlib import Path
import shutil
import time

import numpy as np
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

STEP_TYPE = 'dreamstride_msgs/msg/Step'
STEPS_TOPIC = 'steps'
OPEN_DIR = 'open'
QUARANTINE_DIR = 'quarantine'
_NOT_SEGMENTS = {OPEN_DIR, QUARANTINE_DIR}


class SegmentError(RuntimeError):
    """A replay segment that cannot be used; the message names the segment and why."""


def _msg_dir() -> Path:
    """Directory holding the installed dreamstride_msgs .msg files."""
    from ament_index_python.packages import get_package_share_directory
    return Path(get_package_share_directory('dreamstride_msgs')) / 'msg'


def make_typestore(msg_dir: Path | None = None) -> Typestore:
    """Return a rosbags typestore that knows ROS 2's standard types and dreamstride_msgs."""
    store = get_typestore(Stores.ROS2_KILTED)
    types = {}
    for path in sorted((msg_dir or _msg_dir()).glob('*.msg')):
        types.update(get_types_from_msg(path.read_text(), f'dreamstride_msgs/msg/{path.stem}'))
    store.register(types)
    return store


def list_segments(replay_dir: Path | str) -> list[Path]:
    """Return the closed segments of a replay store in creation order."""
    root = Path(replay_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name not in _NOT_SEGMENTS
                  and (p / 'metadata.yaml').is_file())


class SegmentWriter:
    """Write one segment of CDR-serialized Step messages; close() makes it a closed bag."""

    def __init__(self, replay_dir: Path | str, name: str, typestore: Typestore,
                 topic: str = STEPS_TOPIC) -> None:
        self.replay_dir = Path(replay_dir)
        self.name = name
        self.open_path = self.replay_dir / OPEN_DIR / name
        self.final_path = self.replay_dir / name
        self.open_path.parent.mkdir(parents=True, exist_ok=True)
        if self.open_path.exists():
            shutil.rmtree(self.open_path)
        self._writer = Writer(self.open_path, version=9, storage_plugin=StoragePlugin.MCAP)
        self._writer.open()
        self._connection = self._writer.add_connection(topic, STEP_TYPE, typestore=typestore)
        self.count = 0
        self.first_seq: int | None = None
        self.last_seq: int | None = None
        self.opened_at = time.monotonic()

    def write(self, data: bytes, timestamp_ns: int, seq: int) -> None:
        """Append one serialized Step."""
        self._writer.write(self._connection, timestamp_ns, data)
        self.count += 1
        if self.first_seq is None:
            self.first_seq = seq
        self.last_seq = seq

    def close(self) -> Path:
        """Finish the bag (metadata.yaml), flush it to disk and move it into the store."""
        self._writer.close()
        for path in self.open_path.iterdir():
            with open(path, 'rb') as handle:
                os.fsync(handle.fileno())
        os.rename(self.open_path, self.final_path)
        fd = os.open(self.replay_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return self.final_path

    def discard(self) -> None:
        """Delete an unfinished segment whose steps the caller still holds (a write error).

        Nothing is kept: on a full disk each retry would otherwise leave one more partial
        copy of the same steps behind, taking up the space that frees up.
        """
        try:
            self._writer.abort()
        except Exception:  # noqa: BLE001 - the writer is already broken; just let go of it
            pass
        shutil.rmtree(self.open_path, ignore_errors=True)


def quarantine(replay_dir: Path, path: Path) -> Path | None:
    """Move ``path`` into the store's quarantine directory; return where it went."""
    if not path.exists():
        return None
    target = Path(replay_dir) / QUARANTINE_DIR / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = 0
    while target.exists():
        suffix += 1
        target = target.with_name(f'{path.name}.{suffix}')
    os.rename(path, target)
    return target


@dataclass
class StepRecord:
    """One stored step as plain numpy data (what the learner feeds its replay)."""

    run_id: str
    seq: int
    episode_id: int
    stamp_ns: int
    observation: np.ndarray
    action: np.ndarray
    reward: float
    is_first: bool
    is_last: bool
    is_terminal: bool
    policy_version: int
    hold: bool
    image: np.ndarray | None
    forward_velocity: float = 0.0
    reward_terms: tuple[float, ...] = ()


def read_segment(path: Path | str, typestore: Typestore) -> list[StepRecord]:
    """Read every Step of a closed segment, checking it holds our Step definition.

    Raises SegmentError naming the segment and the problem when the bag cannot be
    opened or read, or when it stores Steps of another message definition.
    """
    path = Path(path)
    expected_hash = typestore.hash_rihs01(STEP_TYPE)
    records: list[StepRecord] = []
    try:
        with Reader(path) as reader:
            connections = [c for c in reader.connections if c.msgtype == STEP_TYPE]
            if not connections:
                raise SegmentError(f'{path.name}: holds no {STEP_TYPE} messages')
            for connection in connections:
                # RIHS01: ROS 2's hash of the full type description, stored per connection.
                if connection.digest != expected_hash:
                    raise SegmentError(
                        f'{path.name}: stores {STEP_TYPE} of another message definition '
                        '(recorded with a different dreamstride_msgs version)')
            for _, timestamp, raw in reader.messages(connections=connections):
                records.append(_record(typestore.deserialize_cdr(raw, STEP_TYPE), timestamp))
    except SegmentError:
        raise
    except Exception as exc:  # any failure of a foreign file is reported, not raised raw
        raise SegmentError(f'{path.name}: cannot be read ({type(exc).__name__}: {exc})') from exc
    return records


def _record(msg, timestamp: int) -> StepRecord:
    image = None
    if msg.image.width and msg.image.height:
        image = np.frombuffer(bytes(msg.image.data), dtype=np.uint8).reshape(
            msg.image.height, msg.image.width, -1)
    return StepRecord(
        run_id=msg.run_id, seq=int(msg.seq), episode_id=int(msg.episode_id), stamp_ns=timestamp,
        observation=np.asarray(msg.observation, dtype=np.float32),
        action=np.asarray(msg.action, dtype=np.float32), reward=float(msg.reward),
        is_first=bool(msg.is_first), is_last=bool(msg.is_last),
        is_terminal=bool(msg.is_terminal), policy_version=int(msg.policy_version),
        hold=bool(msg.hold), image=image, forward_velocity=float(msg.forward_velocity),
        reward_terms=tuple(float(x) for x in msg.reward_terms))


def iter_store(replay_dir: Path | str, typestore: Typestore, skip: set[str] | None = None
               ) -> Iterator[tuple[Path, list[StepRecord] | SegmentError]]:
    """Yield (segment, records or the SegmentError) for each closed segment not in ``skip``."""
    for segment in list_segments(replay_dir):
        if skip and segment.name in skip:
            continue
        try:
            yield segment, read_segment(segment, typestore)
        except SegmentError as exc:
            yield segment, exc
