# Copyright 2026 DreamStride contributors
# SPDX-License-Identifier: Apache-2.0
"""Sensor checks and the agent's observation vector (no ROS: the node converts messages).

The default observation is DayDreamer's proprioceptive set: 12 joint angles, body
roll and pitch, and their rates (16 numbers). Joint velocities (12) can be added.
A camera image, when enabled, travels beside the vector in the Step message.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import math

import numpy as np
from spot_description import contract
from spot_description.spot import ARM_JOINT_NAMES, JOINT_NAMES, MAX_JOINT_NAME, NUM_JOINTS

_JOINT_INDEX = {name: i for i, name in enumerate(JOINT_NAMES)}


class SensorError(ValueError):
    """A sensor reading that must not be acted on; the message says why."""


# Bounds on what a sensor message may hold before any of it is looked at: a message from
# the network is hostile until checked, and checking must stay cheap whatever it holds.
MAX_JOINTS = 64  # leg joints, an arm's, grippers: far fewer on any Spot
# The observation holds float32: a float64 that is finite but beyond float32's range
# would become Inf in the Step, the replay store and the policy's input.
_FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass
class JointReading:
    """Joint angles (rad) and velocities (rad/s) in JOINT_NAMES order, and their time (s)."""

    position: np.ndarray
    velocity: np.ndarray
    stamp: float
    # The robot prefix of the names as received ('spot/' from spot_ros2 with a spot_name):
    # commands must name the joints the same way for the controller to accept them.
    prefix: str = ''


@dataclass
class ImuReading:
    """Body orientation quaternion (x, y, z, w), angular velocity (rad/s, body), time (s)."""

    orientation: np.ndarray
    angular_velocity: np.ndarray
    stamp: float


@dataclass
class OdometryReading:
    """Horizontal body velocity (m/s) in the heading frame, and its time (s).

    The heading frame is the odometry frame turned about the vertical by the body's yaw:
    x points where the robot faces, projected onto the ground. Its x component is the
    forward speed the reward pays for, whatever the robot's roll and pitch.
    """

    heading_velocity: np.ndarray  # (2,): forward, leftward
    stamp: float

    @property
    def forward_velocity(self) -> float:
        """Speed along the heading (m/s)."""
        return float(self.heading_velocity[0])


def _finite32(values: np.ndarray) -> bool:
    """Whether every value is finite and stays finite as float32."""
    # One comparison covers both: NaN compares false and infinities exceed the bound.
    return bool((np.abs(values) <= _FLOAT32_MAX).all())


def _leg_joint(name: str) -> str:
    """Strip a robot prefix (spot_ros2 names joints '<spot_name>/<joint>')."""
    return name.rsplit('/', 1)[-1]


def _shown(names: list[str], limit: int = 3) -> str:
    """Render some names for an error message (bounded length)."""
    shown = [n[:40] + ('...' if len(n) > 40 else '') for n in names[:limit]]
    more = f' and {len(names) - limit} more' if len(names) > limit else ''
    return f'{shown}{more}'


def joint_reading(
    names: list[str], position: list[float], velocity: list[float], stamp: float
) -> JointReading:
    """Check a joint state and reorder it to JOINT_NAMES; raise SensorError if malformed.

    Names may carry a robot prefix ('spot/front_left_hip_x', as spot_ros2 publishes them
    with a spot_name); the arm's joints (ARM_JOINT_NAMES) are ignored. Any other name is
    an error, so a robot that is not the one configured is never acted on.
    """
    if len(names) > MAX_JOINTS:
        raise SensorError(f'joint_states has {len(names)} joints (at most {MAX_JOINTS} accepted)')
    if any(len(n) > MAX_JOINT_NAME for n in names):
        raise SensorError(f'joint_states has a joint name longer than {MAX_JOINT_NAME} characters')
    if len(names) != len(position):
        raise SensorError(f'joint_states has {len(names)} names but {len(position)} positions')
    if len(velocity) and len(velocity) != len(names):
        raise SensorError(f'joint_states has {len(names)} names but {len(velocity)} velocities')
    legs, order, prefix = _joint_layout(tuple(names))
    pos = np.empty(NUM_JOINTS)
    pos[order] = np.asarray(position, dtype=np.float64)[legs]
    vel = np.zeros(NUM_JOINTS)
    if len(velocity):
        vel[order] = np.asarray(velocity, dtype=np.float64)[legs]
    if not (_finite32(pos) and _finite32(vel)):
        raise SensorError(
            'joint_states contains non-finite values (or values beyond float32 range)'
        )
    return JointReading(pos, vel, stamp, prefix)


@functools.lru_cache(maxsize=8)
def _joint_layout(names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, str]:
    """Return (indices of the leg joints in ``names``, their JOINT_NAMES order, prefix).

    A robot sends the same names in every message, so the answer is cached (an error
    is raised again each time: exceptions are not cached).
    """
    base = [_leg_joint(n) for n in names]
    unknown = sorted(
        {
            n
            for n, b in zip(names, base, strict=True)
            if b not in _JOINT_INDEX and b not in ARM_JOINT_NAMES
        }
    )
    if unknown:
        raise SensorError(f'joint_states names unknown joints {_shown(unknown)}')
    legs = [i for i, b in enumerate(base) if b in _JOINT_INDEX]
    leg_names = [base[i] for i in legs]
    if len(set(leg_names)) != len(leg_names):
        raise SensorError('joint_states repeats a joint name')
    prefixes = {names[i][: len(names[i]) - len(base[i])] for i in legs}
    if len(prefixes) > 1:
        raise SensorError(f'joint_states mixes robot prefixes {_shown(sorted(prefixes))}')
    missing = [n for n in JOINT_NAMES if n not in set(leg_names)]
    if missing:
        raise SensorError(f'joint_states lacks joints {_shown(missing, 12)}')
    order = np.fromiter((_JOINT_INDEX[n] for n in leg_names), dtype=np.int64, count=NUM_JOINTS)
    leg_index = np.array(legs, dtype=np.intp)
    for shared in (leg_index, order):  # shared by every reading with these names
        shared.setflags(write=False)
    return leg_index, order, prefixes.pop() if prefixes else ''


def imu_reading(
    orientation: tuple[float, float, float, float],
    angular_velocity: tuple[float, float, float],
    stamp: float,
) -> ImuReading:
    """Check an IMU reading; raise SensorError if malformed."""
    quat, gyro = _checked(contract.IMU, orientation, angular_velocity)
    return ImuReading(quat, gyro, stamp)


def _checked(sensor: str, orientation, vector) -> tuple[np.ndarray, np.ndarray]:
    """Return (unit quaternion, vector) as float64; raise SensorError naming ``sensor``."""
    quat = np.asarray(orientation, dtype=np.float64)
    vec = np.asarray(vector, dtype=np.float64)
    if not (_finite32(quat) and _finite32(vec)):
        raise SensorError(f'{sensor} contains non-finite values (or values beyond float32 range)')
    norm = float(np.linalg.norm(quat))
    if abs(norm - 1.0) > 0.05:
        raise SensorError(f'{sensor} orientation is not a unit quaternion (norm {norm:.3f})')
    return quat / norm, vec


# Frames an odometry twist may be given in (nav_msgs/Odometry says child_frame_id, the
# body; spot_ros2's spot_driver gives it in the odometry frame).
TWIST_FRAMES = ('body', 'odom')


def odometry_reading(
    linear_velocity: tuple[float, float, float],
    orientation: tuple[float, float, float, float],
    stamp: float,
    twist_frame: str = 'body',
) -> OdometryReading:
    """Check an odometry message and return its velocity in the heading frame.

    ``orientation`` is the body's (x, y, z, w) quaternion in the odometry frame (the
    message's pose); ``twist_frame`` says which frame ``linear_velocity`` is in.
    """
    if twist_frame not in TWIST_FRAMES:
        raise ValueError(f'twist_frame must be one of {TWIST_FRAMES}, got {twist_frame!r}')
    quat, vel = _checked(contract.ODOMETRY, orientation, linear_velocity)
    rotation = _rotation_matrix(quat)
    world = rotation @ vel if twist_frame == 'body' else vel
    forward = rotation[:2, 0]  # the body x axis, projected onto the ground
    length = float(np.hypot(*forward))
    if length < 1e-6:  # body x points straight up or down
        heading = np.zeros(2)
    else:
        c, s = forward / length
        heading = np.array([c * world[0] + s * world[1], -s * world[0] + c * world[1]])
    return OdometryReading(heading, stamp)


def _rotation_matrix(quat: np.ndarray) -> np.ndarray:
    """Rotation matrix of a unit (x, y, z, w) quaternion (body to world)."""
    x, y, z, w = quat
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def roll_pitch(quat: np.ndarray) -> tuple[float, float]:
    """Return roll and pitch (rad) of an (x, y, z, w) quaternion."""
    x, y, z, w = quat
    roll = math.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    pitch = math.asin(max(-1.0, min(1.0, 2.0 * (w * y - z * x))))
    return roll, pitch


def gravity_in_body(quat: np.ndarray) -> np.ndarray:
    """Return the unit gravity direction in the body frame of an (x, y, z, w) quaternion.

    (0, 0, -1) when level, (0, 0, 1) on the back; unlike roll it has no jump at +-pi.
    """
    # The rotation maps body to world; its transpose maps world's down axis into the body.
    return -_rotation_matrix(quat)[2]


# How the body's orientation enters the observation: DayDreamer's roll and pitch, or
# the gravity vector in the body frame (roll wraps at +-pi, where a robot on its back
# lies, so its sign flips from one step to the next; the gravity vector is continuous).
ORIENTATION_INPUTS = ('roll_pitch', 'gravity')


@dataclass
class ObservationSpec:
    """Which parts make up the observation vector."""

    joint_velocities: bool = False
    orientation: str = 'roll_pitch'
    # The commanded body velocity (vx, vy, wz), so one policy can follow any command.
    velocity_command: bool = False
    # The body's yaw rate (IMU z), which the command's wz asks for; DayDreamer's rates
    # are roll and pitch only.
    yaw_rate: bool = False

    def __post_init__(self) -> None:
        if self.orientation not in ORIENTATION_INPUTS:
            raise ValueError(
                f'orientation must be one of {list(ORIENTATION_INPUTS)}, got {self.orientation!r}'
            )

    def keys(self) -> list[tuple[str, int]]:
        """Return the (name, size) layout of the vector."""
        attitude = ('roll_pitch', 2) if self.orientation == 'roll_pitch' else ('gravity', 3)
        layout = [('joint_position', NUM_JOINTS), attitude, ('roll_pitch_rate', 2)]
        if self.yaw_rate:
            layout.append(('yaw_rate', 1))
        if self.joint_velocities:
            layout.append(('joint_velocity', NUM_JOINTS))
        if self.velocity_command:
            layout.append(('velocity_command', 3))
        return layout

    @property
    def size(self) -> int:
        """Return the length of the observation vector."""
        return sum(n for _, n in self.keys())

    def describe(self) -> str:
        """Return the layout as carried in Step.observation_keys."""
        return ','.join(f'{name}:{n}' for name, n in self.keys())

    @classmethod
    def from_description(cls, description: str) -> ObservationSpec:
        """Return the spec whose :meth:`describe` is ``description``, or raise ValueError."""
        names = [part.partition(':')[0] for part in description.split(',')] if description else []
        orientation = 'gravity' if 'gravity' in names else 'roll_pitch'
        spec = cls(
            joint_velocities='joint_velocity' in names,
            orientation=orientation,
            velocity_command='velocity_command' in names,
            yaw_rate='yaw_rate' in names,
        )
        if spec.describe() != description:
            raise ValueError(
                f'observation layout {description[:200]!r} is not one this agent builds '
                f'(closest: {spec.describe()!r})'
            )
        return spec

    def build(
        self, joints: JointReading, imu: ImuReading, command: np.ndarray | None = None
    ) -> np.ndarray:
        """Assemble the observation vector (float32); ``command`` is (vx, vy, wz)."""
        if self.orientation == 'roll_pitch':
            attitude = roll_pitch(imu.orientation)
        else:
            attitude = gravity_in_body(imu.orientation)
        parts = [joints.position, attitude, imu.angular_velocity[:2]]
        if self.yaw_rate:
            parts.append(imu.angular_velocity[2:3])
        if self.joint_velocities:
            parts.append(joints.velocity)
        if self.velocity_command:
            if command is None:
                raise ValueError('this observation includes the velocity command; none given')
            parts.append(command)
        return np.concatenate([np.asarray(p, dtype=np.float32) for p in parts])
