# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Steps and store segments for the tests: the store's own tests and the learner's."""

from __future__ import annotations

from pathlib import Path

from dreamstride_agent.recording.replay_store import SegmentWriter, StepLayout, make_typestore
from dreamstride_msgs.msg import Step
from rclpy.serialization import serialize_message
from sensor_msgs.msg import Image

KEYS = 'joint_position:12,roll_pitch:2,roll_pitch_rate:2'
GOOD = StepLayout(16, 12, KEYS, None)


def step(
    seq: int,
    run_id: str = 'run',
    obs_size: int = 16,
    act_size: int = 12,
    keys: str = KEYS,
    image: tuple[int, int] | None = None,
    **fields,
) -> Step:
    fields = {'reward': 1.0, **fields}
    msg = Step(
        seq=seq,
        run_id=run_id,
        observation=[0.1 * seq] * obs_size,
        observation_keys=keys,
        action=[0.5] * act_size,
        is_first=seq == 0,
        **fields,
    )
    if image:
        msg.image = Image(
            height=image[0],
            width=image[1],
            encoding='rgb8',
            step=image[1] * 3,
            data=bytes(image[0] * image[1] * 3),
        )
    return msg


def write_segment(replay: Path, name: str, steps: list[Step]) -> Path:
    writer = SegmentWriter(replay, name, make_typestore())
    for msg in steps:
        writer.write(serialize_message(msg), int(msg.seq) * 50_000_000, int(msg.seq))
    return writer.close()


def good(replay: Path, name: str, run_id: str, n: int = 5) -> Path:
    return write_segment(replay, name, [step(s, run_id) for s in range(n)])
