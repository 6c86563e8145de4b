"""Sensor checks and the agent's observation vector (no ROS: the node converts messages).

The default observation is DayDreamer's proprioceptive set: 12 joint angles, body
roll and pitch, and their rates (16 numbers). Joint velocities (12) can be added.
A camera image, when enabled, travels beside the vector in the Step message.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np
from spot_description.spot import JOINT_NAMES, NUM_JOINTS

_JOINT_INDEX = {name: i for i, name in enumerate(JOINT_NAMES)}


class SensorError(ValueError):
    """A sensor reading that must not be acted on; the message says why."""


@dataclass
class JointReading:
    """Joint angles (rad) and velocities (rad/s) in JOINT_NAMES order, and their time (s)."""

    position: np.ndarray
    velocity: np.ndarray
    stamp: float


@dataclass
class ImuReading:
    """Body orientation quaternion (x, y, z, w), angular velocity (rad/s, body), time (s)."""

    orientation: np.ndarray
    angular_velocity: np.ndarray
    stamp: float


@dataclass
class OdometryReading:
    """Body linear velocity (m/s, body frame) and time (s)."""

    linear_velocity: np.ndarray
    stamp: float


def joint_reading(names: list[str], position: list[float], velocity: list[float],
                  stamp: float) -> JointReading:
    """Check a joint state and reorder it to JOINT_NAMES; raise SensorError if malformed."""
    if len(names) != len(position):
        raise SensorError(
            f'joint_states has {len(names)} names but {len(position)} positions')
    if velocity and len(velocity) != len(names):
        raise SensorError(
            f'joint_states has {len(names)} names but {len(velocity)} velocities')
    unknown = sorted(set(names) - set(JOINT_NAMES))
    if unknown:
        raise SensorError(f'joint_states names unknown joints {unknown}')
    if len(set(names)) != len(names):
        raise SensorError('joint_states repeats a joint name')
    missing = [n for n in JOINT_NAMES if n not in set(names)]
    if missing:
        raise SensorError(f'joint_states lacks joints {missing}')
    order = np.fromiter((_JOINT_INDEX[n] for n in names), dtype=np.int64, count=len(names))
    pos = np.empty(NUM_JOINTS)
    pos[order] = position
    vel = np.zeros(NUM_JOINTS)
    if velocity:
        vel[order] = velocity
    if not (np.all(np.isfinite(pos)) and np.all(np.isfinite(vel))):
        raise SensorError('joint_states contains non-finite values')
    return JointReading(pos, vel, stamp)


def imu_reading(orientation: tuple[float, float, float, float],
                angular_velocity: tuple[float, float, float], stamp: float) -> ImuReading:
    """Check an IMU reading; raise SensorError if malformed."""
    quat = np.asarray(orientation, dtype=np.float64)
    gyro = np.asarray(angular_velocity, dtype=np.float64)
    if not (np.all(np.isfinite(quat)) and np.all(np.isfinite(gyro))):
        raise SensorError('imu contains non-finite values')
    norm = float(np.linalg.norm(quat))
    if abs(norm - 1.0) > 0.05:
        raise SensorError(f'imu orientation is not a unit quaternion (norm {norm:.3f})')
    return ImuReading(quat / norm, gyro, stamp)


def odometry_reading(linear_velocity: tuple[float, float, float], stamp: float
                     ) -> OdometryReading:
    """Check an odometry twist; raise SensorError if malformed."""
    vel = np.asarray(linear_velocity, dtype=np.float64)
    if not np.all(np.isfinite(vel)):
        raise SensorError('odometry contains non-finite values')
    return OdometryReading(vel, stamp)


def roll_pitch(quat: np.ndarray) -> tuple[float, float]:
    """Return roll and pitch (rad) of an (x, y, z, w) quaternion."""
    x, y, z, w = quat
    roll = math.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    pitch = math.asin(max(-1.0, min(1.0, 2.0 * (w * y - z * x))))
    return roll, pitch


@dataclass
class ObservationSpec:
    """Which parts make up the observation vector."""

    joint_velocities: bool = False

    def keys(self) -> list[tuple[str, int]]:
        """Return the (name, size) layout of the vector."""
        layout = [('joint_position', NUM_JOINTS), ('roll_pitch', 2), ('roll_pitch_rate', 2)]
        if self.joint_velocities:
            layout.append(('joint_velocity', NUM_JOINTS))
        return layout

    @property
    def size(self) -> int:
        """Return the length of the observation vector."""
        return sum(n for _, n in self.keys())

    def describe(self) -> str:
        """Return the layout as carried in Step.observation_keys."""
        return ','.join(f'{name}:{n}' for name, n in self.keys())

    def build(self, joints: JointReading, imu: ImuReading) -> np.ndarray:
        """Assemble the observation vector (float32)."""
        roll, pitch = roll_pitch(imu.orientation)
        parts = [joints.position, (roll, pitch), imu.angular_velocity[:2]]
        if self.joint_velocities:
            parts.append(joints.velocity)
        return np.concatenate([np.asarray(p, dtype=np.float32) for p in parts])


def stale_reason(now: float, max_age: float, **stamps: float | None) -> str | None:
    """Return why sensors are stale (missing or older than max_age seconds), or None."""
    for name, stamp in stamps.items():
        if stamp is None:
            return f'no {name} received yet'
        age = now - stamp
        if age > max_age:
            return f'{name} stale ({age:.3f} s > {max_age:.3f} s)'
    return None
