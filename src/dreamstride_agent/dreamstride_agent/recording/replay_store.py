# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""The replay store: agent steps as rosbag2 MCAP segments on disk (no rclpy).

Layout under ``replay_dir``::

    open/<segment>/        the segment being written (not a complete bag yet)
    <segment>/             closed segments: standalone rosbag2 bags (metadata.yaml + .mcap)
    quarantine/<segment>/  segments that could not be closed or read, kept for inspection
    <robot>/               a robot's own store, laid out as above (several robots)

With several robots, each robot's recorder writes a store of its own under
``replay_dir/<robot>/`` (a recorder owns its store: at start it quarantines what is left
in ``open/`` and resumes its sequences from the newest segment, which two recorders
sharing one store would do to each other's). Readers (:func:`iter_store`, the learner)
take the store and every robot store directly under it; each step also names its robot
(``header.frame_id``, :attr:`StepRecord.robot`).

A segment is written under ``open/`` and renamed into place when closed, so a reader
never sees a half-written bag under ``replay_dir`` itself. Segment names sort in
creation order. Steps are stored as the CDR bytes rclpy received, so recording costs
no conversion; reading uses the rosbags library with the installed Step definition.

The store is input from disk that anyone may have written to, so reading trusts nothing:
only regular files inside the store are opened (a FIFO would block the reader for good,
a symlink could lead anywhere), and every stored step must be complete, finite and of
one StepLayout before a segment's steps are handed out. Anything else is a SegmentError
that names the segment and the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import functools
import math
import os
from pathlib import Path
import shutil
import stat
import time

from dreamstride_agent.learning_topics import STEPS
import numpy as np
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

STEP_TYPE = 'dreamstride_msgs/msg/Step'
OPEN_DIR = 'open'
QUARANTINE_DIR = 'quarantine'
_NOT_SEGMENTS = {OPEN_DIR, QUARANTINE_DIR}
# Bounds on a segment's metadata.yaml, checked before rosbags parses it: its YAML scanner
# takes seconds over a few kB of nested flow collections ('[[[...'). A segment's own is
# under 1 kB with one topic and a flow depth of 1; rosbag2's, with QoS profiles, a few kB.
MAX_METADATA_BYTES = 16 * 1024
MAX_METADATA_NESTING = 32


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


def robot_stores(replay_dir: Path | str) -> list[Path]:
    """Return the robot stores directly under ``replay_dir`` (``replay_dir/<robot>/``).

    A robot store is a real directory (a symlink is not followed) that is not itself a
    segment (no metadata.yaml) nor the store's open/ or quarantine/ directory.
    """
    root = Path(replay_dir)
    if not root.is_dir():
        return []
    stores = []
    for path in root.iterdir():
        if path.name in _NOT_SEGMENTS:
            continue
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(mode) and not os.path.lexists(path / 'metadata.yaml'):
            stores.append(path)
    return sorted(stores)


def segment_key(segment: Path, replay_dir: Path | str) -> str:
    """Return a segment's name within ``replay_dir``: ``<segment>`` or ``<robot>/<segment>``."""
    return segment.relative_to(Path(replay_dir)).as_posix()


def list_segments(replay_dir: Path | str) -> list[Path]:
    """Return the closed segments of a replay store in creation order.

    A closed segment is a directory holding a metadata.yaml entry. Symlinks are listed
    too, without following them, so that read_segment refuses (and the caller counts)
    one that leads out of the store instead of it being skipped unseen. Nothing here is
    opened or followed: a FIFO or device in the store cannot block the listing.
    """
    root = Path(replay_dir)
    if not root.is_dir():
        return []
    segments = []
    for path in root.iterdir():
        if path.name in _NOT_SEGMENTS:
            continue
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:  # removed since iterdir (quarantined, deleted)
            continue
        if stat.S_ISLNK(mode) or (stat.S_ISDIR(mode) and os.path.lexists(path / 'metadata.yaml')):
            segments.append(path)
    return sorted(segments)


class SegmentWriter:
    """Write one segment of CDR-serialized Step messages; close() makes it a closed bag."""

    def __init__(
        self, replay_dir: Path | str, name: str, typestore: Typestore, topic: str = STEPS
    ) -> None:
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
    observation_keys: str = ''
    robot: str = ''  # the robot (namespace) that took the step: Step.header.frame_id


@dataclass(frozen=True)
class StepLayout:
    """The sizes a replay trains with; every step of every accepted segment has them."""

    observation_size: int
    action_size: int
    observation_keys: str  # Step.observation_keys ('' if none)
    image_shape: tuple[int, int, int] | None = None  # (height, width, channels)

    @classmethod
    def of(cls, record: StepRecord) -> StepLayout:
        """Return the layout of one stored step."""
        return cls(
            int(record.observation.size),
            int(record.action.size),
            record.observation_keys,
            None if record.image is None else tuple(record.image.shape),
        )

    def describe(self) -> str:
        """Return the layout in words, for refusal messages."""
        image = (
            'no image'
            if self.image_shape is None
            else 'image ' + 'x'.join(str(n) for n in self.image_shape)
        )
        return (
            f'observation {self.observation_size} ({self.observation_keys or "no keys"}), '
            f'action {self.action_size}, {image}'
        )


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _check_entry(path: Path, root: Path, want_dir: bool) -> None:
    """Refuse ``path`` unless it is a regular file (a directory if ``want_dir``) in ``root``.

    Uses lstat and never opens the path: opening a FIFO blocks until a writer appears,
    and a device or a symlink out of the store is nothing a replay should read. A symlink
    is accepted only when it resolves inside the store to the right kind of entry.
    """
    kind = 'a directory' if want_dir else 'a regular file'
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        target = Path(os.path.realpath(path))
        if not _inside(target, root):
            raise SegmentError(
                f'{path.name} is a symlink that leads out of the store (to {target})'
            )
        if not os.path.lexists(target):
            raise SegmentError(f'{path.name} is a dangling symlink')
        mode = target.lstat().st_mode
    if stat.S_ISDIR(mode) if want_dir else stat.S_ISREG(mode):
        return
    raise SegmentError(f'{path.name} is {_kind(mode)}, not {kind}')


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, 'a directory'),
        (stat.S_ISFIFO, 'a named pipe (FIFO)'),
        (stat.S_ISCHR, 'a character device'),
        (stat.S_ISBLK, 'a block device'),
        (stat.S_ISSOCK, 'a socket'),
        (stat.S_ISREG, 'a regular file'),
    ):
        if test(mode):
            return name
    return 'of an unknown file type'


def check_segment_files(path: Path, store: Path) -> None:
    """Refuse a segment that is not a directory of regular files inside the store.

    Its metadata.yaml must also be small and shallow enough to parse quickly
    (:data:`MAX_METADATA_BYTES`, :data:`MAX_METADATA_NESTING`).
    """
    root = Path(os.path.realpath(store))
    _check_entry(path, root, want_dir=True)
    real = Path(os.path.realpath(path))
    for entry in sorted(real.iterdir()):
        try:
            _check_entry(entry, root, want_dir=False)
        except SegmentError as exc:
            raise SegmentError(f'{path.name}: {exc}') from None
    error = _metadata_error(real / 'metadata.yaml')
    if error:
        raise SegmentError(f'{path.name}: {error}')


def _metadata_error(meta: Path) -> str | None:
    """Why ``meta`` (a regular file, checked) is not to be parsed, or None (also if absent)."""
    try:
        with open(meta, 'rb') as handle:
            size = os.fstat(handle.fileno()).st_size
            text = handle.read(MAX_METADATA_BYTES + 1)
    except FileNotFoundError:
        return None  # rosbags says what is missing
    if size > MAX_METADATA_BYTES or len(text) > MAX_METADATA_BYTES:
        size = max(size, len(text))
        return (
            f'metadata.yaml is {size} bytes, more than the {MAX_METADATA_BYTES} a segment may have'
        )
    # Counted over the raw text (quoted brackets too): an over-estimate, never an under-.
    depth = deepest = 0
    for char in text:
        if char in b'[{':
            depth += 1
            deepest = max(deepest, depth)
        elif char in b']}':
            depth = max(depth - 1, 0)
    if deepest > MAX_METADATA_NESTING:
        return (
            f'metadata.yaml nests [ and {{ {deepest} deep, more than the '
            f'{MAX_METADATA_NESTING} a segment may have'
        )
    return None


@functools.lru_cache(maxsize=64)  # every step of a run carries the same keys
def _layout_keys_error(keys: str, size: int) -> str | None:
    """Why Step.observation_keys does not describe ``size`` values, or None if it does."""
    if not keys:
        return None
    total = 0
    for item in keys.split(','):
        name, _, count = item.partition(':')
        if not name or not count.isdigit() or int(count) == 0:
            return f'observation_keys {keys!r} is not of the form name:size,...'
        total += int(count)
    if total != size:
        return f'observation_keys {keys!r} describe {total} values, the observation has {size}'
    return None


def check_record(record: StepRecord, layout: StepLayout | None) -> str | None:
    """Why a stored step cannot be trained on (with ``layout`` if given), or None."""
    if record.action.size == 0:
        return 'empty action'
    if record.observation.size == 0:
        return 'empty observation'
    error = _layout_keys_error(record.observation_keys, record.observation.size)
    if error:
        return error
    if not np.isfinite(record.observation).all():
        return 'non-finite observation'
    if not np.isfinite(record.action).all():
        return 'non-finite action'
    if not math.isfinite(record.reward):
        return 'non-finite reward'
    if layout is not None and not _fits(record, layout):
        return f'holds {StepLayout.of(record).describe()}; expected {layout.describe()}'
    return None


def _fits(record: StepRecord, layout: StepLayout) -> bool:
    image_shape = None if record.image is None else record.image.shape
    return (
        record.observation.size == layout.observation_size
        and record.action.size == layout.action_size
        and record.observation_keys == layout.observation_keys
        and image_shape == layout.image_shape
    )


def read_segment(
    path: Path | str,
    typestore: Typestore,
    layout: StepLayout | None = None,
    store: Path | str | None = None,
) -> list[StepRecord]:
    """Read every Step of a closed segment, checking it before handing anything out.

    ``store`` is the replay directory the segment lies in (default: its parent); only
    regular files inside it are opened. Every step must hold our Step definition, a
    non-empty action, finite observation, action and reward, and one layout: ``layout``
    when given, else the first step's.

    Raises SegmentError naming the segment and the problem when the bag cannot be
    opened or read, or when any of this does not hold.
    """
    path = Path(path)
    expected_hash = typestore.hash_rihs01(STEP_TYPE)
    records: list[StepRecord] = []
    try:
        check_segment_files(path, Path(store) if store is not None else path.parent)
        with Reader(path) as reader:
            connections = [c for c in reader.connections if c.msgtype == STEP_TYPE]
            if not connections:
                raise SegmentError(f'{path.name}: holds no {STEP_TYPE} messages')
            for connection in connections:
                # RIHS01: ROS 2's hash of the full type description, stored per connection.
                if connection.digest != expected_hash:
                    raise SegmentError(
                        f'{path.name}: stores {STEP_TYPE} of another message definition '
                        '(recorded with a different dreamstride_msgs version)'
                    )
            for _, timestamp, raw in reader.messages(connections=connections):
                record = _record(typestore.deserialize_cdr(raw, STEP_TYPE), timestamp)
                error = check_record(record, layout)
                if error:
                    raise SegmentError(
                        f'{path.name}: step seq {record.seq} (message {len(records)}): {error}'
                    )
                if layout is None:
                    layout = StepLayout.of(record)  # the rest must match the first step
                records.append(record)
    except SegmentError:
        raise
    except Exception as exc:  # any failure of a foreign file is reported, not raised raw
        raise SegmentError(f'{path.name}: cannot be read ({type(exc).__name__}: {exc})') from exc
    return records


def _record(msg, timestamp: int) -> StepRecord:
    image = None
    if msg.image.width and msg.image.height:
        image = np.frombuffer(bytes(msg.image.data), dtype=np.uint8).reshape(
            msg.image.height, msg.image.width, -1
        )
    return StepRecord(
        run_id=msg.run_id,
        seq=int(msg.seq),
        episode_id=int(msg.episode_id),
        stamp_ns=timestamp,
        observation=np.asarray(msg.observation, dtype=np.float32),
        action=np.asarray(msg.action, dtype=np.float32),
        reward=float(msg.reward),
        is_first=bool(msg.is_first),
        is_last=bool(msg.is_last),
        is_terminal=bool(msg.is_terminal),
        policy_version=int(msg.policy_version),
        hold=bool(msg.hold),
        image=image,
        forward_velocity=float(msg.forward_velocity),
        reward_terms=tuple(float(x) for x in msg.reward_terms),
        observation_keys=str(msg.observation_keys),
        robot=str(msg.header.frame_id),
    )


def iter_store(
    replay_dir: Path | str,
    typestore: Typestore,
    skip: set[str] | None = None,
    layout: StepLayout | None = None,
) -> Iterator[tuple[Path, list[StepRecord] | SegmentError]]:
    """Yield (segment, records or the SegmentError) for each closed segment not in ``skip``.

    The segments of ``replay_dir`` come first, then those of each robot store under it
    (:func:`robot_stores`); ``skip`` holds :func:`segment_key` names (a segment's own
    name in ``replay_dir`` itself, ``<robot>/<segment>`` in a robot store). Every
    segment must have ``layout``; without one, the first segment yielded with steps
    fixes it for the rest of this pass (the caller keeps it for later passes).
    """
    for store in [Path(replay_dir), *robot_stores(replay_dir)]:
        for segment in list_segments(store):
            if skip and segment_key(segment, replay_dir) in skip:
                continue
            try:
                records = read_segment(segment, typestore, layout, store=store)
            except SegmentError as exc:
                yield segment, exc
                continue
            if layout is None and records:
                layout = StepLayout.of(records[0])
            yield segment, records


def stored_steps(replay_dir: Path | str) -> list[StepRecord]:
    """Return every step of the store's readable segments, agent by agent, in order.

    Each agent process (a robot, a restart, a resumed sitting) has its own run_id, so its
    steps come out as one sequence ordered by seq; the agents come in the order of their
    first stored segment. (Ordered by run_id, a random hex string, a resumed run's
    sittings came out shuffled, and its learning curve with them.) Refused segments are
    left out (the learner reports them).
    """
    records = []
    first_seen: dict[str, int] = {}
    for _, result in iter_store(replay_dir, make_typestore()):
        if not isinstance(result, SegmentError):
            for r in result:
                first_seen.setdefault(r.run_id, len(first_seen))
            records.extend(result)
    records.sort(key=lambda r: (first_seen[r.run_id], r.seq))
    return records
